/* acq.c: acquisition functions (EI, logEI, log PI, UCB) and their gradients with respect to x.
 * Everything is in the minimisation sense with z = (best - xi - mean) / std, and "larger is
 * better". logEI follows Ament et al. 2023 ("Unexpected Improvements to Expected Improvement",
 * eq. 9) but evaluates the lower tail through the continued fraction of Mills' ratio, which
 * has no cancellation: log h and its derivative stay finite and exact to a few ulps for any z. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_sf_erf.h>
#include "llmbo_common.h"
#include "acq.h"

#define LOG_SQRT_2PI 0.91893853320467274178032973640562 /* log(2 pi) / 2 */
#define SQRT_PI_2    1.25331413731550025120788264240552 /* sqrt(pi / 2) */
#define SQRT1_2      0.70710678118654752440084436210485 /* 1 / sqrt(2) */
#define PI           3.14159265358979323846264338327950

/* ---- Normal-tail special functions --------------------------------------------------------
 * For t = -z >= 0, Mills' ratio R(t) = Phi(-t) / phi(t). Then, with z < 0,
 *   Phi(z) = phi(z) R(t),   h(z) = phi(z) + z Phi(z) = phi(z) (1 - t R(t)),
 * so log h = -z^2/2 - log sqrt(2 pi) + log(1 - t R) and d log h / dz = Phi / h = R / (1 - t R).
 * Below t = 4, R comes from erfc (R = sqrt(pi/2) erfcx(t / sqrt 2)) and 1 - t R loses at most
 * about 1.3 digits (1 - t R ~ 1/t^2). From t = 4 on we use Laplace's continued fraction
 *   R = 1 / (t + K),  K = 1 / (t + 2 / (t + 3 / (t + ...))) = 1 / T2,
 * which gives 1 - t R = K / (t + K) = 1 / (1 + t T2) and Phi / h = T2 with no subtraction at
 * all. Depth 40 converges to ~1e-17 at t = 4 (checked against mpmath), fewer terms further out. */
#define CF_T0 4.0

static double cf_T2(double t)
{
    int n = t < 6 ? 40 : t < 12 ? 24 : 16;
    double T = t;
    for (int k = n; k >= 2; k--)
        T = t + k / T;
    return T;
}

/* R(t) for 0 <= t < CF_T0 via GSL's erfc (relative accuracy near machine epsilon). */
static double mills_small(double t)
{
    double x = t * SQRT1_2;
    return SQRT_PI_2 * exp(x * x) * gsl_sf_erfc(x);
}

double llmbo_log_h(double z)
{
    if (isnan(z))
        return z;
    if (z > -1) {
        double Phi = 0.5 * gsl_sf_erfc(-z * SQRT1_2);
        double phi = exp(-0.5 * z * z - LOG_SQRT_2PI);
        return log(phi + z * Phi);
    }
    double t = -z;
    if (t < CF_T0) {
        double R = mills_small(t);
        return -0.5 * z * z - LOG_SQRT_2PI + log1p(-t * R);
    }
    double T2 = cf_T2(t);
    /* log(1 - t R) = -log(1 + t T2) = -(log t + log(T2 + 1/t)): no overflow of t T2. */
    return -0.5 * z * z - LOG_SQRT_2PI - log(t) - log(T2 + 1 / t);
}

double llmbo_dlog_h(double z)
{
    if (isnan(z))
        return z;
    if (z > -1) {
        double Phi = 0.5 * gsl_sf_erfc(-z * SQRT1_2);
        double phi = exp(-0.5 * z * z - LOG_SQRT_2PI);
        return Phi / (phi + z * Phi);
    }
    double t = -z;
    if (t < CF_T0) {
        double R = mills_small(t);
        return R / (1 - t * R);
    }
    return cf_T2(t);
}

double llmbo_log_Phi(double z)
{
    if (isnan(z))
        return z;
    if (z > 0)
        return log1p(-0.5 * gsl_sf_erfc(z * SQRT1_2));
    if (z > -1)
        return log(0.5 * gsl_sf_erfc(-z * SQRT1_2));
    double t = -z;
    double logR = t < CF_T0 ? log(mills_small(t)) : -log(t + 1 / cf_T2(t));
    return -0.5 * z * z - LOG_SQRT_2PI + logR;
}

double llmbo_dlog_Phi(double z)
{
    if (isnan(z))
        return z;
    if (z > -1) {
        double Phi = 0.5 * gsl_sf_erfc(-z * SQRT1_2);
        return exp(-0.5 * z * z - LOG_SQRT_2PI) / Phi;
    }
    double t = -z;
    return t < CF_T0 ? 1 / mills_small(t) : t + 1 / cf_T2(t);
}

