/* test_acq.c: acquisition functions, designs and the acquisition optimiser (bo/acq.h).
 * Truth comes from independent computations: long-double libm (erfcl) for h and Phi where they
 * are representable, the asymptotic series of Mills' ratio and mpmath at 60 digits (Debian's
 * python3, LLMBO_PYTHON) in the far tail, GSL quadrature for EI/PI, central finite
 * differences through a fitted GP for gradients, and dense grids for the optimiser. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_rng.h>
#include "check.h"
#include "llmbo_common.h"
#include "acq.h"
#include "gp_impl.h"

#define LOG_SQRT_2PI 0.91893853320467274178032973640562L

/* ---- helpers ---------------------------------------------------------------------------- */

/* h(z) = phi(z) + z Phi(z) in long double (64-bit mantissa on x86-64): independent of the
 * double-precision GSL/continued-fraction code under test; fine while h is representable. */
static long double h_ld(long double z)
{
    long double Phi = 0.5L * erfcl(-z / sqrtl(2.0L));
    long double phi = expl(-0.5L * z * z - LOG_SQRT_2PI);
    return phi + z * Phi;
}

/* Asymptotic series for t = -z >= 40: t R(t) = 1 - 1/t^2 + 3/t^4 - 15/t^6 + ..., so
 * h / phi = 1 - t R = sum_{k>=1} (-1)^(k+1) (2k-1)!! / t^(2k); the terms shrink fast. */
static void tail_series(double z, double *log_h, double *dlog_h)
{
    long double t = -(long double)z, u = 1 / (t * t), term = 1, w = 0, tr = 0;
    for (int k = 1; k <= 12; k++) {
        /* term_k = (-1)^(k+1) (2k-1)!! u^k for w = 1 - tR; tR = 1 - w. */
        term *= (k == 1 ? 1 : -(2 * k - 1)) * u;
        w += term;
    }
    tr = 1 - w;
    *log_h = (double)(-0.5L * t * t - LOG_SQRT_2PI + logl(w));
    *dlog_h = (double)((tr / t) / w); /* Phi / h = R / (1 - t R) */
}

/* Asks mpmath (60 digits) for log h, d log h, log Phi, d log Phi at each z. Returns 0 when
 * python3 with mpmath is unavailable. */
static int mpmath_reference(const double *z, int n, double (*out)[4])
{
    const char *py = getenv("LLMBO_PYTHON");
    if (!py || !*py)
        return 0;
    char cmd[4096];
    int len = snprintf(cmd, sizeof cmd, "%s -c \"import mpmath as m\nm.mp.dps=60\nfor z in [", py);
    for (int i = 0; i < n; i++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, "'%.17g',", z[i]);
    snprintf(cmd + len, sizeof cmd - (size_t)len,
             "]:\n z=m.mpf(z); P=m.ncdf(z); p=m.npdf(z); h=p+z*P\n"
             " print(m.nstr(m.log(h),25), m.nstr(P/h,25), m.nstr(m.log(P),25), "
             "m.nstr(p/P,25))\"");
    FILE *f = popen(cmd, "r");
    if (!f)
        return 0;
    int ok = 1;
    for (int i = 0; i < n && ok; i++)
        ok = fscanf(f, "%lf %lf %lf %lf", &out[i][0], &out[i][1], &out[i][2], &out[i][3]) == 4;
    return pclose(f) == 0 && ok;
}

/* A fitted GP on n LHS points of a smooth test function in d dimensions. */
static double test_fn(const double *x, int d)
{
    double s = sin(3.1 * x[0]) + 0.7 * x[0] * x[d - 1];
    for (int j = 1; j < d; j++)
        s += (x[j] - 0.37) * (x[j] - 0.37) * (1.3 + 0.2 * j);
    return s;
}

static llmbo_gp *fit_gp(int d, int n, uint64_t seed, double (*fn)(const double *, int), double *X,
                        double *y)
{
    llmbo_gp_options opt;
    llmbo_gp_options_default(&opt);
    opt.seed = seed;
    llmbo_gp *gp = llmbo_gp_create(d, &opt);
    llmbo_error err;
    if (!gp || llmbo_design(LLMBO_INIT_LHS, n, d, seed, X, &err) != LLMBO_OK)
        return gp;
    for (int i = 0; i < n; i++)
        y[i] = fn(X + (size_t)i * d, d);
    if (llmbo_gp_fit(gp, X, y, n, 1, &err) != LLMBO_OK)
        printf("gp fit failed: %s\n", err.msg);
    return gp;
}

static double min_of(const double *y, int n)
{
    double m = y[0];
    for (int i = 1; i < n; i++)
        m = y[i] < m ? y[i] : m;
    return m;
}

/* ---- special functions ------------------------------------------------------------------ */

static void test_log_h(void)
{
    /* Where h is representable: log_h vs log of the long-double closed form, 1e-12 relative;
     * the derivative vs Phi / h in long double. Grid crosses the branch points -1 and -4. */
    double worst = 0, worst_d = 0;
    for (int i = 0; i <= 400; i++) {
        double z = -10 + 20.0 * i / 400 + 1e-3 * (i % 7);
        if (z > 10)
            z = 10;
        long double h = h_ld(z);
        double ref = (double)logl(h);
        double got = llmbo_log_h(z);
        double e = fabs(got - ref) / fmax(fabs(ref), 1e-300);
        worst = e > worst ? e : worst;
        double dref = (double)(0.5L * erfcl(-(long double)z / sqrtl(2.0L)) / h);
        double ed = fabs(llmbo_dlog_h(z) - dref) / dref;
        worst_d = ed > worst_d ? ed : worst_d;
    }
    CHECK(worst <= 1e-12, "log_h vs long-double log(h) on [-10, 10]: worst rel. error %.3g", worst);
    CHECK(worst_d <= 1e-12, "dlog_h vs long-double Phi/h on [-10, 10]: worst rel. error %.3g",
          worst_d);

    /* Continuity across the branch points. */
    const double br[] = {-1.0, -4.0};
    for (int i = 0; i < 2; i++) {
        double a = llmbo_log_h(nextafter(br[i], -INFINITY)), b = llmbo_log_h(br[i]);
        double c = llmbo_log_h(nextafter(br[i], INFINITY));
        CHECK(fabs(a - b) < 1e-13 && fabs(c - b) < 1e-13, "log_h continuous at z = %g", br[i]);
    }

    /* Far tail: finite, increasing, non-zero gradient; vs the asymptotic series. */
    const double zt[] = {-40, -1e3, -1e6};
    for (int i = 0; i < 3; i++) {
        double z = zt[i], lh = llmbo_log_h(z), g = llmbo_dlog_h(z), lref, gref;
        tail_series(z, &lref, &gref);
        CHECK(isfinite(lh) && isfinite(g) && g > 0, "z = %g: log_h = %.17g, dlog_h = %.17g", z, lh,
              g);
        CHECK_NEAR(lh, lref, 1e-14, 0);
        CHECK_NEAR(g, gref, 1e-13, 0);
        /* The leading-order expansion -z^2/2 - log(2 pi)/2 - 2 log|z|, error ~ 3/z^2. */
        double lead = -0.5 * z * z - (double)LOG_SQRT_2PI - 2 * log(-z);
        CHECK(fabs(lh - lead) <= 3.5 / (z * z) + 4 * DBL_EPSILON * fabs(lead),
              "z = %g: log_h - leading term = %.3g (rounding of z^2/2 included)", z, lh - lead);
        /* Central difference of log_h itself; step small relative to z. */
        double dz = 1e-5 * fabs(z);
        double fd = (llmbo_log_h(z + dz) - llmbo_log_h(z - dz)) / (2 * dz);
        CHECK_NEAR(g, fd, 1e-6, 0);
        /* EI itself underflows here, logEI does not. */
        llmbo_acq_params p = {LLMBO_ACQUISITION_EI, 0.0, 0, 0};
        double ei = llmbo_acq_from_pred(&p, 0, -z, 1.0, NULL, NULL, NULL);
        p.type = LLMBO_ACQUISITION_LOGEI;
        double lei = llmbo_acq_from_pred(&p, 0, -z, 1.0, NULL, NULL, NULL);
        CHECK(ei == 0 || z > -38, "z = %g: plain EI = %g (underflows below -38)", z, ei);
        CHECK_NEAR(lei, lh, 1e-15, 0);
    }

    /* log Phi vs long double where representable, and its derivative phi/Phi. */
    double wp = 0, wdp = 0;
    for (int i = 0; i <= 300; i++) {
        double z = -35 + 43.0 * i / 300;
        long double P = 0.5L * erfcl(-(long double)z / sqrtl(2.0L));
        long double ph = expl(-0.5L * z * z - LOG_SQRT_2PI);
        /* log1p of the complement where Phi is near 1, else a long double cancels. */
        long double lP = z > 0 ? log1pl(-0.5L * erfcl((long double)z / sqrtl(2.0L))) : logl(P);
        double e = fabs(llmbo_log_Phi(z) - (double)lP) / fmax(fabs((double)lP), 1e-300);
        double ed = fabs(llmbo_dlog_Phi(z) - (double)(ph / P)) / (double)(ph / P);
        wp = e > wp ? e : wp;
        wdp = ed > wdp ? ed : wdp;
    }
    CHECK(wp <= 1e-12, "log_Phi vs long double on [-35, 8]: worst rel. error %.3g", wp);
    CHECK(wdp <= 1e-12, "dlog_Phi vs long double on [-35, 8]: worst rel. error %.3g", wdp);

    /* 60-digit mpmath at points spanning every branch, including far past underflow. */
    const double zm[] = {-1e6, -1e3, -40, -12.5, -5.3, -4.0, -3.7, -1.3, -0.4, 0.0, 2.1, 9.5};
    double ref[12][4];
    int have = mpmath_reference(zm, 12, ref);
    CHECK(have || !getenv("LLMBO_PYTHON") || !*getenv("LLMBO_PYTHON"),
          "mpmath reference obtained from %s",
          getenv("LLMBO_PYTHON") ? getenv("LLMBO_PYTHON") : "(unset)");
    if (have) {
        double w[4] = {0, 0, 0, 0};
        for (int i = 0; i < 12; i++) {
            double got[4] = {llmbo_log_h(zm[i]), llmbo_dlog_h(zm[i]), llmbo_log_Phi(zm[i]),
                             llmbo_dlog_Phi(zm[i])};
            for (int c = 0; c < 4; c++) {
                double e = fabs(got[c] - ref[i][c]) / fmax(fabs(ref[i][c]), 1e-300);
                w[c] = e > w[c] ? e : w[c];
            }
        }
        CHECK(w[0] <= 1e-13, "log_h vs mpmath: worst rel. error %.3g", w[0]);
        CHECK(w[1] <= 1e-13, "dlog_h vs mpmath: worst rel. error %.3g", w[1]);
        CHECK(w[2] <= 1e-13, "log_Phi vs mpmath: worst rel. error %.3g", w[2]);
        CHECK(w[3] <= 1e-13, "dlog_Phi vs mpmath: worst rel. error %.3g", w[3]);
    }
}

