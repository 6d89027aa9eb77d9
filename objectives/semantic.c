/* semantic.c: three objectives whose parameters have real names, units and meaning, so an
 * advisor's prior knowledge can help.
 *
 * pid: a PID controller (Kp, Ki, Kd) drives the plant G(s) = K e^(-theta s) / ((tau1 s + 1)
 *   (tau2 s + 1)), K = 2, tau1 = 1.5 s, tau2 = 0.5 s, dead time theta = 0.3 s, to a unit setpoint
 *   step. The controller runs every dt = 0.01 s: error e = 1 - y, integral with conditional
 *   anti-windup, derivative on the measurement through a first-order filter (Tf = 0.05 s),
 *   output clamped to [-5, 5] and held over the step (zero-order hold), delayed by theta; the
 *   plant is integrated with classical RK4 over each step for 20 s. Cost (minimised) =
 *   integral of |e| dt + 5 * max(0, max y - 1).
 * reaction: a batch reactor with A -> B (k1 [A]), B -> C (k2 [B]) and the side reaction
 *   2A -> D (k3 [A]^2). Arrhenius rates k = k_ref exp(-Ea/R (1/T - 1/T_ref)), T_ref = 80 degC;
 *   the catalyst speeds the first two in proportion to its effective loading
 *   L / (1 + (L/6)^2) (aggregation at high loading). Integrated with GSL's rk8pd (relative and
 *   absolute tolerance 1e-12). Value (maximised) = 100 [B](t) / [A]0, the yield of B in percent.
 * krr: Gaussian-kernel ridge regression (alpha = (K + lambda I)^-1 y, Rasmussen & Williams
 *   eq. 2.27 without the noise interpretation) fitted with GSL's Cholesky on 40 noisy samples of
 *   sin(6x) + 0.3 cos(17x) on [0, 1] (noise sd 0.15, GSL mt19937 seed 20240611), scored by RMSE
 *   on 100 further noisy samples (minimised).
 * The best known values come from dense searches recorded at the bottom of this file. */
#include <math.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "objective_impl.h"

/* ---------------------------------------------------------------------------------------------
 * pid
 * ------------------------------------------------------------------------------------------- */
const llmbo_param llmbo_semantic_pid_params[3] = {
    {.name = "Kp",
     .type = LLMBO_PARAM_LOG,
     .lo = 0.05,
     .hi = 20,
     .unit = "1",
     .description = "proportional gain: controller output per unit of setpoint error"},
    {.name = "Ki",
     .type = LLMBO_PARAM_LOG,
     .lo = 0.01,
     .hi = 20,
     .unit = "1/s",
     .description = "integral gain: output per unit of integrated error per second"},
    {.name = "Kd",
     .type = LLMBO_PARAM_LOG,
     .lo = 0.001,
     .hi = 10,
     .unit = "s",
     .description = "derivative gain: output per unit rate of change of the measurement"},
};

#define PID_K      2.0
#define PID_TAU1   1.5
#define PID_TAU2   0.5
#define PID_DT     0.01
#define PID_STEPS  2000 /* 20 s */
#define PID_DELAY  30   /* dead time 0.3 s in steps */
#define PID_TF     0.05
#define PID_UMAX   5.0
#define PID_W_OVER 5.0

/* Plant state derivative for input u: x1' = (K u - x1) / tau1, x2' = (x1 - x2) / tau2. */
static void pid_plant(const double *s, double u, double *ds)
{
    ds[0] = (PID_K * u - s[0]) / PID_TAU1;
    ds[1] = (s[0] - s[1]) / PID_TAU2;
}

