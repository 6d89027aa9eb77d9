/* test_space.c: parameter spaces. Unit-cube maps for each parameter type against closed forms
 * (linear, logarithmic, equal cells for integers and categoricals), round trips, clamping,
 * rounding, the exact texts of space_add and space_check errors, copying of strings, and an
 * allocation-failure sweep over space_add. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "llmbo.h"
#include "llmbo_common.h"

static const char *const colours[] = {"red", "green", "blue"};

static llmbo_space *make_space(void)
{
    llmbo_space *s = llmbo_space_create();
    llmbo_param p[4] = {
        {.name = "temp", .type = LLMBO_PARAM_CONTINUOUS, .lo = -2.5, .hi = 7.25, .unit = "degC"},
        {.name = "rate", .type = LLMBO_PARAM_LOG, .lo = 1e-3, .hi = 1e2, .description = "a rate"},
        {.name = "n", .type = LLMBO_PARAM_INTEGER, .lo = -2, .hi = 3},
        {.name = "colour", .type = LLMBO_PARAM_CATEGORICAL, .n_choices = 3, .choices = colours},
    };
    for (int i = 0; i < 4; i++)
        CHECK_OK(llmbo_space_add(s, &p[i], NULL));
    return s;
}

static void test_maps(void)
{
    llmbo_space *s = make_space();
    CHECK(llmbo_space_dim(s) == 4, "dim 4");
    double x[4] = {1.3, 1.0, 2, 1}, u[4], x2[4];
    llmbo_space_to_unit(s, x, u);
    CHECK_NEAR(u[0], (1.3 + 2.5) / 9.75, 1e-15, 0);
    CHECK_NEAR(u[1], 3.0 / 5.0, 1e-14, 0); /* log10: (0 - (-3)) / (2 - (-3)) */
    CHECK_NEAR(u[2], (2 - (-2) + 0.5) / 6, 1e-15, 0);
    CHECK_NEAR(u[3], 1.5 / 3, 1e-15, 0);
    llmbo_space_from_unit(s, u, x2);
    for (int i = 0; i < 4; i++)
        CHECK_NEAR(x2[i], x[i], 1e-13, 0);
    /* Log scale: the cube's midpoint is the geometric mean of the bounds. */
    double um[4] = {0.5, 0.5, 0.5, 0.5}, xm[4];
    llmbo_space_from_unit(s, um, xm);
    CHECK_NEAR(xm[1], sqrt(1e-3 * 1e2), 1e-13, 0);
    CHECK_NEAR(xm[0], 2.375, 1e-15, 0);
    /* Ends and clamping (NaN maps to the lower end). */
    double ulo[4] = {-0.5, NAN, 0, 0}, uhi[4] = {1.5, 1, 1, 1}, xl[4], xh[4];
    llmbo_space_from_unit(s, ulo, xl);
    llmbo_space_from_unit(s, uhi, xh);
    CHECK(xl[0] == -2.5 && xl[1] == 1e-3 && xl[2] == -2 && xl[3] == 0, "u <= 0 maps to lo");
    CHECK(xh[0] == 7.25 && xh[1] == 1e2 && xh[2] == 3 && xh[3] == 2, "u >= 1 maps to hi");
    /* Integer and categorical cells are equal: a fine uniform grid hits each value equally. */
    int cnt_n[6] = {0}, cnt_c[3] = {0};
    const int m = 60000;
    for (int k = 0; k < m; k++) {
        double uu[4] = {0, 0, (k + 0.5) / m, (k + 0.5) / m}, xx[4];
        llmbo_space_from_unit(s, uu, xx);
        cnt_n[(int)xx[2] + 2]++;
        cnt_c[(int)xx[3]]++;
    }
    int uniform = 1;
    for (int i = 0; i < 6; i++)
        uniform &= cnt_n[i] == m / 6;
    for (int i = 0; i < 3; i++)
        uniform &= cnt_c[i] == m / 3;
    CHECK(uniform, "integer cells %d %d %d %d %d %d and categorical %d %d %d are equal", cnt_n[0],
          cnt_n[1], cnt_n[2], cnt_n[3], cnt_n[4], cnt_n[5], cnt_c[0], cnt_c[1], cnt_c[2]);
    /* round_unit snaps to the centre of the cell of the rounded value, in place. */
    double ur[4] = {0.3183, 0.7071, 0.41, 0.99};
    llmbo_space_round_unit(s, ur);
    CHECK(ur[0] == 0.3183 && ur[1] == 0.7071, "continuous and log untouched by round_unit");
    CHECK_NEAR(ur[2], 2.5 / 6, 1e-15, 0); /* 0.41 * 6 = 2.46 -> cell 2 */
    CHECK_NEAR(ur[3], 2.5 / 3, 1e-15, 0);
    double xr[4], ur2[4];
    llmbo_space_from_unit(s, ur, xr);
    llmbo_space_to_unit(s, xr, ur2);
    CHECK(ur2[2] == ur[2] && ur2[3] == ur[3], "rounded u is a fixed point of to_unit(from_unit)");
    /* Parameters keep their strings. */
    const llmbo_param *p0 = llmbo_space_param(s, 0), *p3 = llmbo_space_param(s, 3);
    CHECK(strcmp(p0->unit, "degC") == 0 && p0->description == NULL, "unit kept, description NULL");
    CHECK(p3->n_choices == 3 && strcmp(p3->choices[2], "blue") == 0 && p3->lo == 0 && p3->hi == 2,
          "categorical choices copied, bounds 0..2");
    CHECK(llmbo_space_param(s, 4) == NULL && llmbo_space_param(s, -1) == NULL, "param range");
    llmbo_space_free(s);
    llmbo_space_free(NULL);
}