/* ---- closed forms vs quadrature --------------------------------------------------------- */

typedef struct qparams {
    double mean, s, c; /* normal N(mean, s^2); improvement threshold c = best - xi */
} qparams;

static double ei_integrand(double y, void *v)
{
    const qparams *q = v;
    double u = (y - q->mean) / q->s;
    return (q->c - y) * exp(-0.5 * u * u) / (q->s * 2.5066282746310002);
}

static double pi_integrand(double y, void *v)
{
    const qparams *q = v;
    double u = (y - q->mean) / q->s;
    return exp(-0.5 * u * u) / (q->s * 2.5066282746310002);
}

static void test_closed_forms(void)
{
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    const double cases[][4] = {/* mean, std, best, xi */
                               {0.3, 1.7, 1.1, 0.0},   {2.385, 0.41, 1.9, 0.05},
                               {-1.2, 0.07, -1.25, 0}, {5.0, 2.2, -3.1, 0.0},
                               {0.0, 1e-3, 0.0123, 0}, {10.0, 0.9, 1.0, 0.2}};
    for (int i = 0; i < 6; i++) {
        qparams q = {cases[i][0], cases[i][1], cases[i][2] - cases[i][3]};
        gsl_function F = {ei_integrand, &q};
        double ei_q, pi_q, abserr;
        /* E[max(c - Y, 0)] = int_{-inf}^{c} (c - y) N(y) dy; P(Y < c) likewise. */
        gsl_integration_qagil(&F, q.c, 0, 1e-12, 1000, w, &ei_q, &abserr);
        F.function = pi_integrand;
        gsl_integration_qagil(&F, q.c, 0, 1e-12, 1000, w, &pi_q, &abserr);
        llmbo_acq_params p = {LLMBO_ACQUISITION_EI, cases[i][2], 0, cases[i][3]};
        double var = cases[i][1] * cases[i][1];
        double ei = llmbo_acq_from_pred(&p, 0, q.mean, var, NULL, NULL, NULL);
        p.type = LLMBO_ACQUISITION_LOGEI;
        double lei = llmbo_acq_from_pred(&p, 0, q.mean, var, NULL, NULL, NULL);
        p.type = LLMBO_ACQUISITION_PI;
        double lpi = llmbo_acq_from_pred(&p, 0, q.mean, var, NULL, NULL, NULL);
        printf("case %d: EI %.10g (quad %.10g), PI %.10g (quad %.10g)\n", i, ei, ei_q, exp(lpi),
               pi_q);
        CHECK_NEAR(ei, ei_q, 1e-9, 1e-300);
        CHECK_NEAR(lei, log(ei_q), 1e-9, 0);
        CHECK_NEAR(lpi, log(pi_q), 1e-9, 1e-14);
        p.type = LLMBO_ACQUISITION_UCB;
        p.beta = 2.385;
        double ucb = llmbo_acq_from_pred(&p, 0, q.mean, var, NULL, NULL, NULL);
        CHECK_NEAR(ucb, -(q.mean - sqrt(2.385) * q.s), 1e-15, 1e-15);
    }
    gsl_integration_workspace_free(w);

    /* Beta schedule: 0.2 * 2 log(d t^2 pi^2 / (6 * 0.1)), evaluated at d = 6, t = 37 by hand:
     * 6 * 1369 * 9.8696044 / 0.6 = 135114.884, log = 11.8138807, times 0.4 = 4.72555228. */
    CHECK_NEAR(llmbo_ucb_beta(6, 37), 4.72555228, 1e-8, 0);
    CHECK(llmbo_ucb_beta(2, 10) < llmbo_ucb_beta(2, 11) &&
              llmbo_ucb_beta(2, 10) < llmbo_ucb_beta(3, 10),
          "beta grows with t and d");
    CHECK(llmbo_ucb_beta(0, 0) == llmbo_ucb_beta(1, 1), "d, t below 1 are treated as 1");

    /* Names. */
    const char *names[] = {"ei", "logei", "pi", "ucb", "ts"};
    for (int i = 0; i < 5; i++)
        CHECK(llmbo_acquisition_parse(names[i]) == i &&
                  strcmp(llmbo_acquisition_name((llmbo_acquisition)i), names[i]) == 0,
              "acquisition name %s round-trips", names[i]);
    /* The table: every row has a value function or is chosen from joint samples (TS), and the
     * rows that read the incumbent say so. */
    CHECK(llmbo_acq_names.n == 5, "5 acquisition rows, got %d", llmbo_acq_names.n);
    for (int i = 0; i < llmbo_acq_names.n; i++) {
        const llmbo_acq_def *a = llmbo_acq_get((llmbo_acquisition)i);
        int joint = (a->flags & LLMBO_ACQ_JOINT) != 0;
        CHECK(a && strcmp(a->name, names[i]) == 0 && (a->value == NULL) == joint &&
                  ((a->flags & LLMBO_ACQ_NEEDS_BEST) != 0) == (i <= LLMBO_ACQUISITION_PI),
              "acquisition row %s: value %s, flags %u", names[i], a->value ? "set" : "NULL",
              a->flags);
    }
    CHECK(llmbo_acq_get((llmbo_acquisition)5) == NULL &&
              llmbo_acq_get((llmbo_acquisition)-1) == NULL,
          "no row outside the enum");
    CHECK(llmbo_acquisition_parse("EI ") == -1 && llmbo_acquisition_parse(NULL) == -1,
          "unknown names rejected");
    /* A NaN prediction scores -inf with a zero gradient instead of poisoning the optimiser. */
    llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, 0.5, 0, 0};
    double dm[2] = {1, 2}, dv[2] = {3, 4}, g[2] = {7, 7};
    double v = llmbo_acq_from_pred(&p, 2, NAN, 1.0, dm, dv, g);
    CHECK(v == -HUGE_VAL && g[0] == 0 && g[1] == 0, "NaN mean scores -inf, zero gradient");
}

/* ---- gradients through a fitted GP ------------------------------------------------------ */

