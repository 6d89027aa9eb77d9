/* kernel.c: the built-in radial kernels (squared exponential, Matern 1/2, 3/2, 5/2) as profiles
 * g(r2) with dg/dr2, and the chain rule that turns a profile into k, dk/dtheta and dk/dx.
 * Matern forms: Rasmussen & Williams 2006, eq. 4.14-4.17, written in r = sqrt(r2). */
#include <math.h>
#include <stddef.h>
#include "kernel.h"
#include "gp_pairs.h"

static double se_profile(double r2, double *dg)
{
    double g = exp(-0.5 * r2);
    if (dg)
        *dg = -0.5 * g;
    return g;
}

static double matern12_profile(double r2, double *dg)
{
    double r = sqrt(r2);
    double g = exp(-r);
    if (dg)
        *dg = r > 0.0 ? -0.5 * g / r : 0.0;
    return g;
}

static double matern32_profile(double r2, double *dg)
{
    const double a = 1.7320508075688772; /* sqrt(3) */
    double ar = a * sqrt(r2);
    double e = exp(-ar);
    if (dg)
        *dg = -1.5 * e;
    return (1.0 + ar) * e;
}

static double matern52_profile(double r2, double *dg)
{
    const double a = 2.23606797749979; /* sqrt(5) */
    double ar = a * sqrt(r2);
    double e = exp(-ar);
    if (dg)
        *dg = -(5.0 / 6.0) * (1.0 + ar) * e;
    return (1.0 + ar + (5.0 / 3.0) * r2) * e;
}

static const llmbo_kernel_vtbl kernels[] = {
    [LLMBO_KERNEL_SE] = {LLMBO_KERNEL_VTBL_VERSION, "se", se_profile, llmbo_profile_se},
    [LLMBO_KERNEL_MATERN12] = {LLMBO_KERNEL_VTBL_VERSION, "matern12", matern12_profile,
                               llmbo_profile_matern12},
    [LLMBO_KERNEL_MATERN32] = {LLMBO_KERNEL_VTBL_VERSION, "matern32", matern32_profile,
                               llmbo_profile_matern32},
    [LLMBO_KERNEL_MATERN52] = {LLMBO_KERNEL_VTBL_VERSION, "matern52", matern52_profile,
                               llmbo_profile_matern52},
};

const llmbo_kernel_vtbl *llmbo_kernel_get(llmbo_kernel_type type)
{
    if ((int)type < 0 || (size_t)type >= sizeof kernels / sizeof kernels[0])
        return NULL;
    return &kernels[type];
}

static double scaled_r2(int d, const double *theta, const double *x1, const double *x2)
{
    double r2 = 0.0;
    for (int j = 0; j < d; j++) {
        double t = x1[j] - x2[j];
        r2 += t * t * exp(-2.0 * theta[j]);
    }
    return r2;
}

double llmbo_kernel_eval(const llmbo_kernel_vtbl *k, int d, const double *theta, const double *x1,
                         const double *x2)
{
    return exp(theta[d]) * k->profile(scaled_r2(d, theta, x1, x2), NULL);
}

/* dk/dlog l_j = sf2 g'(r2) dr2/dlog l_j with dr2/dlog l_j = -2 (x1_j - x2_j)^2 / l_j^2;
 * dk/dlog sf2 = k. */
void llmbo_kernel_grad_theta(const llmbo_kernel_vtbl *k, int d, const double *theta,
                             const double *x1, const double *x2, double *grad)
{
    double sf2 = exp(theta[d]), dg;
    double g = k->profile(scaled_r2(d, theta, x1, x2), &dg);
    for (int j = 0; j < d; j++) {
        double t = x1[j] - x2[j];
        grad[j] = -2.0 * sf2 * dg * t * t * exp(-2.0 * theta[j]);
    }
    grad[d] = sf2 * g;
}

/* dk/dx1_j = sf2 g'(r2) 2 (x1_j - x2_j) / l_j^2. */
void llmbo_kernel_grad_x(const llmbo_kernel_vtbl *k, int d, const double *theta, const double *x1,
                         const double *x2, double *grad)
{
    double sf2 = exp(theta[d]), dg;
    k->profile(scaled_r2(d, theta, x1, x2), &dg);
    for (int j = 0; j < d; j++)
        grad[j] = 2.0 * sf2 * dg * (x1[j] - x2[j]) * exp(-2.0 * theta[j]);
}