static void test_copy(void)
{
    char name[16] = "alpha", unit[8] = "m/s";
    llmbo_space *s = llmbo_space_create();
    llmbo_param p = {.name = name, .type = LLMBO_PARAM_CONTINUOUS, .lo = 0, .hi = 1, .unit = unit};
    CHECK_OK(llmbo_space_add(s, &p, NULL));
    strcpy(name, "beta");
    strcpy(unit, "xx");
    CHECK(strcmp(llmbo_space_param(s, 0)->name, "alpha") == 0 &&
              strcmp(llmbo_space_param(s, 0)->unit, "m/s") == 0,
          "strings are copied");
    /* Growth past the initial capacity keeps earlier parameters intact. */
    for (int i = 0; i < 40; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "p%d", i);
        llmbo_param q = {.name = nm, .type = LLMBO_PARAM_INTEGER, .lo = 0, .hi = i + 1};
        CHECK_OK(llmbo_space_add(s, &q, NULL));
    }
    CHECK(llmbo_space_dim(s) == 41 && strcmp(llmbo_space_param(s, 0)->name, "alpha") == 0 &&
              llmbo_space_param(s, 40)->hi == 40,
          "41 parameters after growth");
    llmbo_space_free(s);
}

static void test_errors(void)
{
    llmbo_space *s = make_space();
    llmbo_error err;
    const char *const dup[] = {"a", "a"};
    struct {
        llmbo_param p;
        const char *msg;
    } bad[] = {
        {{.name = "temp", .lo = 0, .hi = 1}, "parameter \"temp\": duplicate name"},
        {{.name = "", .lo = 0, .hi = 1}, "parameter 4: empty name"},
        {{.name = "q", .lo = 2, .hi = 1},
         "parameter \"q\": bounds [2, 1] must be finite with lo < hi"},
        {{.name = "q", .lo = 3, .hi = 3},
         "parameter \"q\": bounds [3, 3] leave nothing to optimise; leave a fixed value out of "
         "the space"},
        {{.name = "q", .lo = 0, .hi = INFINITY},
         "parameter \"q\": bounds [0, inf] must be finite with lo < hi"},
        {{.name = "q", .lo = -1e308, .hi = 1e308},
         "parameter \"q\": bounds [-1e+308, 1e+308]: the width hi - lo overflows a double"},
        {{.name = "q", .type = LLMBO_PARAM_INTEGER, .lo = 0, .hi = 9007199254740994.0},
         "parameter \"q\": integer bounds must be within +-2^53 (whole numbers a double holds "
         "exactly)"},
        {{.name = "q", .type = LLMBO_PARAM_LOG, .lo = 0, .hi = 1},
         "parameter \"q\": log scale needs lo > 0 (got 0)"},
        {{.name = "q", .type = LLMBO_PARAM_INTEGER, .lo = 0.5, .hi = 3},
         "parameter \"q\": integer bounds must be whole numbers"},
        {{.name = "q", .type = LLMBO_PARAM_CATEGORICAL, .n_choices = 0},
         "parameter \"q\": a categorical needs at least one choice"},
        {{.name = "q", .type = LLMBO_PARAM_CATEGORICAL, .n_choices = 2, .choices = dup},
         "parameter \"q\": duplicate choice \"a\""},
        {{.name = "q", .type = (llmbo_param_type)9, .lo = 0, .hi = 1},
         "parameter \"q\": unknown type 9"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmbo_error_clear(&err);
        llmbo_status st = llmbo_space_add(s, &bad[i].p, &err);
        CHECK(st == LLMBO_ERR_INVALID && strcmp(err.msg, bad[i].msg) == 0, "space_add: \"%s\"",
              err.msg);
    }
    CHECK(llmbo_space_dim(s) == 4, "failed adds leave the space unchanged");
    struct {
        double x[4];
        const char *msg;
    } pts[] = {
        {{7.5, 1, 0, 0}, "temp: 7.5 outside bounds [-2.5, 7.25]"},
        {{0, NAN, 0, 0}, "rate: value is not finite"},
        {{0, 1, 1.5, 0}, "n: 1.5 is not a whole number"},
        {{0, 1, 4, 0}, "n: 4 outside bounds [-2, 3]"},
        {{0, 1, 0, 3}, "colour: choice index 3 outside 0..2"},
        {{0, 1, 0, 0.5}, "colour: 0.5 is not a whole number"},
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        llmbo_error_clear(&err);
        llmbo_status st = llmbo_space_check(s, pts[i].x, &err);
        CHECK(st == LLMBO_ERR_INVALID && strcmp(err.msg, pts[i].msg) == 0, "space_check: \"%s\"",
              err.msg);
    }
    double ok[4] = {7.25, 1e2, -2, 2};
    CHECK_OK(llmbo_space_check(s, ok, &err));
    llmbo_space_free(s);
}

static void test_alloc_sweep(void)
{
    int failures = 0, other = 0, done = 0;
    for (long k = 1; k < 200 && !done; k++) {
        llmbo_test_fail_after(k);
        llmbo_space *s = llmbo_space_create();
        llmbo_status st = s ? LLMBO_OK : LLMBO_ERR_NOMEM;
        llmbo_param p[3] = {
            {.name = "a", .lo = 0, .hi = 1, .unit = "kg", .description = "mass"},
            {.name = "c", .type = LLMBO_PARAM_CATEGORICAL, .n_choices = 3, .choices = colours},
            {.name = "b", .type = LLMBO_PARAM_LOG, .lo = 1, .hi = 10, .unit = "Hz"},
        };
        for (int i = 0; i < 3 && st == LLMBO_OK; i++) {
            st = llmbo_space_add(s, &p[i], NULL);
            if (st == LLMBO_OK && llmbo_space_dim(s) != i + 1)
                other++;
        }
        long used = llmbo_test_alloc_count();
        llmbo_test_fail_after(0);
        if (st == LLMBO_OK)
            done = used < k;
        else if (st == LLMBO_ERR_NOMEM)
            failures++;
        else
            other++;
        llmbo_space_free(s);
    }
    CHECK(done && failures > 0 && other == 0,
          "space_add: %d injected allocation failures gave NOMEM (%d other results)", failures,
          other);
}

int main(void)
{
    llmbo_init();
    test_maps();
    test_copy();
    test_errors();
    test_alloc_sweep();
    return check_summary();
}