static void test_gradients(void)
{
    enum { D = 3, N = 14 };
    double X[N * D], y[N], Xt[8 * D];
    llmbo_gp *gp = fit_gp(D, N, 11, test_fn, X, y);
    CHECK(gp != NULL, "GP created");
    if (!gp)
        return;
    llmbo_error err;
    CHECK_OK(llmbo_design(LLMBO_INIT_RANDOM, 8, D, 99, Xt, &err));
    double ymin = min_of(y, N);
    struct {
        llmbo_acquisition t;
        double best, xi, beta;
        const char *what;
    } cases[] = {
        {LLMBO_ACQUISITION_EI, ymin, 0.0, 0, "EI"},
        {LLMBO_ACQUISITION_EI, ymin, 0.013, 0, "EI, xi"},
        {LLMBO_ACQUISITION_LOGEI, ymin, 0.0, 0, "logEI"},
        {LLMBO_ACQUISITION_LOGEI, ymin - 40.0, 0.0, 0, "logEI where EI underflows"},
        {LLMBO_ACQUISITION_PI, ymin, 0.0, 0, "logPI"},
        {LLMBO_ACQUISITION_PI, ymin - 40.0, 0.0, 0, "logPI far tail"},
        {LLMBO_ACQUISITION_UCB, ymin, 0.0, llmbo_ucb_beta(D, N + 1), "UCB"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        llmbo_acq_params p = {cases[c].t, cases[c].best, cases[c].beta, cases[c].xi};
        double worst = 0, gmin = HUGE_VAL;
        for (int i = 0; i < 8; i++) {
            double *x = Xt + i * D, g[D], xp[D], xm[D];
            double v = llmbo_acq_eval(gp, &p, x, g);
            double gmax = 0;
            for (int j = 0; j < D; j++)
                gmax = fmax(gmax, fabs(g[j]));
            gmin = fmin(gmin, gmax);
            for (int j = 0; j < D; j++) {
                double hstep = 1e-5;
                memcpy(xp, x, sizeof xp);
                memcpy(xm, x, sizeof xm);
                xp[j] += hstep;
                xm[j] -= hstep;
                double fd = (llmbo_acq_eval(gp, &p, xp, NULL) - llmbo_acq_eval(gp, &p, xm, NULL)) /
                            (2 * hstep);
                double e = fabs(g[j] - fd) / fmax(gmax, 1e-300);
                worst = e > worst ? e : worst;
            }
            CHECK(isfinite(v), "%s finite at test point %d (%.6g)", cases[c].what, i, v);
        }
        CHECK(worst <= 1e-5, "%s: gradient vs central differences, worst rel. error %.3g",
              cases[c].what, worst);
        CHECK(gmin > 0, "%s: gradient non-zero at every test point (smallest max |g| %.3g)",
              cases[c].what, gmin);
    }
    /* The workspace variant agrees bit for bit. */
    llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, ymin, 0, 0};
    double g1[D], g2[D], work[2 * D];
    double v1 = llmbo_acq_eval(gp, &p, Xt, g1), v2 = llmbo_acq_eval_ws(gp, &p, Xt, g2, work);
    CHECK(v1 == v2 && memcmp(g1, g2, sizeof g1) == 0, "acq_eval_ws == acq_eval");
    p.type = LLMBO_ACQUISITION_TS;
    CHECK(llmbo_acq_eval(gp, &p, Xt, NULL) == -HUGE_VAL, "TS has no pointwise value");
    llmbo_gp_free(gp);

    /* Above LLMBO_ACQ_STACK_DIM llmbo_acq_eval takes its scratch from the heap: same numbers
     * as the workspace variant, and an allocation failure scores -inf with a zero gradient. */
    enum { DB = LLMBO_ACQ_STACK_DIM + 3, NB = 6 };
    double *XB = malloc(sizeof(double) * NB * DB), yb[NB], *gb1 = malloc(sizeof(double) * DB);
    double *gb2 = malloc(sizeof(double) * DB), *wb = malloc(sizeof(double) * 2 * DB);
    llmbo_gp *gpb = fit_gp(DB, NB, 3, test_fn, XB, yb);
    double xb[DB];
    for (int j = 0; j < DB; j++)
        xb[j] = 0.5 + 0.3 * sin(1.7 * j);
    llmbo_acq_params pb = {LLMBO_ACQUISITION_LOGEI, min_of(yb, NB), 0, 0};
    double vb1 = llmbo_acq_eval(gpb, &pb, xb, gb1), vb2 = llmbo_acq_eval_ws(gpb, &pb, xb, gb2, wb);
    CHECK(isfinite(vb1) && vb1 == vb2 && memcmp(gb1, gb2, sizeof(double) * DB) == 0,
          "d = %d: heap scratch gives the workspace variant's value and gradient", DB);
    llmbo_test_fail_after(1);
    double vb3 = llmbo_acq_eval(gpb, &pb, xb, gb1);
    llmbo_test_fail_after(0);
    int zero = 1;
    for (int j = 0; j < DB; j++)
        zero &= gb1[j] == 0;
    CHECK(vb3 == -HUGE_VAL && zero, "d = %d: failed scratch allocation scores -inf, zero gradient",
          DB);
    llmbo_gp_free(gpb);
    free(XB);
    free(gb1);
    free(gb2);
    free(wb);
}

/* ---- designs ---------------------------------------------------------------------------- */

static int in_cube(const double *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(u[i] >= 0 && u[i] < 1))
            return 0;
    return 1;
}

static void test_designs(void)
{
    enum { N = 64, D = 7 };
    double a[N * D], b[N * D];
    llmbo_error err;
    const char *names[] = {"sobol", "lhs", "random"};
    for (int t = 0; t < 3; t++) {
        CHECK(llmbo_init_design_parse(names[t]) == t &&
                  strcmp(llmbo_init_design_name((llmbo_init_design)t), names[t]) == 0,
              "design name %s round-trips", names[t]);
        CHECK_OK(llmbo_design((llmbo_init_design)t, N, D, 2385, a, &err));
        CHECK_OK(llmbo_design((llmbo_init_design)t, N, D, 2385, b, &err));
        CHECK(in_cube(a, N * D), "%s: all points in [0,1)^%d", names[t], D);
        CHECK(memcmp(a, b, sizeof a) == 0, "%s: same seed, same design", names[t]);
        CHECK_OK(llmbo_design((llmbo_init_design)t, N, D, 2386, b, &err));
        int same = 0;
        for (int i = 0; i < N * D; i++)
            same += a[i] == b[i];
        CHECK(same == 0, "%s: seeds 2385 and 2386 share %d of %d coordinates", names[t], same,
              N * D);
        /* Seeds differing only above bit 32 differ too. */
        CHECK_OK(llmbo_design((llmbo_init_design)t, N, D, 2385 + (1ULL << 40), b, &err));
        CHECK(memcmp(a, b, sizeof a) != 0, "%s: seed bits above 32 matter", names[t]);
    }
    CHECK(llmbo_init_design_parse("halton") == -1 && llmbo_init_design_parse(NULL) == -1,
          "unknown design names rejected");

    /* LHS: in every coordinate the strata floor(n u) are exactly a permutation of 0..n-1. */
    for (int n = 1; n <= 97; n += 16) {
        double *u = malloc(sizeof(double) * (size_t)n * D);
        int *seen = calloc((size_t)n, sizeof *seen), ok = 1;
        CHECK_OK(llmbo_design(LLMBO_INIT_LHS, n, D, 7 + n, u, &err));
        for (int j = 0; j < D; j++) {
            memset(seen, 0, sizeof *seen * (size_t)n);
            for (int i = 0; i < n; i++) {
                int k = (int)floor(u[i * D + j] * n);
                ok &= k >= 0 && k < n && !seen[k];
                if (k >= 0 && k < n)
                    seen[k] = 1;
            }
        }
        CHECK(ok, "LHS n = %d: one point per stratum in each of %d coordinates", n, D);
        free(u);
        free(seen);
    }

    /* Shifted Sobol: the first 2^m points are a digital net, so each coordinate has one point
     * per 1/64 slab, and the first two coordinates have one point in every elementary box
     * [i/2^a, (i+1)/2^a) x [k/2^(6-a), (k+1)/2^(6-a)). */
    CHECK_OK(llmbo_design(LLMBO_INIT_SOBOL, N, D, 31, a, &err));
    int slabs_ok = 1, boxes_ok = 1;
    for (int j = 0; j < D; j++) {
        int seen[N] = {0};
        for (int i = 0; i < N; i++)
            seen[(int)(a[i * D + j] * N)]++;
        for (int s = 0; s < N; s++)
            slabs_ok &= seen[s] == 1;
    }
    for (int e = 0; e <= 6; e++) {
        int nx = 1 << e, ny = N >> e;
        int seen[N] = {0};
        for (int i = 0; i < N; i++)
            seen[(int)(a[i * D] * nx) * ny + (int)(a[i * D + 1] * ny)]++;
        for (int s = 0; s < N; s++)
            boxes_ok &= seen[s] == 1;
    }
    CHECK(slabs_ok, "Sobol: one point per 1/64 slab in each coordinate");
    CHECK(boxes_ok, "Sobol: first two coordinates form a (0,6,2)-net");

    /* Uniform random: coordinate means within 5 standard errors of 1/2. */
    enum { NR = 4000 };
    double *r = malloc(sizeof(double) * NR * 2);
    CHECK_OK(llmbo_design(LLMBO_INIT_RANDOM, NR, 2, 5, r, &err));
    for (int j = 0; j < 2; j++) {
        double m = 0;
        for (int i = 0; i < NR; i++)
            m += r[i * 2 + j];
        m /= NR;
        CHECK(fabs(m - 0.5) < 5 * sqrt(1.0 / 12 / NR), "random: coordinate %d mean %.4f", j, m);
    }
    free(r);

    /* Above 40 dimensions Sobol falls back to a shifted Halton sequence. */
    double *hx = malloc(sizeof(double) * 50 * 50), *hy = malloc(sizeof(double) * 50 * 50);
    CHECK_OK(llmbo_design(LLMBO_INIT_SOBOL, 50, 50, 3, hx, &err));
    CHECK_OK(llmbo_design(LLMBO_INIT_SOBOL, 50, 50, 3, hy, &err));
    CHECK(in_cube(hx, 2500) && memcmp(hx, hy, sizeof(double) * 2500) == 0,
          "d = 50: Halton fallback in the cube and deterministic");
    free(hx);
    free(hy);

    /* Errors. */
    CHECK(llmbo_design(LLMBO_INIT_LHS, 0, 2, 1, a, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "n = 0"),
          "n = 0 rejected: %s", err.msg);
    CHECK(llmbo_design(LLMBO_INIT_LHS, 4, 2, 1, NULL, &err) == LLMBO_ERR_INVALID,
          "NULL output rejected: %s", err.msg);
    CHECK(llmbo_design((llmbo_init_design)9, 4, 2, 1, a, &err) == LLMBO_ERR_INVALID,
          "unknown type rejected: %s", err.msg);
    CHECK(llmbo_design(LLMBO_INIT_SOBOL, 1, 2000, 1, a, &err) == LLMBO_ERR_UNSUPPORTED,
          "d = 2000 Sobol unsupported: %s", err.msg);
}