double llmbo_semantic_pid(const double *x, int d)
{
    (void)d;
    double kp = x[0], ki = x[1], kd = x[2];
    double s[2] = {0, 0};   /* plant state; y = s[1] */
    double ubuf[PID_DELAY]; /* ring buffer of the last PID_DELAY controller outputs */
    for (int i = 0; i < PID_DELAY; i++)
        ubuf[i] = 0;
    double integ = 0, dfilt = 0, yprev = 0, iae = 0, ymax = 0;
    for (int k = 0; k < PID_STEPS; k++) {
        double y = s[1], e = 1 - y;
        dfilt = (PID_TF * dfilt + (y - yprev)) / (PID_TF + PID_DT);
        yprev = y;
        double inew = integ + e * PID_DT;
        double u = kp * e + ki * inew - kd * dfilt;
        /* Conditional integration: do not integrate while saturated in the error's direction. */
        if (fabs(u) > PID_UMAX && u * e > 0)
            u = kp * e + ki * integ - kd * dfilt;
        else
            integ = inew;
        if (u > PID_UMAX)
            u = PID_UMAX;
        if (u < -PID_UMAX)
            u = -PID_UMAX;
        double ud = ubuf[k % PID_DELAY]; /* output of PID_DELAY steps ago (0 before t = 0) */
        ubuf[k % PID_DELAY] = u;
        double k1[2], k2[2], k3[2], k4[2], t[2];
        pid_plant(s, ud, k1);
        for (int i = 0; i < 2; i++)
            t[i] = s[i] + 0.5 * PID_DT * k1[i];
        pid_plant(t, ud, k2);
        for (int i = 0; i < 2; i++)
            t[i] = s[i] + 0.5 * PID_DT * k2[i];
        pid_plant(t, ud, k3);
        for (int i = 0; i < 2; i++)
            t[i] = s[i] + PID_DT * k3[i];
        pid_plant(t, ud, k4);
        for (int i = 0; i < 2; i++)
            s[i] += PID_DT / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        iae += fabs(e) * PID_DT;
        if (s[1] > ymax)
            ymax = s[1];
    }
    return iae + PID_W_OVER * (ymax > 1 ? ymax - 1 : 0);
}

/* ---------------------------------------------------------------------------------------------
 * reaction
 * ------------------------------------------------------------------------------------------- */
const llmbo_param llmbo_semantic_reaction_params[4] = {
    {.name = "temperature",
     .type = LLMBO_PARAM_CONTINUOUS,
     .lo = 40,
     .hi = 120,
     .unit = "degC",
     .description = "reactor temperature, held constant"},
    {.name = "time",
     .type = LLMBO_PARAM_CONTINUOUS,
     .lo = 5,
     .hi = 480,
     .unit = "min",
     .description = "reaction time before quenching"},
    {.name = "concentration",
     .type = LLMBO_PARAM_CONTINUOUS,
     .lo = 0.1,
     .hi = 2.0,
     .unit = "mol/L",
     .description = "initial concentration of the starting material A"},
    {.name = "catalyst",
     .type = LLMBO_PARAM_LOG,
     .lo = 0.1,
     .hi = 20,
     .unit = "mol%",
     .description = "catalyst loading relative to A"},
};

#define RX_R     8.314462618 /* J / (mol K) */
#define RX_TREF  353.15      /* 80 degC */
#define RX_K1REF 0.05        /* 1/min per mol% of effective catalyst */
#define RX_E1    65e3        /* J/mol */
#define RX_K2REF 0.004       /* 1/min per mol% of effective catalyst */
#define RX_E2    90e3
#define RX_K3REF 0.05 /* L / (mol min) */
#define RX_E3    35e3
#define RX_LSAT  6.0 /* mol%: loading at which aggregation halves the catalyst's activity gain */

typedef struct rx_rates {
    double k1, k2, k3;
} rx_rates;

static int rx_rhs(double t, const double c[], double dc[], void *params)
{
    (void)t;
    const rx_rates *k = params;
    double r1 = k->k1 * c[0], r2 = k->k2 * c[1], r3 = k->k3 * c[0] * c[0];
    dc[0] = -r1 - 2 * r3;
    dc[1] = r1 - r2;
    return GSL_SUCCESS;
}

double llmbo_semantic_reaction(const double *x, int d)
{
    (void)d;
    double T = x[0] + 273.15, tend = x[1], c0 = x[2], load = x[3];
    double leff = load / (1 + (load / RX_LSAT) * (load / RX_LSAT));
    double arr = 1 / T - 1 / RX_TREF;
    rx_rates k = {RX_K1REF * leff * exp(-RX_E1 / RX_R * arr),
                  RX_K2REF * leff * exp(-RX_E2 / RX_R * arr), RX_K3REF * exp(-RX_E3 / RX_R * arr)};
    gsl_odeiv2_system sys = {rx_rhs, NULL, 2, &k};
    gsl_odeiv2_driver *drv =
        gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, 1e-3, 1e-12, 1e-12);
    if (!drv)
        return NAN;
    double c[2] = {c0, 0}, t = 0;
    int st = gsl_odeiv2_driver_apply(drv, &t, tend, c);
    gsl_odeiv2_driver_free(drv);
    if (st != GSL_SUCCESS)
        return NAN;
    return 100 * c[1] / c0;
}

