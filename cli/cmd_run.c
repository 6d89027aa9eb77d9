/* cmd_run.c: `llmbo run CONFIG.json [--seed N] [--out DIR] [--resume DIR] [-q]`: one
 * optimisation run (run/run.c). The summary JSON goes to stdout at the end; a progress line is
 * redrawn on stderr when stderr is a terminal and -q is not given. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "llmbo.h"
#include "run.h"

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: llmbo run CONFIG.json [--seed N] [--out DIR] [-q]\n"
            "       llmbo run --resume DIR [-q]\n\n"
            "Runs one optimisation described by CONFIG.json (keys in docs/config.md) and prints\n"
            "its summary as JSON on stdout. With --out DIR it writes DIR/config.json (the\n"
            "resolved config), DIR/journal.jsonl (one line per evaluation, made durable before\n"
            "the next proposal) and DIR/summary.json (docs/formats.md). --resume DIR continues a\n"
            "run that was interrupted at any point, reading DIR/config.json and the journal: no\n"
            "evaluation is lost or repeated, and a deterministic strategy ends exactly as an\n"
            "uninterrupted run would.\n\n"
            "options:\n"
            "  --seed N      override the config's seed (new runs only)\n"
            "  --out DIR     write the run directory DIR (created if missing; must not hold a "
            "run)\n"
            "  --resume DIR  continue the run in DIR\n"
            "  -q, --quiet   no progress line\n"
            "  -h, --help    show this help\n\n"
            "exit codes: 0 success, 1 run failure, 2 usage or configuration error\n");
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s[0] || s[0] == '-')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > 9007199254740992ULL)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

int llmbo_cmd_run(int argc, char **argv)
{
    llmbo_run_args a;
    int quiet = 0;
    memset(&a, 0, sizeof a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            run_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (strcmp(s, "-q") == 0 || strcmp(s, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(s, "--seed") == 0 && has_val) {
            if (!parse_seed(argv[++i], &a.seed)) {
                fprintf(stderr,
                        "llmbo run: --seed: expected a non-negative integer below 2^53, "
                        "got '%s'\n",
                        argv[i]);
                return LLMBO_EXIT_USAGE;
            }
            a.have_seed = 1;
        } else if (strcmp(s, "--out") == 0 && has_val) {
            a.out_dir = argv[++i];
        } else if (strcmp(s, "--resume") == 0 && has_val) {
            a.resume_dir = argv[++i];
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "llmbo run: unknown option or missing value: '%s'\n\n", s);
            run_usage(stderr);
            return LLMBO_EXIT_USAGE;
        } else if (!a.config_path) {
            a.config_path = s;
        } else {
            fprintf(stderr, "llmbo run: unexpected argument '%s'\n\n", s);
            run_usage(stderr);
            return LLMBO_EXIT_USAGE;
        }
    }
    if (a.resume_dir && (a.config_path || a.have_seed || a.out_dir)) {
        fprintf(stderr, "llmbo run: --resume DIR takes the config, seed and directory from DIR; "
                        "give no CONFIG, --seed or --out with it\n");
        return LLMBO_EXIT_USAGE;
    }
    if (!a.resume_dir && !a.config_path) {
        fprintf(stderr, "llmbo run: missing CONFIG.json\n\n");
        run_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    a.progress = !quiet && isatty(STDERR_FILENO);
    a.summary_out = stdout;
    llmbo_error err;
    int user_error = 0;
    memset(&err, 0, sizeof err);
    llmbo_status st = llmbo_run_exec(&a, &user_error, &err);
    if (st != LLMBO_OK) {
        fprintf(stderr, "llmbo run: %s\n", err.msg[0] ? err.msg : llmbo_strerror(st));
        return user_error ? LLMBO_EXIT_USAGE : LLMBO_EXIT_FAILURE;
    }
    return LLMBO_EXIT_OK;
}