/* ---- the optimiser ---------------------------------------------------------------------- */

static double quad1(const double *x, int d)
{
    (void)d;
    return 3.3 * (x[0] - 0.618) * (x[0] - 0.618) - 0.2;
}

static double quad2(const double *x, int d)
{
    (void)d;
    return 2.0 * (x[0] - 0.271) * (x[0] - 0.271) + 1.3 * (x[1] - 0.664) * (x[1] - 0.664) +
           0.4 * (x[0] - 0.271) * (x[1] - 0.664);
}

/* Checks the structural promises of a candidate list. */
static void check_list(llmbo_gp *gp, const llmbo_acq_params *p, const llmbo_candidate *c, int n,
                       int d, double min_dist, const char *what)
{
    int sorted = 1, distinct = 1, consistent = 1;
    for (int i = 0; i < n; i++) {
        if (i > 0 && c[i].acq > c[i - 1].acq)
            sorted = 0;
        for (int j = 0; j < i; j++) {
            double m = 0;
            for (int q = 0; q < d; q++)
                m = fmax(m, fabs(c[i].u[q] - c[j].u[q]));
            distinct &= m >= min_dist && m > 0;
        }
        double mean, var;
        llmbo_gp_predict(gp, c[i].u, &mean, &var, NULL, NULL);
        consistent &= mean == c[i].mean && fabs(sqrt(var) - c[i].std) <= 1e-15 * sqrt(var);
        if (p->type != LLMBO_ACQUISITION_TS)
            consistent &= llmbo_acq_eval(gp, p, c[i].u, NULL) == c[i].acq;
    }
    CHECK(sorted, "%s: %d candidates sorted best first", what, n);
    CHECK(distinct, "%s: candidates pairwise >= %g apart", what, min_dist);
    CHECK(consistent, "%s: mean, std and acq match the GP at each candidate", what);
}

static void test_optimizer_1d(void)
{
    enum { N = 6 };
    double X[N], y[N];
    llmbo_gp *gp = fit_gp(1, N, 5, quad1, X, y);
    /* The last two cases put the incumbent 30 below every observation: EI underflows to 0
     * over the whole cube (and its optimiser has nothing to climb), logEI and log PI do not. */
    llmbo_acquisition types[] = {LLMBO_ACQUISITION_EI,    LLMBO_ACQUISITION_LOGEI,
                                 LLMBO_ACQUISITION_PI,    LLMBO_ACQUISITION_UCB,
                                 LLMBO_ACQUISITION_LOGEI, LLMBO_ACQUISITION_PI};
    for (int t = 0; t < 6; t++) {
        llmbo_acq_params p = {types[t], min_of(y, N) - (t >= 4 ? 30.0 : 0.0), 1.7, 0};
        /* Dense grid: 200001 points. */
        double gbest = -HUGE_VAL, gx = 0;
        for (int i = 0; i <= 200000; i++) {
            double x = i / 200000.0, v = llmbo_acq_eval(gp, &p, &x, NULL);
            if (v > gbest) {
                gbest = v;
                gx = x;
            }
        }
        llmbo_acqopt_options o;
        llmbo_acqopt_options_default(&o, 1);
        o.seed = 42;
        double U[5];
        llmbo_candidate c[5];
        for (int i = 0; i < 5; i++)
            c[i].u = U + i;
        int n = 0;
        llmbo_error err;
        CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 5, c, &n, &err));
        CHECK(n == 5, "1-D %s: 5 candidates (got %d)", llmbo_acquisition_name(types[t]), n);
        CHECK(fabs(c[0].u[0] - gx) < 1e-4, "1-D %s: optimiser x = %.7f vs grid argmax %.7f",
              llmbo_acquisition_name(types[t]), c[0].u[0], gx);
        CHECK(c[0].acq >= gbest - 1e-9 * fabs(gbest),
              "1-D %s: optimiser value %.12g >= grid max %.12g", llmbo_acquisition_name(types[t]),
              c[0].acq, gbest);
        check_list(gp, &p, c, n, 1, fmax(o.min_dist, o.cand_sep), llmbo_acquisition_name(types[t]));
        if (t >= 4) {
            llmbo_acq_params pe = p;
            pe.type = LLMBO_ACQUISITION_EI;
            CHECK(llmbo_acq_eval(gp, &pe, c[0].u, NULL) == 0 && isfinite(c[0].acq),
                  "1-D %s far below the data: EI underflows (0), the log form is %.6g",
                  llmbo_acquisition_name(types[t]), c[0].acq);
        }
    }
    llmbo_gp_free(gp);
}

static void test_optimizer_2d(void)
{
    enum { N = 10, D = 2, K = 6 };
    double X[N * D], y[N];
    llmbo_gp *gp = fit_gp(D, N, 8, quad2, X, y);
    llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, min_of(y, N), 0, 0};
    double gbest = -HUGE_VAL, gx[2] = {0, 0};
    for (int i = 0; i <= 400; i++)
        for (int j = 0; j <= 400; j++) {
            double x[2] = {i / 400.0, j / 400.0}, v = llmbo_acq_eval(gp, &p, x, NULL);
            if (v > gbest) {
                gbest = v;
                gx[0] = x[0];
                gx[1] = x[1];
            }
        }
    llmbo_acqopt_options o;
    llmbo_acqopt_options_default(&o, D);
    o.seed = 3;
    o.anchors = X; /* all observed points as anchors */
    o.n_anchors = N;
    double U[K * D];
    llmbo_candidate c[K];
    for (int i = 0; i < K; i++)
        c[i].u = U + i * D;
    int n = 0;
    llmbo_error err;
    double t0 = llmbo_now();
    CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c, &n, &err));
    double t1 = llmbo_now();
    printf("2-D logEI optimisation: %.2f ms\n", 1e3 * (t1 - t0));
    CHECK(n == K, "2-D logEI: %d candidates", n);
    CHECK(c[0].acq >= gbest - 1e-9 * fabs(gbest), "2-D logEI: optimiser %.12g >= grid max %.12g",
          c[0].acq, gbest);
    /* A peak sharper than the grid can put the grid's best point a few cells away along a ridge;
     * an optimiser value above every grid value is then the better answer. */
    CHECK(fmax(fabs(c[0].u[0] - gx[0]), fabs(c[0].u[1] - gx[1])) <= 2.5e-3 ||
              c[0].acq > gbest + 1e-6 * fabs(gbest),
          "2-D logEI: argmax (%.5f, %.5f) within a grid cell of (%.5f, %.5f) or above the grid max",
          c[0].u[0], c[0].u[1], gx[0], gx[1]);
    check_list(gp, &p, c, n, D, fmax(o.min_dist, o.cand_sep), "2-D logEI");

    /* Without the candidate separation the runners-up crowd around the best point. */
    {
        llmbo_acqopt_options o0 = o;
        o0.cand_sep = 0;
        double U0[K * D];
        llmbo_candidate c0[K];
        for (int i = 0; i < K; i++)
            c0[i].u = U0 + i * D;
        int n0 = 0;
        CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o0, NULL, 0, K, c0, &n0, &err));
        double closest = HUGE_VAL;
        for (int i = 1; i < n0; i++)
            closest =
                fmin(closest, fmax(fabs(c0[i].u[0] - c0[0].u[0]), fabs(c0[i].u[1] - c0[0].u[1])));
        printf("cand_sep = 0: closest runner-up %.4g from the best\n", closest);
        CHECK(n0 == K && closest < 0.05 && c0[0].acq == c[0].acq,
              "cand_sep = 0: same best point, runners-up within 0.05 of it (closest %.3g)",
              closest);
        check_list(gp, &p, c0, n0, D, o0.min_dist, "2-D logEI, cand_sep 0");
    }

    /* Same seed, same answer. */
    double U2[K * D];
    llmbo_candidate c2[K];
    for (int i = 0; i < K; i++)
        c2[i].u = U2 + i * D;
    int n2 = 0;
    CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c2, &n2, &err));
    CHECK(n2 == n && memcmp(U, U2, sizeof U) == 0, "2-D logEI: deterministic for a seed");

    /* Pending points push candidates away; an extra point that beats everything is returned. */
    o.pending = U;
    o.n_pending = 1;
    o.min_dist = 0.05;
    CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c2, &n2, &err));
    int far = 1;
    for (int i = 0; i < n2; i++)
        far &= fmax(fabs(c2[i].u[0] - U[0]), fabs(c2[i].u[1] - U[1])) >= 0.05;
    CHECK(far && n2 == K, "pending point excluded: all %d candidates >= 0.05 from it", n2);
    check_list(gp, &p, c2, n2, D, 0.05, "2-D logEI with pending");
    o.pending = NULL;
    o.n_pending = 0;
    o.min_dist = 1e-3;
    o.n_starts = 0; /* sweep only: the extra (the grid argmax) must come out on top */
    double extra[4] = {0.9, 0.9, gx[0], gx[1]};
    CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, extra, 2, K, c2, &n2, &err));
    CHECK(c2[0].u[0] == gx[0] && c2[0].u[1] == gx[1], "extra point scored and ranked first");

    /* Thompson sampling: samples concentrate near the minimiser (0.271, 0.664) of the data. */
    double Xs[30 * D], ys[30];
    llmbo_gp *gp2 = fit_gp(D, 30, 21, quad2, Xs, ys);
    p.type = LLMBO_ACQUISITION_TS;
    llmbo_acqopt_options_default(&o, D);
    o.seed = 17;
    o.anchors = Xs;
    o.n_anchors = 30;
    t0 = llmbo_now();
    CHECK_OK(llmbo_acq_optimize(gp2, NULL, &p, &o, NULL, 0, 4, c2, &n2, &err));
    t1 = llmbo_now();
    printf("TS (4 samples over %d points): %.2f ms\n", o.ts_max_points, 1e3 * (t1 - t0));
    CHECK(n2 == 4, "TS: 4 candidates (got %d)", n2);
    int near = 1;
    for (int i = 0; i < n2; i++) {
        double dist = hypot(c2[i].u[0] - 0.271, c2[i].u[1] - 0.664);
        printf("  TS candidate %d: (%.4f, %.4f), -min f = %.5g, dist %.4f\n", i, c2[i].u[0],
               c2[i].u[1], c2[i].acq, dist);
        near &= dist < 0.1;
        /* -acq is the sample's minimum: below the posterior mean there, within a few std. */
        near &= -c2[i].acq < c2[i].mean + 6 * c2[i].std + 1e-9 &&
                -c2[i].acq > c2[i].mean - 6 * c2[i].std - 1e-9;
    }
    CHECK(near, "TS: candidates within 0.1 of the minimiser, sample values plausible");
    check_list(gp2, &p, c2, n2, D, fmax(o.min_dist, o.cand_sep), "TS");
    llmbo_gp_free(gp2);
    llmbo_gp_free(gp);
}

