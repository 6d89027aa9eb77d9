/* error.c: status names, detailed error messages, library start-up, clocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include <curl/curl.h>
#include "llmbo_common.h"

const char *llmbo_strerror(llmbo_status status)
{
    switch (status) {
    case LLMBO_OK:
        return "success";
    case LLMBO_ERR_NOMEM:
        return "out of memory";
    case LLMBO_ERR_INVALID:
        return "invalid argument";
    case LLMBO_ERR_CONFIG:
        return "configuration error";
    case LLMBO_ERR_IO:
        return "input/output error";
    case LLMBO_ERR_NUMERIC:
        return "numerical failure";
    case LLMBO_ERR_PARSE:
        return "parse error";
    case LLMBO_ERR_HTTP:
        return "HTTP or transport error";
    case LLMBO_ERR_TIMEOUT:
        return "timed out";
    case LLMBO_ERR_OBJECTIVE:
        return "objective evaluation failed";
    case LLMBO_ERR_NOT_FOUND:
        return "not found";
    case LLMBO_ERR_FORMAT:
        return "malformed file";
    case LLMBO_ERR_UNSUPPORTED:
        return "unsupported";
    case LLMBO_ERR_BACKEND:
        return "advisor backend error";
    case LLMBO_ERR_STATE:
        return "call made in the wrong state";
    case LLMBO_ERR_VALIDATION:
        return "advisor answer failed validation";
    }
    return "unknown status";
}

llmbo_status llmbo_error_set(llmbo_error *err, llmbo_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

void llmbo_error_prefix(llmbo_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

void llmbo_error_clear(llmbo_error *err)
{
    if (err) {
        err->status = LLMBO_OK;
        err->msg[0] = '\0';
    }
}

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

double llmbo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double llmbo_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