double llmbo_ucb_beta(int d, int t)
{
    const double delta = 0.1;
    double dd = d < 1 ? 1 : d, tt = t < 1 ? 1 : t;
    return 0.2 * 2 * log(dd * tt * tt * PI * PI / (6 * delta));
}

/* ---- Acquisition values and gradients ------------------------------------------------------
 * With s = sqrt(var), z = (best - xi - mean) / s, ds = dvar / (2 s), dz = -(dmean + z ds) / s:
 *   EI    = s h(z),            dEI    = phi(z) ds - Phi(z) dmean     (h' = Phi, h - z Phi = phi)
 *   logEI = log s + log h(z),  dlogEI = ds / s + (Phi/h)(z) dz
 *   logPI = log Phi(z),        dlogPI = (phi/Phi)(z) dz
 *   UCB   = -mean + sqrt(beta) s,  dUCB = -dmean + sqrt(beta) ds. */
static double acq_ei(const llmbo_acq_params *p, double mean, double s, double z, double *cm,
                     double *cs)
{
    (void)p;
    (void)mean;
    double Phi = 0.5 * gsl_sf_erfc(-z * SQRT1_2);
    double phi = exp(-0.5 * z * z - LOG_SQRT_2PI);
    *cm = -Phi;
    *cs = phi;
    /* s h(z) with h from its log where phi + z Phi cancels (z < -1). */
    return z > -1 ? s * (phi + z * Phi) : s * exp(llmbo_log_h(z));
}

static double acq_logei(const llmbo_acq_params *p, double mean, double s, double z, double *cm,
                        double *cs)
{
    (void)p;
    (void)mean;
    double g = llmbo_dlog_h(z);
    *cm = -g / s;
    *cs = (1 - g * z) / s;
    return log(s) + llmbo_log_h(z);
}

static double acq_logpi(const llmbo_acq_params *p, double mean, double s, double z, double *cm,
                        double *cs)
{
    (void)p;
    (void)mean;
    double g = llmbo_dlog_Phi(z);
    *cm = -g / s;
    *cs = -g * z / s;
    return llmbo_log_Phi(z);
}

static double acq_ucb(const llmbo_acq_params *p, double mean, double s, double z, double *cm,
                      double *cs)
{
    (void)z;
    double sb = sqrt(p->beta > 0 ? p->beta : 0);
    *cm = -1;
    *cs = sb;
    return -mean + sb * s;
}

/* The acquisition table, indexed by llmbo_acquisition (see acq.h). PI is evaluated as log PI;
 * UCB for minimisation is -(mean - sqrt(beta) std), so larger is better; TS (Thompson
 * sampling) is handled by the optimiser through joint posterior samples. */
static const llmbo_acq_def acquisitions[] = {
    [LLMBO_ACQUISITION_EI] = {"ei", LLMBO_ACQ_NEEDS_BEST, acq_ei},
    [LLMBO_ACQUISITION_LOGEI] = {"logei", LLMBO_ACQ_NEEDS_BEST | LLMBO_ACQ_LOG, acq_logei},
    [LLMBO_ACQUISITION_PI] = {"pi", LLMBO_ACQ_NEEDS_BEST | LLMBO_ACQ_LOG, acq_logpi},
    [LLMBO_ACQUISITION_UCB] = {"ucb", 0, acq_ucb},
    [LLMBO_ACQUISITION_TS] = {"ts", LLMBO_ACQ_JOINT, NULL},
};

const llmbo_names llmbo_acq_names = LLMBO_NAMES_OF(acquisitions);

const llmbo_acq_def *llmbo_acq_get(llmbo_acquisition a)
{
    return (int)a >= 0 && (int)a < llmbo_acq_names.n ? &acquisitions[a] : NULL;
}

const char *llmbo_acquisition_name(llmbo_acquisition a)
{
    return llmbo_names_get(&llmbo_acq_names, (int)a);
}

int llmbo_acquisition_parse(const char *name)
{
    return llmbo_names_parse(&llmbo_acq_names, name);
}

double llmbo_acq_from_pred(const llmbo_acq_params *p, int d, double mean, double var,
                           const double *dmean, const double *dvar, double *grad)
{
    const llmbo_acq_def *a = llmbo_acq_get(p->type);
    if (!(isfinite(mean) && var == var) || !a || !a->value) {
        if (grad)
            for (int j = 0; j < d; j++)
                grad[j] = 0;
        return -HUGE_VAL;
    }
    int floored = !(var > LLMBO_ACQ_VAR_FLOOR);
    if (floored)
        var = LLMBO_ACQ_VAR_FLOOR;
    double s = sqrt(var);
    double z = (p->best - p->xi - mean) / s;
    double cm, cs; /* grad = cm dmean + cs ds */
    double val = a->value(p, mean, s, z, &cm, &cs);
    if (grad) {
        double csv = floored ? 0 : cs / (2 * s); /* d/dvar = (d/ds) / (2 s) */
        for (int j = 0; j < d; j++)
            grad[j] = cm * dmean[j] + csv * dvar[j];
    }
    if (isnan(val))
        val = -HUGE_VAL;
    return val;
}