/* A box (trust region, box_lo/box_hi) that excludes the cube's acquisition maximum: every
 * candidate lies in the box, and the best is at least the maximum of a 201 x 201 grid over the
 * box (the independent truth), also for Thompson sampling's pool; the anchors (all data, most
 * outside the box) are clamped into it. */
/* Extras never displace the optimiser's own starts. Independent truth: the same call without
 * extras. Over random extras (1-3 uniform points, or points just beside the best pool point,
 * which outrank most sweep points) with only 2 own starts, the best acquisition value found
 * with extras is at least the one found without (the own runs are the same runs; the extras
 * only add rows and runs); and extras that rank below every own start (evaluated points, where
 * a noise-free model's EI is smallest) change nothing, bit for bit. */
static void test_optimizer_extras(void)
{
    enum { N = 9, D = 3, K = 4, T = 60 };
    double X[N * D], y[N];
    llmbo_gp *gp = fit_gp(D, N, 29, test_fn, X, y);
    llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, min_of(y, N), 0, 0};
    llmbo_acqopt_options o;
    llmbo_acqopt_options_default(&o, D);
    o.n_starts = 2;
    o.anchors = X;
    o.n_anchors = N;
    double U0[K * D], U1[K * D], E[3 * D];
    llmbo_candidate c0[K], c1[K];
    for (int i = 0; i < K; i++) {
        c0[i].u = U0 + i * D;
        c1[i].u = U1 + i * D;
    }
    llmbo_error err;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2385);
    int worse = 0, same = 1, n0 = 0, n1 = 0, better = 0;
    for (int t = 0; t < T; t++) {
        o.seed = 100 + (uint64_t)t;
        CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c0, &n0, &err));
        int ne = 1 + t % 3;
        for (int i = 0; i < ne * D; i++)
            E[i] = t % 2 ? gsl_rng_uniform(r)
                         : fmin(1, fmax(0, U0[i % D] + 0.05 * (gsl_rng_uniform(r) - 0.5)));
        CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, E, ne, K, c1, &n1, &err));
        worse += c1[0].acq < c0[0].acq;
        better += c1[0].acq > c0[0].acq;
        /* The data points as extras: below every start. */
        CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, X, 3, K, c1, &n1, &err));
        same &= n1 == n0 && memcmp(U0, U1, sizeof U0) == 0;
        for (int i = 0; i < n0 && i < n1; i++)
            same &= c0[i].acq == c1[i].acq;
    }
    gsl_rng_free(r);
    CHECK(worse == 0,
          "extras: best acquisition never below the one without extras (%d of %d "
          "calls below, %d above)",
          worse, T, better);
    CHECK(same, "extras below every start: candidates bit for bit as without them (%d calls)", T);
    llmbo_gp_free(gp);
}

static void test_optimizer_box(void)
{
    enum { N = 10, D = 2, K = 4 };
    double X[N * D], y[N];
    llmbo_gp *gp = fit_gp(D, N, 8, quad2, X, y);
    llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, min_of(y, N), 0, 0};
    llmbo_acqopt_options o;
    llmbo_acqopt_options_default(&o, D);
    o.seed = 5;
    o.anchors = X;
    o.n_anchors = N;
    double U[K * D];
    llmbo_candidate c[K];
    for (int i = 0; i < K; i++)
        c[i].u = U + i * D;
    int n = 0;
    llmbo_error err;
    CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c, &n, &err));
    double cube_best = c[0].acq;
    /* A box of half-width 0.15 whose centre is 0.35 (inf-norm) from the cube's argmax. */
    double lo[D], hi[D];
    for (int j = 0; j < D; j++) {
        double m = c[0].u[j] < 0.5 ? c[0].u[j] + 0.35 : c[0].u[j] - 0.35;
        lo[j] = m - 0.15;
        hi[j] = m + 0.15;
    }
    double gbest = -HUGE_VAL;
    for (int i = 0; i <= 200; i++)
        for (int j = 0; j <= 200; j++) {
            double x[2] = {lo[0] + (hi[0] - lo[0]) * i / 200.0,
                           lo[1] + (hi[1] - lo[1]) * j / 200.0};
            gbest = fmax(gbest, llmbo_acq_eval(gp, &p, x, NULL));
        }
    o.box_lo = lo;
    o.box_hi = hi;
    CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c, &n, &err));
    int inside = n == K;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < D; j++)
            inside &= c[i].u[j] >= lo[j] && c[i].u[j] <= hi[j];
    CHECK(inside, "box: all %d candidates inside [%.3f, %.3f] x [%.3f, %.3f]", n, lo[0], hi[0],
          lo[1], hi[1]);
    CHECK(c[0].acq >= gbest - 1e-9 * fabs(gbest) && c[0].acq < cube_best,
          "box: optimiser %.12g >= the box's grid max %.12g, below the cube's %.12g", c[0].acq,
          gbest, cube_best);
    /* An extra point outside the box is clamped into it. */
    double extra[2] = {0.0, 1.0};
    CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, extra, 1, K, c, &n, &err));
    inside = n >= 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < D; j++)
            inside &= c[i].u[j] >= lo[j] && c[i].u[j] <= hi[j];
    CHECK(inside, "box with an extra point outside it: %d candidates inside", n);
    p.type = LLMBO_ACQUISITION_TS;
    CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c, &n, &err));
    inside = n >= 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < D; j++)
            inside &= c[i].u[j] >= lo[j] && c[i].u[j] <= hi[j];
    CHECK(inside, "box, Thompson sampling: %d candidates inside", n);
    llmbo_gp_free(gp);
}

static double mixed_fn(const double *u, int d)
{
    (void)d;
    /* Continuous x0, integer x1 in 0..4 (cube cells of 1/5), categorical x2 of 3 choices. */
    double x1 = floor(u[1] * 5), x2 = floor(u[2] * 3);
    return (u[0] - 0.4) * (u[0] - 0.4) + 0.1 * (x1 - 2.6) * (x1 - 2.6) + (x2 == 1 ? -0.3 : 0.2);
}

