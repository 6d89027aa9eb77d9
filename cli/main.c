/* main.c: the llmbo binary. Dispatches to one function per verb (cmd_*.c). */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "llmbo.h"

static const struct {
    const char *name;
    llmbo_cmd_fn fn;
    const char *usage;
} verbs[] = {
    {"run", llmbo_cmd_run,
     "run CONFIG.json [--seed N] [--out DIR] [-j N] [--max-failures K] [-q] | run [CONFIG.json] "
     "--resume DIR"},
    {"ask", llmbo_cmd_ask, "ask DIR [-n Q] [--config CONFIG.json [--seed N]] | ask DIR --pending"},
    {"tell", llmbo_cmd_tell, "tell DIR ID VALUE | tell DIR ID --failed [REASON]"},
    {"bench", llmbo_cmd_bench, "bench CONFIG.json [-j N] [--shard I/N] [--out DIR] [-q]"},
    {"report", llmbo_cmd_report, "report DIR [--cost dollars|tokens|calls] [--no-png] [-q]"},
    {"objectives", llmbo_cmd_objectives, "objectives [--json]"},
    {"eval", llmbo_cmd_eval, "eval NAME[:DIM] X1 X2 ..."},
    {"generate", llmbo_cmd_generate,
     "generate MODEL.gguf -p PROMPT [-n N] [--temp T] [--seed S] [--dump-logits FILE] [--info]"},
};

static void usage(FILE *f)
{
    fprintf(f, "llmbo %s: LLM-in-the-loop Bayesian optimisation\n\nusage:\n", LLMBO_VERSION_STRING);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  llmbo %s\n", verbs[i].usage);
    fprintf(f, "\n'llmbo VERB --help' describes a verb's flags.\n"
               "Exit codes: 0 success, 1 run failure, 2 usage or configuration error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return LLMBO_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("llmbo %s\n", LLMBO_VERSION_STRING);
        return LLMBO_EXIT_OK;
    }
    if (llmbo_init() != LLMBO_OK) {
        fprintf(stderr, "llmbo: library initialisation failed\n");
        return LLMBO_EXIT_FAILURE;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(argv[1], verbs[i].name) != 0)
            continue;
        return verbs[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "llmbo: unknown verb '%s'\n\n", argv[1]);
    usage(stderr);
    return LLMBO_EXIT_USAGE;
}
