/* gp_pairs.h: vectorised O(n^2 d) loops of the likelihood evaluation (gp_pairs.c). XT is the
 * transposed input matrix, (d, ld) row-major; a "row" is the m = i pairs (i, k), k < i. */
#ifndef LLMBO_GP_PAIRS_H
#define LLMBO_GP_PAIRS_H

/* r2[k] = sum_j w_j (xi_j - XT[j][k])^2 for k < m. */
void llmbo_pairs_r2(int m, int d, const double *xi, const double *XT, int ld, const double *w,
                    double *r2);

/* Kernel profiles over m scaled squared distances: g (m) and, if dg is not NULL, dg/dr2 (m). */
void llmbo_profile_se(int m, const double *r2, double *g, double *dg);
void llmbo_profile_matern12(int m, const double *r2, double *g, double *dg);
void llmbo_profile_matern32(int m, const double *r2, double *g, double *dg);
void llmbo_profile_matern52(int m, const double *r2, double *g, double *dg);

/* One row of the gradient sums of R&W eq. 5.9: with W_k = ai a_k - kinv_k, returns
 * sum_k W_k g_k and adds sum_k W_k dg_k (xi_j - XT[j][k])^2 to acc[j] (d); v (m) is scratch. */
double llmbo_pairs_grad_row(int m, int d, double ai, const double *a, const double *kinv,
                            const double *g, const double *dg, const double *xi, const double *XT,
                            int ld, double *v, double *acc);

#endif