static void test_optimizer_mixed(void)
{
    enum { N = 20, D = 3, K = 8 };
    llmbo_space *sp = llmbo_space_create();
    const char *const ch[] = {"adam", "sgd", "lion"};
    llmbo_param p0 = {"lr", LLMBO_PARAM_CONTINUOUS, 0, 1, 0, NULL, NULL, NULL};
    llmbo_param p1 = {"layers", LLMBO_PARAM_INTEGER, 0, 4, 0, NULL, NULL, NULL};
    llmbo_param p2 = {"opt", LLMBO_PARAM_CATEGORICAL, 0, 0, 3, ch, NULL, NULL};
    llmbo_error err;
    CHECK_OK(llmbo_space_add(sp, &p0, &err));
    CHECK_OK(llmbo_space_add(sp, &p1, &err));
    CHECK_OK(llmbo_space_add(sp, &p2, &err));
    double X[N * D], y[N];
    llmbo_gp_options go;
    llmbo_gp_options_default(&go);
    llmbo_gp *gp = llmbo_gp_create(D, &go);
    CHECK_OK(llmbo_design(LLMBO_INIT_LHS, N, D, 4, X, &err));
    for (int i = 0; i < N; i++) {
        llmbo_space_round_unit(sp, X + i * D);
        y[i] = mixed_fn(X + i * D, D);
    }
    CHECK_OK(llmbo_gp_fit(gp, X, y, N, 1, &err));
    llmbo_acquisition types[] = {LLMBO_ACQUISITION_LOGEI, LLMBO_ACQUISITION_UCB,
                                 LLMBO_ACQUISITION_TS};
    for (int t = 0; t < 3; t++) {
        llmbo_acq_params p = {types[t], min_of(y, N), 2.0, 0};
        llmbo_acqopt_options o;
        llmbo_acqopt_options_default(&o, D);
        o.seed = 9;
        o.anchors = X;
        o.n_anchors = 3;
        double U[K * D];
        llmbo_candidate c[K];
        for (int i = 0; i < K; i++)
            c[i].u = U + i * D;
        int n = 0;
        CHECK_OK(llmbo_acq_optimize(gp, sp, &p, &o, NULL, 0, K, c, &n, &err));
        int rounded = 1;
        for (int i = 0; i < n; i++) {
            double r[D];
            memcpy(r, c[i].u, sizeof r);
            llmbo_space_round_unit(sp, r);
            rounded &= memcmp(r, c[i].u, sizeof r) == 0;
        }
        CHECK(n == K, "mixed %s: %d candidates", llmbo_acquisition_name(types[t]), n);
        CHECK(rounded, "mixed %s: every candidate is a rounded grid point",
              llmbo_acquisition_name(types[t]));
        check_list(gp, &p, c, n, D, fmax(o.min_dist, o.cand_sep), llmbo_acquisition_name(types[t]));
        if (types[t] != LLMBO_ACQUISITION_TS) {
            /* Best over the whole grid of rounded points, continuous coordinate dense. */
            double gbest = -HUGE_VAL;
            for (int a = 0; a <= 2000; a++)
                for (int b = 0; b < 5; b++)
                    for (int e = 0; e < 3; e++) {
                        double u[3] = {a / 2000.0, (b + 0.5) / 5, (e + 0.5) / 3};
                        gbest = fmax(gbest, llmbo_acq_eval(gp, &p, u, NULL));
                    }
            CHECK(c[0].acq >= gbest - 1e-6 * fabs(gbest) - 1e-9,
                  "mixed %s: best candidate %.10g vs grid best %.10g",
                  llmbo_acquisition_name(types[t]), c[0].acq, gbest);
        }
    }
    /* A space of the wrong dimension is an error. */
    llmbo_space *sp2 = llmbo_space_create();
    CHECK_OK(llmbo_space_add(sp2, &p0, &err));
    llmbo_acq_params p = {LLMBO_ACQUISITION_EI, 0, 0, 0};
    llmbo_acqopt_options o;
    llmbo_acqopt_options_default(&o, D);
    double U[D];
    llmbo_candidate c = {U, 0, 0, 0};
    int n;
    CHECK(llmbo_acq_optimize(gp, sp2, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "space has 1"),
          "space dimension mismatch: %s", err.msg);
    llmbo_space_free(sp2);
    llmbo_space_free(sp);
    llmbo_gp_free(gp);
}

/* A space with only 2 x 3 = 6 points: asking for 10 candidates gives exactly the 6 grid
 * points, each once, for the acquisitions and for Thompson sampling. */
static void test_optimizer_small_space(void)
{
    enum { D = 2, K = 10 };
    llmbo_space *sp = llmbo_space_create();
    const char *const ch[] = {"a", "b", "c"};
    llmbo_param p0 = {"flag", LLMBO_PARAM_INTEGER, 0, 1, 0, NULL, NULL, NULL};
    llmbo_param p1 = {"kind", LLMBO_PARAM_CATEGORICAL, 0, 0, 3, ch, NULL, NULL};
    llmbo_error err;
    CHECK_OK(llmbo_space_add(sp, &p0, &err));
    CHECK_OK(llmbo_space_add(sp, &p1, &err));
    double X[3 * D] = {0.25, 1.0 / 6, 0.75, 0.5, 0.25, 5.0 / 6}, y[3] = {1.3, -0.4, 0.9};
    llmbo_gp *gp = llmbo_gp_create(D, NULL);
    CHECK_OK(llmbo_gp_fit(gp, X, y, 3, 1, &err));
    llmbo_acquisition types[] = {LLMBO_ACQUISITION_LOGEI, LLMBO_ACQUISITION_TS};
    for (int t = 0; t < 2; t++) {
        llmbo_acq_params p = {types[t], -0.4, 0, 0};
        llmbo_acqopt_options o;
        llmbo_acqopt_options_default(&o, D);
        o.seed = 5;
        double U[K * D];
        llmbo_candidate c[K];
        for (int i = 0; i < K; i++)
            c[i].u = U + i * D;
        int n = -1, seen[6] = {0}, ok = 1;
        CHECK_OK(llmbo_acq_optimize(gp, sp, &p, &o, NULL, 0, K, c, &n, &err));
        for (int i = 0; i < n; i++) {
            int a = (int)floor(c[i].u[0] * 2), b = (int)floor(c[i].u[1] * 3);
            ok &= c[i].u[0] == (a + 0.5) / 2 && c[i].u[1] == (b + 0.5) / 3;
            if (a >= 0 && a < 2 && b >= 0 && b < 3)
                seen[a * 3 + b]++;
        }
        for (int g = 0; g < 6; g++)
            ok &= seen[g] == 1;
        /* TS: each sample takes its best point not yet taken, so 10 samples cover all 6. */
        CHECK(n == 6 && ok, "small space, %s: each of the 6 grid points exactly once (n = %d)",
              llmbo_acquisition_name(types[t]), n);
    }
    llmbo_gp_free(gp);
    llmbo_space_free(sp);
}

/* Merging of L-BFGS runs (llmbo_acqopt_options.merge): on GPs in 4 and 6 dimensions late in a
 * search (many points, a sharply peaked logEI), the runs that climb an already found maximum
 * stop early, so merging spends fewer evaluations, and the best candidate is as good as the one
 * of the same search without merging. */
static void test_optimizer_merge(void)
{
    enum { N = 60, K = 5 };
    const int dims[3] = {4, 6, 6};
    const uint64_t seeds[3] = {17, 23, 29};
    for (int t = 0; t < 3; t++) {
        int d = dims[t];
        double X[N * 6], y[N], U[2][K * 6];
        llmbo_gp *gp = fit_gp(d, N, seeds[t], test_fn, X, y);
        int bi = 0;
        for (int i = 1; i < N; i++)
            bi = y[i] < y[bi] ? i : bi;
        llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, y[bi], 0, 0};
        llmbo_acqopt_stats st[2];
        llmbo_candidate c[2][K];
        int n[2];
        llmbo_error err;
        for (int m = 0; m < 2; m++) {
            llmbo_acqopt_options o;
            llmbo_acqopt_options_default(&o, d);
            o.seed = seeds[t];
            o.anchors = X + (size_t)bi * d;
            o.n_anchors = 1;
            o.merge = m == 0 ? 0.0 : 0.05;
            o.stats = &st[m];
            for (int i = 0; i < K; i++)
                c[m][i].u = U[m] + (size_t)i * d;
            CHECK_OK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c[m], &n[m], &err));
            check_list(gp, &p, c[m], n[m], d, fmax(o.min_dist, o.cand_sep),
                       m ? "merge on" : "merge off");
        }
        printf("merge, d = %d: %ld evaluations, %d of %d runs merged (off: %ld); best logEI %.10g "
               "(off: %.10g)\n",
               d, st[1].evals, st[1].merged, st[1].runs, st[0].evals, c[1][0].acq, c[0][0].acq);
        CHECK(st[0].merged == 0 && st[0].runs == 32 && st[1].runs == 32,
              "merge d = %d: 32 runs each, none merged when off (%d)", d, st[0].merged);
        CHECK(st[1].merged > 0 && st[1].evals < st[0].evals,
              "merge d = %d: %d runs merged, %ld < %ld evaluations", d, st[1].merged, st[1].evals,
              st[0].evals);
        CHECK(c[1][0].acq >= c[0][0].acq - 1e-6 * fabs(c[0][0].acq),
              "merge d = %d: best logEI %.12g, without merging %.12g", d, c[1][0].acq, c[0][0].acq);
        llmbo_gp_free(gp);
    }
}

