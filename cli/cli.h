/* cli.h: the llmbo binary's verbs. Each verb lives in its own cmd_<verb>.c and returns the
 * process exit code: 0 success, 1 run failure, 2 usage or configuration error. */
#ifndef LLMBO_CLI_H
#define LLMBO_CLI_H

#define LLMBO_EXIT_OK      0
#define LLMBO_EXIT_FAILURE 1
#define LLMBO_EXIT_USAGE   2
#define LLMBO_EXIT_OBJECTIVE                                                                       \
    3 /* llmbo run: no evaluation succeeded, or too many failed in a row                           \
       */

/* argv[0] is the verb itself; argv[1..argc-1] its arguments. */
typedef int (*llmbo_cmd_fn)(int argc, char **argv);

int llmbo_cmd_run(int argc, char **argv);
int llmbo_cmd_ask(int argc, char **argv);
int llmbo_cmd_tell(int argc, char **argv);
int llmbo_cmd_bench(int argc, char **argv);
int llmbo_cmd_report(int argc, char **argv);
int llmbo_cmd_objectives(int argc, char **argv);
int llmbo_cmd_eval(int argc, char **argv);
int llmbo_cmd_generate(int argc, char **argv);

#endif
