/* cmd_eval.c: `llmbo eval NAME[:DIM][#K] X1 ... Xd`: prints a built-in objective's value at a point
 * in original units, as the function defines it (no sense flip), with 17 significant digits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "llmbo.h"

static void eval_usage(FILE *f)
{
    fprintf(f, "usage: llmbo eval NAME[:DIM][#K] X1 X2 ... Xd\n\n"
               "Prints the value of the built-in objective NAME at the point (X1, ..., Xd), given\n"
               "in the objective's original units, with full precision (%%.17g). Functions\n"
               "defined in any dimension take it after a colon (ackley:10); without it they use\n"
               "their default dimension ('llmbo objectives' lists both). NAME[:DIM]#K evaluates\n"
               "instance K: the function shifted so that its optimiser moves inside the box\n"
               "(only for functions marked under 'inst'). The value is printed as\n"
               "the function defines it: for a maximised objective larger is better.\n"
               "A point outside the bounds or a wrong number of coordinates is a usage error.\n\n"
               "options:\n"
               "  -h, --help   show this help\n\n"
               "exit codes: 0 success, 1 the evaluation failed, 2 usage error\n");
}

int llmbo_cmd_eval(int argc, char **argv)
{
    int first = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            eval_usage(stdout);
            return LLMBO_EXIT_OK;
        }
    }
    if (first < argc && strcmp(argv[first], "--") == 0)
        first++;
    if (first >= argc) {
        fprintf(stderr, "llmbo eval: missing objective name\n\n");
        eval_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    const char *spec = argv[first];
    llmbo_objective *obj = NULL;
    llmbo_error err = {0};
    if (llmbo_objective_create(spec, &obj, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo eval: %s\n", err.msg);
        return LLMBO_EXIT_USAGE;
    }
    int d = llmbo_objective_dim(obj);
    int n = argc - first - 1;
    if (n != d) {
        fprintf(stderr, "llmbo eval: %s takes %d coordinate%s, got %d\n", llmbo_objective_name(obj),
                d, d == 1 ? "" : "s", n);
        llmbo_objective_free(obj);
        return LLMBO_EXIT_USAGE;
    }
    double *x = malloc((size_t)d * sizeof *x);
    if (!x) {
        fprintf(stderr, "llmbo eval: out of memory\n");
        llmbo_objective_free(obj);
        return LLMBO_EXIT_FAILURE;
    }
    for (int i = 0; i < d; i++) {
        const char *a = argv[first + 1 + i];
        char *end = NULL;
        x[i] = strtod(a, &end);
        if (end == a || *end != '\0') {
            fprintf(stderr, "llmbo eval: coordinate %d (%s): \"%s\" is not a number\n", i + 1,
                    llmbo_space_param(llmbo_objective_space(obj), i)->name, a);
            free(x);
            llmbo_objective_free(obj);
            return LLMBO_EXIT_USAGE;
        }
    }
    int rc = LLMBO_EXIT_OK;
    double y;
    llmbo_status st = llmbo_space_check(llmbo_objective_space(obj), x, &err);
    if (st != LLMBO_OK) {
        fprintf(stderr, "llmbo eval: %s: %s\n", llmbo_objective_name(obj), err.msg);
        rc = LLMBO_EXIT_USAGE;
    } else if (llmbo_objective_eval(obj, x, &y, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo eval: %s\n", err.msg);
        rc = LLMBO_EXIT_FAILURE;
    } else {
        printf("%.17g\n", y);
    }
    free(x);
    llmbo_objective_free(obj);
    return rc;
}