static void test_optimizer_errors(void)
{
    enum { N = 5, D = 2 };
    double X[N * D], y[N];
    llmbo_gp *gp = fit_gp(D, N, 2, quad2, X, y);
    llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, min_of(y, N), 0, 0};
    llmbo_acqopt_options o;
    llmbo_acqopt_options_default(&o, D);
    double U[D];
    llmbo_candidate c = {U, 0, 0, 0};
    int n = 7;
    llmbo_error err;
    CHECK(llmbo_acq_optimize(NULL, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              n == 0,
          "NULL gp: %s", err.msg);
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 0, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "k = 0"),
          "k = 0: %s", err.msg);
    double bad[2] = {0.5, NAN};
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, bad, 1, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "extra point 0, coordinate 1"),
          "NaN extra: %s", err.msg);
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 2, 1, &c, &n, &err) == LLMBO_ERR_INVALID,
          "counted but NULL extra: %s", err.msg);
    o.max_eval = 0;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "max_eval"),
          "max_eval 0: %s", err.msg);
    llmbo_acqopt_options_default(&o, D);
    o.merge = -0.05;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "merge = -0.05"),
          "negative merge: %s", err.msg);
    llmbo_acqopt_options_default(&o, D);
    o.n_sweep = 0;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "empty"),
          "empty pool: %s", err.msg);
    llmbo_acqopt_options_default(&o, D);
    double blo[2] = {0.2, 0.6}, bhi[2] = {0.3, 0.5};
    o.box_lo = blo;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "both set"),
          "box_lo without box_hi: %s", err.msg);
    o.box_hi = bhi;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "box coordinate 1 is [0.6, 0.5]"),
          "empty box: %s", err.msg);
    llmbo_acqopt_options_default(&o, D);
    p.best = NAN;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "best"),
          "NaN incumbent: %s", err.msg);
    /* Only the rows flagged LLMBO_ACQ_NEEDS_BEST use the incumbent: UCB runs without one. */
    p.type = LLMBO_ACQUISITION_UCB;
    p.beta = 2.385;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_OK && n == 1,
          "UCB with a NaN incumbent: %d candidate", n);
    p.type = LLMBO_ACQUISITION_EI;
    p.beta = 0;
    p.best = 0;
    p.type = (llmbo_acquisition)17;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID,
          "unknown acquisition: %s", err.msg);
    p.type = LLMBO_ACQUISITION_EI;
    c.u = NULL;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "out[0].u"),
          "NULL candidate storage: %s", err.msg);
    c.u = U;
    p.type = LLMBO_ACQUISITION_TS;
    o.ts_max_points = 0;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "ts_max_points"),
          "TS with no points: %s", err.msg);
    llmbo_acqopt_options_default(&o, D);
    p.type = LLMBO_ACQUISITION_EI;
    o.n_local = -1;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "negative"),
          "negative count: %s", err.msg);
    llmbo_acqopt_options_default(&o, D);
    o.min_dist = NAN;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "min_dist"),
          "NaN min_dist: %s", err.msg);
    llmbo_acqopt_options_default(&o, D);
    double anc[2] = {INFINITY, 0.5};
    o.anchors = anc;
    o.n_anchors = 1;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "anchor point 0, coordinate 0"),
          "infinite anchor: %s", err.msg);
    llmbo_acqopt_options_default(&o, D);
    /* A pending point covering the whole cube leaves nothing. */
    double mid[2] = {0.5, 0.5};
    o.pending = mid;
    o.n_pending = 1;
    o.min_dist = 0.6;
    CHECK(llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &n, &err) == LLMBO_ERR_NUMERIC &&
              n == 0,
          "all candidates pending: %s", err.msg);
    llmbo_gp_free(gp);
}

/* ---- allocation failures ---------------------------------------------------------------- */

static void test_alloc_failures(void)
{
    enum { N = 8, D = 2, K = 3 };
    double X[N * D], y[N];
    llmbo_gp *gp = fit_gp(D, N, 13, quad2, X, y);
    llmbo_acquisition types[] = {LLMBO_ACQUISITION_LOGEI, LLMBO_ACQUISITION_TS};
    for (int t = 0; t < 2; t++) {
        llmbo_acq_params p = {types[t], min_of(y, N), 0, 0};
        llmbo_acqopt_options o;
        llmbo_acqopt_options_default(&o, D);
        o.anchors = X;
        o.n_anchors = 2;
        o.n_sweep = 64;
        o.ts_max_points = 64;
        double U[K * D];
        llmbo_candidate c[K];
        for (int i = 0; i < K; i++)
            c[i].u = U + i * D;
        int n, only_nomem = 1, sweeps = 0;
        llmbo_status st = LLMBO_ERR_NOMEM;
        llmbo_error err;
        for (long f = 1; f < 1000 && st != LLMBO_OK; f++) {
            llmbo_test_fail_after(f);
            st = llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, K, c, &n, &err);
            llmbo_test_fail_after(0);
            only_nomem &= st == LLMBO_OK || st == LLMBO_ERR_NOMEM;
            sweeps++;
        }
        CHECK(st == LLMBO_OK && only_nomem && sweeps > 1,
              "acq_optimize %s: every one of %d failing allocations reported as NOMEM",
              llmbo_acquisition_name(types[t]), sweeps - 1);
    }
    for (int t = 0; t < 3; t++) {
        double u[16 * 3];
        int only_nomem = 1, sweeps = 0;
        llmbo_status st = LLMBO_ERR_NOMEM;
        llmbo_error err;
        for (long f = 1; f < 100 && st != LLMBO_OK; f++) {
            llmbo_test_fail_after(f);
            st = llmbo_design((llmbo_init_design)t, 16, 3, 1, u, &err);
            llmbo_test_fail_after(0);
            only_nomem &= st == LLMBO_OK || st == LLMBO_ERR_NOMEM;
            sweeps++;
        }
        CHECK(st == LLMBO_OK && only_nomem, "design %s: %d failing allocations reported as NOMEM",
              llmbo_init_design_name((llmbo_init_design)t), sweeps - 1);
    }
    llmbo_gp_free(gp);
}

/* Local penalisation (Gonzalez et al. 2016): the penaliser against its closed form
 * sum_j log(erfc(-z_j / sqrt 2) / 2), z_j = (|x - c_j| - r_j) / s_j, in long double; its
 * gradient against central differences; the penalised optimiser against a dense grid of
 * logEI + penalty; and its argument checks. */
static void test_local_penalty(void)
{
    enum { D = 3, NB = 2 };
    const double c[NB * D] = {0.25, 0.5, 0.75, 0.6, 0.1, 0.35};
    const double r[NB] = {0.0831, -0.0457}, sw[NB] = {0.0412, 0.137};
    llmbo_lp_balls b = {NB, c, r, sw};
    const double pts[5][D] = {
        {0.25, 0.5, 0.75}, {0.3, 0.52, 0.71}, {0.6, 0.1, 0.35}, {0.9, 0.9, 0.05}, {0.0, 1.0, 1.0}};
    for (int t = 0; t < 5; t++) {
        long double truth = 0;
        for (int j = 0; j < NB; j++) {
            long double r2 = 0;
            for (int k = 0; k < D; k++)
                r2 += ((long double)pts[t][k] - c[j * D + k]) *
                      ((long double)pts[t][k] - c[j * D + k]);
            long double z = (sqrtl(r2) - r[j]) / sw[j];
            truth += logl(0.5L * erfcl(-z / sqrtl(2.0L)));
        }
        double g[D];
        CHECK_NEAR(llmbo_lp_log_penalty(&b, D, pts[t], g), (double)truth, 1e-13, 1e-15);
    }
    /* At the first centre only the second ball counts in the gradient; the first ball's own
     * term there is log Phi(-r / s). */
    const double x0[D] = {0.4137, 0.2951, 0.6602};
    double g[D], gp[D], xp[D], xm[D];
    llmbo_lp_log_penalty(&b, D, x0, g);
    for (int k = 0; k < D; k++) {
        double h = 1e-6;
        memcpy(xp, x0, sizeof xp);
        memcpy(xm, x0, sizeof xm);
        xp[k] += h;
        xm[k] -= h;
        double fd =
            (llmbo_lp_log_penalty(&b, D, xp, gp) - llmbo_lp_log_penalty(&b, D, xm, gp)) / (2 * h);
        CHECK_NEAR(g[k], fd, 1e-6, 1e-8);
    }
    llmbo_lp_balls none = {0, NULL, NULL, NULL};
    CHECK(llmbo_lp_log_penalty(&none, D, x0, g) == 0 && g[0] == 0, "no balls: no penalty");

    /* The optimiser: a 2-D GP, one ball at the unpenalised logEI maximiser. */
    enum { N = 10, K = 4 };
    double X[N * 2], y[N];
    llmbo_gp *gp2 = fit_gp(2, N, 8, quad2, X, y);
    llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, min_of(y, N), 0, 0};
    llmbo_acqopt_options o;
    llmbo_acqopt_options_default(&o, 2);
    o.seed = 3;
    o.anchors = X;
    o.n_anchors = N;
    double U[K * 2], U1[K * 2];
    llmbo_candidate cd[K], cp[K];
    for (int i = 0; i < K; i++) {
        cd[i].u = U + i * 2;
        cp[i].u = U1 + i * 2;
    }
    int n = 0, n1 = 0;
    llmbo_error err;
    CHECK_OK(llmbo_acq_optimize(gp2, NULL, &p, &o, NULL, 0, K, cd, &n, &err));
    double bc[2] = {cd[0].u[0], cd[0].u[1]}, br = 0.0, bs = 0.08;
    llmbo_lp_balls ball = {1, bc, &br, &bs};
    o.lp = &ball;
    CHECK_OK(llmbo_acq_optimize(gp2, NULL, &p, &o, NULL, 0, K, cp, &n1, &err));
    double gbest = -HUGE_VAL;
    for (int i = 0; i <= 400; i++)
        for (int j = 0; j <= 400; j++) {
            double x[2] = {i / 400.0, j / 400.0};
            gbest = fmax(gbest, llmbo_acq_eval(gp2, &p, x, NULL) +
                                    llmbo_lp_log_penalty(&ball, 2, x, NULL));
        }
    double pen0 = llmbo_lp_log_penalty(&ball, 2, cp[0].u, NULL);
    CHECK(n1 == K && cp[0].acq >= gbest - 1e-9 * fabs(gbest),
          "penalised logEI: optimiser %.12g >= grid max %.12g", cp[0].acq, gbest);
    CHECK_NEAR(cp[0].acq, llmbo_acq_eval(gp2, &p, cp[0].u, NULL) + pen0, 1e-12, 1e-12);
    double moved = fmax(fabs(cp[0].u[0] - bc[0]), fabs(cp[0].u[1] - bc[1]));
    CHECK(moved > 0.05, "penalised logEI: the best candidate left the ball (%.3g away)", moved);
    for (int i = 1; i < n1; i++)
        CHECK(cp[i].acq <= cp[i - 1].acq, "penalised candidates sorted (%d)", i);

    /* Argument checks: logEI only, widths > 0. */
    p.type = LLMBO_ACQUISITION_EI;
    CHECK(llmbo_acq_optimize(gp2, NULL, &p, &o, NULL, 0, K, cp, &n1, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "logei"),
          "local penalisation with EI refused: %s", err.msg);
    p.type = LLMBO_ACQUISITION_LOGEI;
    bs = 0;
    CHECK(llmbo_acq_optimize(gp2, NULL, &p, &o, NULL, 0, K, cp, &n1, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "ball 0"),
          "a ball of width 0 refused: %s", err.msg);
    llmbo_gp_free(gp2);
}

