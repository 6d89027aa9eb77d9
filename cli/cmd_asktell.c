/* cmd_asktell.c: `llmbo ask DIR [-n Q] [--config CONFIG.json [--seed N]]` and
 * `llmbo tell DIR ID VALUE|--failed [REASON]`: the ask/tell loop from the shell, for
 * experiments a program cannot run (a lab, a manual build). Both work on a run directory under
 * its lock and make every proposal and result durable (run/run.c); `llmbo run --resume DIR`
 * continues such a directory. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "llmbo.h"
#include "run.h"

static void ask_usage(FILE *f)
{
    fprintf(f,
            "usage: llmbo ask DIR [-n Q] [--config CONFIG.json [--seed N]]\n"
            "       llmbo ask DIR --pending\n\n"
            "Proposes the next Q points (default 1) of the run in DIR and prints each as one JSON\n"
            "line {\"id\": K, \"x\": {\"name\": value, ...}, \"xv\": [...], \"source\": \"gp\"}.\n"
            "The points are recorded as pending in DIR/asked.jsonl before they are printed;\n"
            "report each with llmbo tell DIR K VALUE. With --config, DIR is created as a new\n"
            "run directory from CONFIG.json (a run config, docs/config.md) first. An advisor in\n"
            "the config is consulted as in llmbo run. llmbo run --resume DIR evaluates the\n"
            "pending points and continues the run (docs/asktell.md).\n\n"
            "options:\n"
            "  -n Q              points to propose (at most the budget left)\n"
            "  --config FILE     create DIR from this run config\n"
            "  --seed N          with --config: override the config's seed\n"
            "  --pending         ask nothing; print the points asked and not yet told\n"
            "  -h, --help        show this help\n\n"
            "exit codes: 0 success, 1 failure, 2 usage, configuration or run-directory error\n");
}

static void tell_usage(FILE *f)
{
    fprintf(f,
            "usage: llmbo tell DIR ID VALUE\n"
            "       llmbo tell DIR ID --failed [REASON]\n\n"
            "Records the result of pending point ID (from llmbo ask) in DIR/journal.jsonl, made\n"
            "durable before llmbo tell returns, and prints {\"id\", \"evaluations\", \"budget\",\n"
            "\"best\"[, \"regret\"]}. VALUE is the objective's value in its own sense (a\n"
            "maximised objective: larger is better). --failed records a failed evaluation (the\n"
            "loop avoids its neighbourhood). Each point is told once; the last one of the budget\n"
            "writes DIR/summary.json.\n\n"
            "exit codes: 0 success, 1 failure, 2 usage error, unknown or already told ID\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s[0] || s[0] == '-' || s[0] == '+')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > 9007199254740992ULL)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static int finish(const char *verb, llmbo_status st, int user_error, const llmbo_error *err)
{
    if (st == LLMBO_OK)
        return LLMBO_EXIT_OK;
    fprintf(stderr, "llmbo %s: %s\n", verb, err->msg[0] ? err->msg : llmbo_strerror(st));
    return user_error ? LLMBO_EXIT_USAGE : LLMBO_EXIT_FAILURE;
}

int llmbo_cmd_ask(int argc, char **argv)
{
    llmbo_ask_args a;
    memset(&a, 0, sizeof a);
    a.n = 1;
    a.out = stdout;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            ask_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (strcmp(s, "-n") == 0 && has_val) {
            uint64_t n;
            if (!parse_u64(argv[++i], &n) || n < 1 || n > 100000) {
                fprintf(stderr, "llmbo ask: -n: expected an integer in [1, 100000], got '%s'\n",
                        argv[i]);
                return LLMBO_EXIT_USAGE;
            }
            a.n = (int)n;
        } else if (strcmp(s, "--pending") == 0) {
            a.pending_only = 1;
        } else if (strcmp(s, "--config") == 0 && has_val) {
            a.config_path = argv[++i];
        } else if (strcmp(s, "--seed") == 0 && has_val) {
            if (!parse_u64(argv[++i], &a.seed)) {
                fprintf(stderr,
                        "llmbo ask: --seed: expected a non-negative integer below 2^53, got '%s'\n",
                        argv[i]);
                return LLMBO_EXIT_USAGE;
            }
            a.have_seed = 1;
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "llmbo ask: unknown option or missing value: '%s'\n\n", s);
            ask_usage(stderr);
            return LLMBO_EXIT_USAGE;
        } else if (!a.dir) {
            a.dir = s;
        } else {
            fprintf(stderr, "llmbo ask: unexpected argument '%s'\n\n", s);
            ask_usage(stderr);
            return LLMBO_EXIT_USAGE;
        }
    }
    if (!a.dir) {
        fprintf(stderr, "llmbo ask: missing DIR\n\n");
        ask_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    if (a.pending_only && a.config_path) {
        fprintf(stderr, "llmbo ask: --pending lists an existing run's points; give no --config\n");
        return LLMBO_EXIT_USAGE;
    }
    if (a.have_seed && !a.config_path) {
        fprintf(stderr, "llmbo ask: --seed only with --config (a run's seed is fixed once it "
                        "exists)\n");
        return LLMBO_EXIT_USAGE;
    }
    llmbo_error err;
    int user_error = 0;
    memset(&err, 0, sizeof err);
    llmbo_status st = llmbo_run_ask(&a, &user_error, &err);
    return finish("ask", st, user_error, &err);
}

int llmbo_cmd_tell(int argc, char **argv)
{
    llmbo_tell_args a;
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    memset(&a, 0, sizeof a);
    a.out = stdout;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            tell_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (strcmp(s, "--failed") == 0) {
            a.failed = 1;
            if (i + 1 < argc && npos == 2)
                a.reason = argv[++i];
        } else if (npos < 3 && !(s[0] == '-' && s[1] == '-')) {
            pos[npos++] = s; /* VALUE may be negative: "-1.5" */
        } else {
            fprintf(stderr, "llmbo tell: unexpected argument '%s'\n\n", s);
            tell_usage(stderr);
            return LLMBO_EXIT_USAGE;
        }
    }
    if (npos < 2 || (!a.failed && npos < 3) || (a.failed && npos > 2)) {
        fprintf(stderr, "llmbo tell: expected DIR ID VALUE or DIR ID --failed [REASON]\n\n");
        tell_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    a.dir = pos[0];
    uint64_t id;
    if (!parse_u64(pos[1], &id)) {
        fprintf(stderr,
                "llmbo tell: ID: expected a point's id (a non-negative integer from llmbo "
                "ask), got '%s'\n",
                pos[1]);
        return LLMBO_EXIT_USAGE;
    }
    a.id = (int64_t)id;
    if (!a.failed) {
        char *end;
        a.y = strtod(pos[2], &end);
        /* An underflow (ERANGE with a finite, tiny result) is a number; an overflow is not
         * finite. */
        if (*end || !pos[2][0] || !isfinite(a.y)) {
            fprintf(stderr,
                    "llmbo tell: VALUE: expected a finite number, got '%s' (a failed evaluation: "
                    "llmbo tell DIR ID --failed)\n",
                    pos[2]);
            return LLMBO_EXIT_USAGE;
        }
    }
    llmbo_error err;
    int user_error = 0;
    memset(&err, 0, sizeof err);
    llmbo_status st = llmbo_run_tell(&a, &user_error, &err);
    return finish("tell", st, user_error, &err);
}