/* ---------------------------------------------------------------------------------------------
 * krr
 * ------------------------------------------------------------------------------------------- */
const llmbo_param llmbo_semantic_krr_params[2] = {
    {.name = "lambda",
     .type = LLMBO_PARAM_LOG,
     .lo = 1e-8,
     .hi = 10,
     .unit = "1",
     .description = "ridge regularisation added to the kernel matrix diagonal"},
    {.name = "length_scale",
     .type = LLMBO_PARAM_LOG,
     .lo = 1e-3,
     .hi = 3,
     .unit = "1",
     .description = "width of the Gaussian kernel exp(-(x - x')^2 / (2 l^2)), inputs in [0, 1]"},
};

#define KRR_NTR   40
#define KRR_NVA   100
#define KRR_SEED  20240611UL
#define KRR_NOISE 0.15

static double krr_truth(double x)
{
    return sin(6 * x) + 0.3 * cos(17 * x);
}

int llmbo_semantic_krr_data(double *xtr, double *ytr, double *xva, double *yva)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return -1;
    gsl_rng_set(r, KRR_SEED);
    for (int i = 0; i < KRR_NTR; i++) {
        xtr[i] = gsl_rng_uniform(r);
        ytr[i] = krr_truth(xtr[i]) + gsl_ran_gaussian(r, KRR_NOISE);
    }
    for (int i = 0; i < KRR_NVA; i++) {
        xva[i] = gsl_rng_uniform(r);
        yva[i] = krr_truth(xva[i]) + gsl_ran_gaussian(r, KRR_NOISE);
    }
    gsl_rng_free(r);
    return 0;
}

double llmbo_semantic_krr(const double *x, int d)
{
    (void)d;
    double lambda = x[0], ell = x[1];
    double xtr[KRR_NTR], ytr[KRR_NTR], xva[KRR_NVA], yva[KRR_NVA];
    if (llmbo_semantic_krr_data(xtr, ytr, xva, yva) != 0)
        return NAN;
    gsl_matrix *K = gsl_matrix_alloc(KRR_NTR, KRR_NTR);
    gsl_vector *alpha = gsl_vector_alloc(KRR_NTR);
    double rmse = NAN;
    if (K && alpha) {
        for (int i = 0; i < KRR_NTR; i++)
            for (int j = 0; j < KRR_NTR; j++) {
                double dx = xtr[i] - xtr[j];
                gsl_matrix_set(K, i, j, exp(-dx * dx / (2 * ell * ell)) + (i == j ? lambda : 0));
            }
        gsl_vector_view yv = gsl_vector_view_array(ytr, KRR_NTR);
        if (gsl_linalg_cholesky_decomp1(K) == GSL_SUCCESS &&
            gsl_linalg_cholesky_solve(K, &yv.vector, alpha) == GSL_SUCCESS) {
            double sse = 0;
            for (int i = 0; i < KRR_NVA; i++) {
                double f = 0;
                for (int j = 0; j < KRR_NTR; j++) {
                    double dx = xva[i] - xtr[j];
                    f += gsl_vector_get(alpha, j) * exp(-dx * dx / (2 * ell * ell));
                }
                sse += (f - yva[i]) * (f - yva[i]);
            }
            rmse = sqrt(sse / KRR_NVA);
        }
    }
    gsl_matrix_free(K);
    gsl_vector_free(alpha);
    return rmse;
}

/* ---------------------------------------------------------------------------------------------
 * Best known points, from tests/tools/semantic_search.c (a grid over each space's unit cube,
 * log parameters on a log grid: pid 60^3, reaction 24^4, krr 300^2 points; then NLopt BOBYQA,
 * xtol_rel 1e-12, from the five best grid points). Values: pid 0.92363713390466606 (best grid
 * point 0.9542), reaction 81.548520946551491 % (grid 81.536), krr 0.1529319054870531 (grid
 * 0.15293). The reaction optimum puts the concentration on its lower bound (dilution starves the
 * second-order side reaction) and the catalyst at the loading of peak activity, 6 mol%.
 * ------------------------------------------------------------------------------------------- */
const double llmbo_semantic_pid_best[3] = {1.9328197389871289, 0.5488200800937828,
                                           0.76136164739549073};
const double llmbo_semantic_reaction_best[4] = {49.628179577280925, 180.65135822661006, 0.1,
                                                5.9999998999167472};
const double llmbo_semantic_krr_best[2] = {0.11972570012638613, 0.087475712386144877};
