/* py_asktell_driver.c: the C side of the Python package's parity test (tests/test_python.py).
 * `layout` prints the sizes and member offsets of the public structs the package mirrors with
 * ctypes. `OBJECTIVE OPTIONS_JSON ROUNDS Q FAIL_EVERY` drives the loop by ask/tell, q points per
 * round, telling every FAIL_EVERY-th id (id % FAIL_EVERY == FAIL_EVERY - 1) as failed and the
 * others with the objective's value, and prints one line per told point with every number in
 * C99 hex-float form, so Python can compare bit for bit. OBJECTIVE "mixed" is a made-up function
 * over a continuous, an integer, a log and a categorical parameter. The seconds spent inside
 * llmbo_bo_ask and llmbo_bo_tell go to stderr ("ask_tell_seconds S"), for the sampler's overhead
 * benchmark. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "llmbo.h"

static double mixed(const double *x)
{
    static const double cat[3] = {0.0, 0.5, 1.5};
    double a = x[0] - 0.7, n = x[1] - 4, l = log10(x[2]) + 2;
    return a * a + 0.3 * n * n + l * l + cat[(int)x[3]];
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int layout(void)
{
#define F(s, m) printf("%s.%s %zu\n", #s, #m, offsetof(s, m))
    printf("llmbo_bo_options %zu\n", sizeof(llmbo_bo_options));
    F(llmbo_bo_options, gp);
    F(llmbo_bo_options, seed);
    F(llmbo_bo_options, maximize);
    F(llmbo_bo_options, xi);
    F(llmbo_bo_options, advisor);
    F(llmbo_bo_options, schedule);
    F(llmbo_bo_options, problem);
    printf("llmbo_param %zu\n", sizeof(llmbo_param));
    F(llmbo_param, choices);
    F(llmbo_param, description);
    printf("llmbo_gp_options %zu\n", sizeof(llmbo_gp_options));
    printf("llmbo_cost %zu\n", sizeof(llmbo_cost));
    printf("llmbo_bo_stats %zu\n", sizeof(llmbo_bo_stats));
    printf("llmbo_error %zu\n", sizeof(llmbo_error));
#undef F
    return 0;
}

int main(int argc, char **argv)
{
    llmbo_error err = {LLMBO_OK, ""};
    if (argc == 2 && argv[1][0] == 'l')
        return layout();
    if (argc != 6) {
        fprintf(stderr,
                "usage: py_asktell_driver layout | OBJECTIVE OPTIONS ROUNDS Q FAIL_EVERY\n");
        return 2;
    }
    llmbo_init();
    int rounds = atoi(argv[3]), q = atoi(argv[4]), fail_every = atoi(argv[5]);
    llmbo_objective *obj = NULL;
    llmbo_space *own = NULL;
    const llmbo_space *space;
    int maximize = 0;
    if (argv[1][0] == 'm') {
        static const char *const colours[] = {"red", "green", "blue"};
        llmbo_param p[4] = {
            {"a", LLMBO_PARAM_CONTINUOUS, -2, 3, 0, NULL, "m", "a length"},
            {"n", LLMBO_PARAM_INTEGER, 1, 9, 0, NULL, NULL, NULL},
            {"lr", LLMBO_PARAM_LOG, 1e-4, 1, 0, NULL, NULL, "a rate"},
            {"c", LLMBO_PARAM_CATEGORICAL, 0, 0, 3, colours, NULL, NULL},
        };
        own = llmbo_space_create();
        for (int i = 0; i < 4; i++)
            if (!own || llmbo_space_add(own, &p[i], &err) != LLMBO_OK)
                return 1;
        space = own;
    } else {
        if (llmbo_objective_create(argv[1], &obj, &err) != LLMBO_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        space = llmbo_objective_space(obj);
        maximize = llmbo_objective_maximize(obj);
    }
    int d = llmbo_space_dim(space);
    llmbo_bo_options opt;
    llmbo_bo *bo = NULL;
    if (llmbo_bo_options_from_json(argv[2], NULL, d, &opt, NULL, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    opt.maximize = maximize;
    if (llmbo_bo_create(space, &opt, &bo, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int64_t *ids = malloc(sizeof *ids * (size_t)q);
    double *X = malloc(sizeof *X * (size_t)(q * d));
    llmbo_source *src = malloc(sizeof *src * (size_t)q);
    double spent = 0;
    for (int r = 0; ids && X && src && r < rounds; r++) {
        double t0 = now();
        if (llmbo_bo_ask(bo, q, ids, X, src, &err) != LLMBO_OK) {
            fprintf(stderr, "ask: %s\n", err.msg);
            return 1;
        }
        spent += now() - t0;
        for (int k = 0; k < q; k++) {
            const double *x = X + (size_t)k * (size_t)d;
            int failed = fail_every > 0 && ids[k] % fail_every == fail_every - 1;
            double y = 0;
            if (!failed && obj && llmbo_objective_eval(obj, x, &y, &err) != LLMBO_OK)
                return 1;
            if (!failed && !obj)
                y = mixed(x);
            t0 = now();
            llmbo_bo_tell(bo, ids[k], y, failed, &err);
            spent += now() - t0;
            printf("%lld %s", (long long)ids[k], llmbo_source_name(src[k]));
            for (int j = 0; j < d; j++)
                printf(" %a", x[j]);
            if (failed)
                printf(" failed\n");
            else
                printf(" %a\n", y);
        }
    }
    fprintf(stderr, "ask_tell_seconds %.6f\n", spent);
    free(ids);
    free(X);
    free(src);
    llmbo_bo_free(bo);
    llmbo_objective_free(obj);
    llmbo_space_free(own);
    return 0;
}
