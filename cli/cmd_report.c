/* cmd_report.c: llmbo report DIR [--cost dollars|tokens|calls] [--no-png] [-q]. Aggregates the
 * runs of a bench directory (one bench, or several shards written into it) into summary.csv,
 * report.md, timing.csv and SVG plots; see study/report.h and docs/bench.md. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "llmbo_common.h"
#include "report.h"

static void report_usage(FILE *f)
{
    fprintf(f,
            "usage: llmbo report DIR [--cost dollars|tokens|calls] [--no-png] [-q]\n\n"
            "Aggregates every run under DIR/runs/OBJECTIVE/STRATEGY/seed-N (from one bench or\n"
            "several shards) and writes DIR/summary.csv, DIR/report.md, DIR/timing.csv and the\n"
            "plots DIR/regret-OBJECTIVE.svg, DIR/pareto-OBJECTIVE.svg, DIR/pareto-overall.svg,\n"
            "and, where an advisor has a cost, DIR/cost-OBJECTIVE.svg (regret against the\n"
            "cumulative cost), and PNG copies when rsvg-convert is installed.\n"
            "DIR may also be one run's directory (its journal.jsonl, from llmbo run --out):\n"
            "then DIR/report.md, DIR/best.svg (every evaluation and the best so far) and\n"
            "DIR/params.svg (each parameter against the evaluation).\n\n"
            "  --cost KIND  cost axis of the Pareto fronts: dollars, tokens (prompt + completion)\n"
            "               or calls; default: dollars if any run spent any, otherwise tokens\n"
            "  --no-png     do not convert the plots to PNG\n"
            "  -q           no messages on stderr\n");
}

int llmbo_cmd_report(int argc, char **argv)
{
    llmbo_report_options opt;
    llmbo_report_options_default(&opt);
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            report_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (strcmp(a, "-q") == 0) {
            opt.quiet = 1;
        } else if (strcmp(a, "--no-png") == 0) {
            opt.png = 0;
        } else if (strcmp(a, "--cost") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "llmbo report: --cost needs a value (dollars, tokens or calls)\n");
                return LLMBO_EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (strcmp(v, "dollars") == 0)
                opt.cost = LLMBO_COST_DOLLARS;
            else if (strcmp(v, "tokens") == 0)
                opt.cost = LLMBO_COST_TOKENS;
            else if (strcmp(v, "calls") == 0)
                opt.cost = LLMBO_COST_CALLS;
            else {
                fprintf(stderr,
                        "llmbo report: --cost: unknown value \"%s\"; expected dollars, tokens or "
                        "calls\n",
                        v);
                return LLMBO_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "llmbo report: unknown option '%s'\n", a);
            report_usage(stderr);
            return LLMBO_EXIT_USAGE;
        } else if (dir) {
            fprintf(stderr, "llmbo report: only one DIR may be given ('%s' and '%s')\n", dir, a);
            return LLMBO_EXIT_USAGE;
        } else {
            dir = a;
        }
    }
    if (!dir) {
        report_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    llmbo_error err;
    llmbo_error_clear(&err);
    llmbo_status st = llmbo_report_generate(dir, &opt, &err);
    if (st != LLMBO_OK) {
        fprintf(stderr, "llmbo report: %s\n", err.msg[0] ? err.msg : llmbo_strerror(st));
        return st == LLMBO_ERR_CONFIG ? LLMBO_EXIT_USAGE : LLMBO_EXIT_FAILURE;
    }
    return LLMBO_EXIT_OK;
}
