/* kernel.h: stationary covariance kernels of the GP surrogate (surrogate/ internal).
 * k(x, x') = sigma_f^2 g(r2), r2 = sum_j (x_j - x'_j)^2 / l_j^2 (ARD). Every kernel here is
 * radial, so a kernel is its profile g and the derivative dg/dr2; the generic eval, grad_theta and
 * grad_x below apply the chain rule once for all of them (Rasmussen & Williams 2006, ch. 4). */
#ifndef LLMBO_KERNEL_H
#define LLMBO_KERNEL_H

#include "llmbo.h"

#define LLMBO_KERNEL_VTBL_VERSION 1

typedef struct llmbo_kernel_vtbl {
    int version;      /* LLMBO_KERNEL_VTBL_VERSION; members are only appended */
    const char *name; /* "se", "matern12", "matern32", "matern52" */
    /* Profile g(r2) with g(0) = 1; if dg is not NULL stores dg/dr2 there. Where dg/dr2 is
     * unbounded (Matern 1/2 at r2 = 0) it stores 0: the products with (x_j - x'_j)^2 and
     * (x_j - x'_j) that use it tend to 0 there, so 0 is the value of the limit (theta) and a
     * subgradient (x). */
    double (*profile)(double r2, double *dg);
    /* The same over m distances at once (vectorised, gp_pairs.c); dg may be NULL. */
    void (*profile_batch)(int m, const double *r2, double *g, double *dg);
} llmbo_kernel_vtbl;

/* The kernel of a type; NULL for an unknown type. */
const llmbo_kernel_vtbl *llmbo_kernel_get(llmbo_kernel_type type);

/* k(x1, x2) for theta = [log l_1..log l_d, log sigma_f^2, ...] (only the first d + 1 are read). */
double llmbo_kernel_eval(const llmbo_kernel_vtbl *k, int d, const double *theta, const double *x1,
                         const double *x2);
/* dk/dtheta (d + 1): lengthscales then log sigma_f^2. */
void llmbo_kernel_grad_theta(const llmbo_kernel_vtbl *k, int d, const double *theta,
                             const double *x1, const double *x2, double *grad);
/* dk(x1, x2)/dx1 (d). */
void llmbo_kernel_grad_x(const llmbo_kernel_vtbl *k, int d, const double *theta, const double *x1,
                         const double *x2, double *grad);

#endif