double llmbo_acq_eval_ws(llmbo_gp *gp, const llmbo_acq_params *p, const double *x, double *grad,
                         double *work)
{
    int d = llmbo_gp_dim(gp);
    double mean, var;
    if (!grad) {
        llmbo_gp_predict(gp, x, &mean, &var, NULL, NULL);
        return llmbo_acq_from_pred(p, d, mean, var, NULL, NULL, NULL);
    }
    double *dm = work, *dv = work + d;
    llmbo_gp_predict(gp, x, &mean, &var, dm, dv);
    return llmbo_acq_from_pred(p, d, mean, var, dm, dv, grad);
}

double llmbo_acq_eval(llmbo_gp *gp, const llmbo_acq_params *p, const double *x, double *grad)
{
    int d = llmbo_gp_dim(gp);
    double stack[2 * LLMBO_ACQ_STACK_DIM];
    if (!grad || d <= LLMBO_ACQ_STACK_DIM)
        return llmbo_acq_eval_ws(gp, p, x, grad, stack);
    double *work = llmbo_malloc(2 * (size_t)d, sizeof *work);
    if (!work) {
        for (int j = 0; j < d; j++)
            grad[j] = 0;
        return -HUGE_VAL;
    }
    double v = llmbo_acq_eval_ws(gp, p, x, grad, work);
    llmbo_free(work);
    return v;
}

double llmbo_acq_eval_mix(llmbo_gp *const *gps, int m, const llmbo_acq_params *p, const double *x,
                          double *grad, double *work)
{
    if (m == 1)
        return llmbo_acq_eval_ws(gps[0], p, x, grad, work);
    int d = llmbo_gp_dim(gps[0]);
    const llmbo_acq_def *a = llmbo_acq_get(p->type);
    int logscale = a && (a->flags & LLMBO_ACQ_LOG);
    double *g = work + 2 * d, *acc = g + d, *v = acc + d;
    /* A log-scale row (logEI, log PI) averages the values themselves, not their logs:
     * log((1/m) sum_s exp(v_s)) = vmax + log(sum_s exp(v_s - vmax)) - log m, whose gradient is
     * the softmax-weighted mean of the models' gradients. Two passes keep the exponentials of
     * one model's gradient from overflowing: values first, then gradients with known weights. */
    double vmax = -HUGE_VAL, sum = 0.0;
    for (int s = 0; s < m; s++) {
        v[s] = llmbo_acq_eval_ws(gps[s], p, x, NULL, work);
        if (v[s] > vmax)
            vmax = v[s];
    }
    if (!(vmax > -HUGE_VAL)) {
        if (grad)
            for (int j = 0; j < d; j++)
                grad[j] = 0;
        return -HUGE_VAL;
    }
    for (int s = 0; s < m; s++)
        sum += logscale ? exp(v[s] - vmax) : v[s];
    if (grad) {
        for (int j = 0; j < d; j++)
            acc[j] = 0;
        for (int s = 0; s < m; s++) {
            double w = logscale ? exp(v[s] - vmax) / sum : 1.0 / m;
            if (!(w > 0))
                continue;
            llmbo_acq_eval_ws(gps[s], p, x, g, work);
            for (int j = 0; j < d; j++)
                acc[j] += w * g[j];
        }
        memcpy(grad, acc, (size_t)d * sizeof *grad);
    }
    return logscale ? vmax + log(sum / m) : sum / m;
}

double llmbo_lp_log_penalty(const llmbo_lp_balls *b, int d, const double *x, double *grad)
{
    double v = 0.0;
    if (grad)
        for (int k = 0; k < d; k++)
            grad[k] = 0.0;
    for (int j = 0; j < b->n; j++) {
        const double *c = b->c + (size_t)j * d;
        double r2 = 0.0;
        for (int k = 0; k < d; k++)
            r2 += (x[k] - c[k]) * (x[k] - c[k]);
        double dist = sqrt(r2), z = (dist - b->r[j]) / b->s[j];
        v += llmbo_log_Phi(z);
        if (grad && dist > 0) {
            double g = llmbo_dlog_Phi(z) / (b->s[j] * dist);
            for (int k = 0; k < d; k++)
                grad[k] += g * (x[k] - c[k]);
        }
    }
    return v;
}
