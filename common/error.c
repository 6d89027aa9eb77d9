/* error.c: status names, detailed error messages, clocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
