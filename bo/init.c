/* init.c: llmbo_init, the library's one-time start-up of its dependencies' global state (BLAS
 * threads, GSL's error handler, curl). It lives in bo/, the module that links them all, so
 * common/ depends on libc and cJSON only. */
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <curl/curl.h>
#include "llmbo.h"

#ifdef LLMBO_HAVE_OPENBLAS
void openblas_set_num_threads(int num_threads); /* OpenBLAS's own API (its cblas.h) */
#endif

llmbo_status llmbo_init(void)
{
    static int done;
    if (done)
        return LLMBO_OK;
#ifdef LLMBO_HAVE_OPENBLAS
    /* One BLAS thread unless the user asks otherwise: a threaded BLAS changes the order of
     * floating-point sums with the core count, so the same seed would give a different journal
     * on another machine; and at the GP's sizes threads cost more than they save (hartmann6,
     * 40 evaluations: 0.45 s with one thread, 4.4 s with two on a busy 2-core machine). */
    if (!getenv("OPENBLAS_NUM_THREADS") && !getenv("OMP_NUM_THREADS"))
        openblas_set_num_threads(1);
#endif
    /* GSL's default handler aborts the process on a failed Cholesky: errors are returned. */
    gsl_set_error_handler_off();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return LLMBO_ERR_HTTP;
    done = 1;
    return LLMBO_OK;
}