/* EI in closed form from a prediction, in long double: (best - mean) Phi(z) + s phi(z). */
static long double ei_closed(double best, double mean, double var)
{
    long double s = sqrtl((long double)var), z = ((long double)best - mean) / s;
    return s * h_ld(z);
}

/* The integrated acquisition (llmbo_acq_eval_mix, Snoek et al. 2012): one model gives exactly
 * the single model's value and the closed form; two models give the mean of their EI values
 * (logEI: the log of that mean, not the mean of the logs), with gradients against central
 * differences; the optimiser with models maximises the averaged acquisition (2-D grid). */
static void test_acq_mix(void)
{
    enum { D = 2, N = 10, K = 3 };
    double X[N * D], y[N];
    llmbo_gp *g1 = fit_gp(D, N, 8, quad2, X, y);
    double th[D + 2];
    llmbo_gp_get_theta(g1, th);
    th[0] += log(0.4); /* a second hyperparameter sample: shorter lengthscales */
    th[1] += log(0.6);
    th[D] += 0.5;
    llmbo_gp_options go;
    llmbo_gp_options_default(&go);
    go.fit_noise = 0;
    go.noise = g1->opt.noise;
    llmbo_gp *g2 = llmbo_gp_create(D, &go);
    CHECK_OK(llmbo_gp_set_theta(g2, th, NULL));
    CHECK_OK(llmbo_gp_fit(g2, X, y, N, 0, NULL));
    llmbo_gp *one[1] = {g1}, *two[2] = {g1, g2};
    double work[LLMBO_ACQ_MIX_WORK(D, 2)], ymin = min_of(y, N);
    double pts[4][D] = {{0.385, 0.712}, {0.9, 0.1}, {0.271, 0.5}, {0.05, 0.95}};
    llmbo_acq_params pe = {LLMBO_ACQUISITION_EI, ymin, 0, 0};
    llmbo_acq_params pl = {LLMBO_ACQUISITION_LOGEI, ymin, 0, 0};
    for (int i = 0; i < 4; i++) {
        double m1, v1, m2, v2;
        llmbo_gp_predict(g1, pts[i], &m1, &v1, NULL, NULL);
        llmbo_gp_predict(g2, pts[i], &m2, &v2, NULL, NULL);
        long double e1 = ei_closed(ymin, m1, v1), e2 = ei_closed(ymin, m2, v2);
        double single = llmbo_acq_eval_mix(one, 1, &pe, pts[i], NULL, work);
        CHECK(single == llmbo_acq_eval(g1, &pe, pts[i], NULL), "one sample: the model's EI");
        CHECK_NEAR(single, (double)e1, 1e-10, 1e-300);
        CHECK_NEAR(llmbo_acq_eval_mix(one, 1, &pl, pts[i], NULL, work), (double)logl(e1), 1e-10,
                   1e-12);
        CHECK_NEAR(llmbo_acq_eval_mix(two, 2, &pe, pts[i], NULL, work), (double)((e1 + e2) / 2),
                   1e-9, 1e-300);
        CHECK_NEAR(llmbo_acq_eval_mix(two, 2, &pl, pts[i], NULL, work), (double)logl((e1 + e2) / 2),
                   1e-9, 1e-12);
        /* Gradients of both forms against central differences. */
        const llmbo_acq_params *ps[2] = {&pe, &pl};
        for (int t = 0; t < 2; t++) {
            double g[D];
            llmbo_acq_eval_mix(two, 2, ps[t], pts[i], g, work);
            for (int j = 0; j < D; j++) {
                double xp[D], xm[D], h = 1e-6;
                memcpy(xp, pts[i], sizeof xp);
                memcpy(xm, pts[i], sizeof xm);
                xp[j] += h;
                xm[j] -= h;
                double fd = (llmbo_acq_eval_mix(two, 2, ps[t], xp, NULL, work) -
                             llmbo_acq_eval_mix(two, 2, ps[t], xm, NULL, work)) /
                            (2 * h);
                CHECK_NEAR(g[j], fd, 1e-4, 1e-7);
            }
        }
    }
    /* The optimiser over the average of two models reaches the grid maximum of that average. */
    llmbo_acqopt_options o;
    llmbo_acqopt_options_default(&o, D);
    o.seed = 7;
    o.anchors = X;
    o.n_anchors = N;
    o.models = two;
    o.n_models = 2;
    double U[K * D];
    llmbo_candidate c[K];
    for (int i = 0; i < K; i++)
        c[i].u = U + i * D;
    int n = 0;
    CHECK_OK(llmbo_acq_optimize(g1, NULL, &pl, &o, NULL, 0, K, c, &n, NULL));
    double gbest = -HUGE_VAL;
    for (int i = 0; i <= 200; i++)
        for (int j = 0; j <= 200; j++) {
            double x[2] = {i / 200.0, j / 200.0};
            gbest = fmax(gbest, llmbo_acq_eval_mix(two, 2, &pl, x, NULL, work));
        }
    CHECK(n >= 1 && c[0].acq >= gbest - 1e-3, "averaged logEI: optimiser %.6g, grid %.6g",
          n ? c[0].acq : -HUGE_VAL, gbest);
    CHECK(n >= 1 && c[0].acq == llmbo_acq_eval_mix(two, 2, &pl, c[0].u, NULL, work),
          "the candidate's acq is the averaged value at its point");
    /* One model in the list is the plain optimisation, candidate for candidate. */
    double U1[K * D];
    llmbo_candidate c1[K];
    for (int i = 0; i < K; i++)
        c1[i].u = U1 + i * D;
    int n1 = 0;
    o.models = NULL;
    o.n_models = 0;
    CHECK_OK(llmbo_acq_optimize(g1, NULL, &pl, &o, NULL, 0, K, c1, &n1, NULL));
    o.models = one;
    o.n_models = 1;
    CHECK_OK(llmbo_acq_optimize(g1, NULL, &pl, &o, NULL, 0, K, c, &n, NULL));
    CHECK(n == n1 && memcmp(U, U1, sizeof(double) * (size_t)n * D) == 0,
          "models = {gp}: the same candidates as without models");
    o.n_models = 2;
    o.models = NULL;
    llmbo_error err;
    CHECK(llmbo_acq_optimize(g1, NULL, &pl, &o, NULL, 0, K, c, &n, &err) == LLMBO_ERR_INVALID,
          "n_models without models: %s", err.msg);
    llmbo_gp_free(g2);
    llmbo_gp_free(g1);
}

int main(void)
{
    llmbo_init();
    test_log_h();
    test_closed_forms();
    test_gradients();
    test_designs();
    test_optimizer_1d();
    test_optimizer_2d();
    test_optimizer_box();
    test_optimizer_extras();
    test_optimizer_mixed();
    test_optimizer_small_space();
    test_optimizer_merge();
    test_optimizer_errors();
    test_local_penalty();
    test_alloc_failures();
    test_acq_mix();
    return check_summary();
}
