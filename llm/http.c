/* http.c: POST with retries over libcurl for the HTTP backends. Each attempt uses a fresh easy
 * handle, so calls from several threads share nothing but the semaphore that bounds requests in
 * flight. Waits between attempts follow "full jitter" exponential backoff (a uniform draw in
 * [b/2, b] with b = backoff * 2^k, capped), or the server's Retry-After when it sends one. */
#include <ctype.h>
#include <stdlib.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "llmbo_common.h"
#include "http.h"
#include "json.h"
#include "strbuf.h"

struct llmbo_http {
    llmbo_http_options opt;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int in_flight;
    uint64_t rng; /* jitter generator state, guarded by mu */
};

void llmbo_http_options_default(llmbo_http_options *o)
{
    o->connect_timeout = 10.0;
    o->timeout = 120.0;
    o->max_retries = 4;
    o->backoff = 1.0;
    o->backoff_max = 60.0;
    o->max_response_bytes = (size_t)8 << 20;
    o->concurrency = 4;
}

llmbo_status llmbo_http_options_parse(const cJSON *obj, const char *where, llmbo_http_options *o,
                                      llmbo_error *err)
{
    double retries = o->max_retries, conc = o->concurrency, maxb = (double)o->max_response_bytes;
    llmbo_status st;
    if ((st = llmbo_json_get_number(obj, where, "timeout", 0.001, 86400, &o->timeout, err)) ||
        (st = llmbo_json_get_number(obj, where, "connect_timeout", 0.001, 3600, &o->connect_timeout,
                                    err)) ||
        (st = llmbo_json_get_number(obj, where, "max_retries", 0, 100, &retries, err)) ||
        (st = llmbo_json_get_number(obj, where, "backoff", 0, 3600, &o->backoff, err)) ||
        (st = llmbo_json_get_number(obj, where, "backoff_max", 0, 86400, &o->backoff_max, err)) ||
        (st = llmbo_json_get_number(obj, where, "max_response_bytes", 1024, 1e10, &maxb, err)) ||
        (st = llmbo_json_get_number(obj, where, "concurrency", 1, 256, &conc, err)))
        return st;
    if (retries != floor(retries) || conc != floor(conc))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: max_retries and concurrency must be whole numbers", where);
    o->max_retries = (int)retries;
    o->concurrency = (int)conc;
    o->max_response_bytes = (size_t)maxb;
    return LLMBO_OK;
}

llmbo_http *llmbo_http_create(const llmbo_http_options *o)
{
    llmbo_http *h = llmbo_calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->opt = *o;
    if (h->opt.concurrency < 1)
        h->opt.concurrency = 1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(llmbo_now() * 1e9) ^ (uint64_t)(uintptr_t)h;
    return h;
}

void llmbo_http_free(llmbo_http *h)
{
    if (!h)
        return;
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    llmbo_free(h);
}

void llmbo_http_response_clear(llmbo_http_response *r)
{
    llmbo_free(r->body);
    memset(r, 0, sizeof *r);
}

double llmbo_http_retry_after(const char *value)
{
    while (*value == ' ' || *value == '\t')
        value++;
    if (!*value)
        return -1;
    const char *p = value;
    while (isdigit((unsigned char)*p))
        p++;
    const char *q = p;
    while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
        q++;
    if (p > value && !*q) {
        errno = 0;
        double s = strtod(value, NULL);
        return errno ? -1 : s;
    }
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    double d = difftime(t, time(NULL));
    return d > 0 ? d : 0;
}

/* ---- one attempt ------------------------------------------------------------------------- */

typedef struct sink {
    llmbo_strbuf body;
    size_t max;
    int too_big;
    double retry_after;        /* -1 if the answer had no usable Retry-After */
    CURL *curl;                /* the attempt's handle (its status, once headers arrived) */
    llmbo_chat_stream *stream; /* a streamed answer's decoder, or NULL */
} sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    sink *s = user;
    size_t n = size * nmemb;
    if (s->body.len + n > s->max) {
        s->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    llmbo_strbuf_add(&s->body, data, n);
    if (s->body.oom)
        return 0;
    /* A 2xx body is decoded as it arrives (the live token count); an error status's body
     * (JSON, not events) is only kept for the message. */
    long status = 0;
    if (s->stream && curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
        status >= 200 && status <= 299)
        llmbo_chat_stream_feed(s->stream, data, n);
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    sink *s = user;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && n < 256) {
        size_t i;
        for (i = 0; i < sizeof name - 1; i++)
            if (tolower((unsigned char)data[i]) != name[i])
                break;
        if (i == sizeof name - 1) {
            char v[256];
            memcpy(v, data + i, n - i);
            v[n - i] = '\0';
            s->retry_after = llmbo_http_retry_after(v);
        }
    }
    return n;
}

static int retryable_curl(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return 1;
    default:
        return 0;
    }
}

static int retryable_status(long status)
{
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

static double next_uniform(llmbo_http *h)
{
    pthread_mutex_lock(&h->mu);
    /* xorshift64*: plenty for jitter, which only has to decorrelate clients. */
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    uint64_t r = h->rng * 0x2545F4914F6CDD1DULL;
    pthread_mutex_unlock(&h->mu);
    return (double)(r >> 11) * (1.0 / 9007199254740992.0);
}

static void sleep_seconds(double s)
{
    if (s <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void excerpt(const char *body, size_t len, char *out, size_t cap)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    if (n > 200)
        n = 200;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)body[i];
        out[i] = (c < 32 || c == 127) ? ' ' : (char)c;
    }
    out[n] = '\0';
}

/* 1 if body is a JSON object (first non-blank byte '{'): a server that ignored "stream": true. */
static int json_object_body(const char *body)
{
    while (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')
        body++;
    return *body == '{';
}

llmbo_status llmbo_http_post(llmbo_http *h, const char *url, const char *const *headers,
                             int n_headers, const char *body, double deadline,
                             llmbo_chat_stream *stream, llmbo_http_response *resp, llmbo_error *err)
{
    memset(resp, 0, sizeof *resp);
    double t0 = llmbo_now();
    struct curl_slist *hl = NULL, *tmp;
    hl = curl_slist_append(hl, "Content-Type: application/json");
    /* Without this curl waits up to a second for "100 Continue" before sending large bodies. */
    if (hl && (tmp = curl_slist_append(hl, "Expect:")))
        hl = tmp;
    else if (hl) {
        curl_slist_free_all(hl);
        hl = NULL;
    }
    for (int i = 0; hl && i < n_headers; i++) {
        tmp = curl_slist_append(hl, headers[i]);
        if (!tmp) {
            curl_slist_free_all(hl);
            hl = NULL;
        } else
            hl = tmp;
    }
    if (!hl)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "http: out of memory building headers");

    pthread_mutex_lock(&h->mu);
    while (h->in_flight >= h->opt.concurrency)
        pthread_cond_wait(&h->cv, &h->mu);
    h->in_flight++;
    pthread_mutex_unlock(&h->mu);

    llmbo_status st = LLMBO_ERR_HTTP;
    char curl_msg[CURL_ERROR_SIZE];
    for (int attempt = 0;; attempt++) {
        CURL *c = curl_easy_init();
        sink s = {LLMBO_STRBUF_INIT, h->opt.max_response_bytes, 0, -1, c, stream};
        if (!c) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "http: curl_easy_init failed");
            break;
        }
        if (stream) /* a retry starts a new stream */
            llmbo_chat_stream_reset(stream);
        curl_msg[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        /* The attempt's timeout, cut to what is left of the deadline (at least 1 ms: curl
         * reads 0 as "no timeout"). */
        double tmo = h->opt.timeout;
        if (deadline > 0 && deadline - llmbo_now() < tmo)
            tmo = fmax(deadline - llmbo_now(), 0.001);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)(fmin(h->opt.connect_timeout, tmo) * 1000));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(tmo * 1000));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->opt.max_response_bytes);
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);

        int retry = 0;
        llmbo_free(resp->body);
        resp->body = s.body.s;
        resp->len = s.body.len;
        resp->status = status;
        if (!resp->body && rc == CURLE_OK) {
            resp->body = llmbo_strdup("");
            if (!resp->body) {
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "http: out of memory");
                break;
            }
        }
        if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
            st = llmbo_error_set(err, LLMBO_ERR_HTTP,
                                 "http: response from %s exceeds max_response_bytes = %zu", url,
                                 h->opt.max_response_bytes);
        } else if (rc != CURLE_OK) {
            st = llmbo_error_set(
                err, rc == CURLE_OPERATION_TIMEDOUT ? LLMBO_ERR_TIMEOUT : LLMBO_ERR_HTTP,
                "http: POST %s failed after %d attempt%s: %s", url, attempt + 1, attempt ? "s" : "",
                curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
            retry = retryable_curl(rc);
        } else if (status < 200 || status > 299) {
            char ex[256];
            excerpt(resp->body, resp->len, ex, sizeof ex);
            st = llmbo_error_set(err, LLMBO_ERR_HTTP,
                                 "http: POST %s answered HTTP %ld after %d attempt%s: %s", url,
                                 status, attempt + 1, attempt ? "s" : "", ex);
            retry = retryable_status(status);
        } else if (stream && (llmbo_chat_stream_flush(stream), stream->st == LLMBO_OK) &&
                   !stream->done && !(stream->events == 0 && json_object_body(resp->body))) {
            /* A stream cut before its last event is a truncated answer, retried as a
             * truncated body is (a malformed or error event is not: the stream keeps it). */
            st = llmbo_error_set(err, LLMBO_ERR_HTTP,
                                 "http: POST %s: the answer stream ended before %s after %d "
                                 "attempt%s (%ld events, %zu bytes): the answer is truncated",
                                 url, stream->terminator, attempt + 1, attempt ? "s" : "",
                                 stream->events, stream->offset);
            retry = 1;
        } else {
            st = LLMBO_OK;
        }
        if (st == LLMBO_OK || !retry || attempt >= h->opt.max_retries)
            break;
        double wait;
        if (s.retry_after >= 0) {
            wait = s.retry_after;
        } else {
            double b = h->opt.backoff * pow(2.0, attempt);
            wait = b * (0.5 + 0.5 * next_uniform(h));
        }
        if (wait > h->opt.backoff_max)
            wait = h->opt.backoff_max;
        if (deadline > 0 && llmbo_now() + wait >= deadline) {
            /* No time for another attempt: say so, keeping the last attempt's reason. */
            char last[400];
            snprintf(last, sizeof last, "%s", err ? err->msg : "");
            st =
                llmbo_error_set(err, LLMBO_ERR_TIMEOUT,
                                "%s; the advice deadline leaves no time for another attempt", last);
            break;
        }
        sleep_seconds(wait);
        resp->retries = attempt + 1;
    }

    pthread_mutex_lock(&h->mu);
    h->in_flight--;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    curl_slist_free_all(hl);
    resp->seconds = llmbo_now() - t0;
    return st;
}

/* ---- helpers shared by the HTTP backends ------------------------------------------------ */

llmbo_status llmbo_http_api_key(const cJSON *obj, const char *where, const char *default_env,
                                char **key, llmbo_error *err)
{
    *key = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "api_key_env");
    const char *name = default_env;
    int explicit_name = 0;
    if (cJSON_IsNull(v))
        return LLMBO_OK;
    if (v) {
        if (!cJSON_IsString(v) || !v->valuestring[0])
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.api_key_env: expected the name of an environment variable "
                                   "(or null for no key)",
                                   where);
        name = v->valuestring;
        explicit_name = 1;
    }
    if (!name)
        return LLMBO_OK;
    const char *val = getenv(name);
    if (!val || !val[0]) {
        if (explicit_name)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.api_key_env: environment variable %s is not set", where,
                                   name);
        return LLMBO_OK;
    }
    *key = llmbo_strdup(val);
    if (!*key)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
    return LLMBO_OK;
}

void llmbo_http_lines_free(char **lines, int n)
{
    if (!lines)
        return;
    for (int i = 0; i < n; i++)
        llmbo_free(lines[i]);
    llmbo_free(lines);
}

llmbo_status llmbo_http_extra_headers(const cJSON *obj, const char *where, char ***lines, int *n,
                                      llmbo_error *err)
{
    *lines = NULL;
    *n = 0;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(obj, "headers");
    if (!h)
        return LLMBO_OK;
    if (!cJSON_IsObject(h))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.headers: expected an object of header names and values", where);
    int cnt = cJSON_GetArraySize(h);
    char **l = llmbo_calloc((size_t)(cnt ? cnt : 1), sizeof *l);
    if (!l)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, h)
    {
        if (!cJSON_IsString(e) || strpbrk(e->string, ":\r\n") || strpbrk(e->valuestring, "\r\n")) {
            llmbo_http_lines_free(l, i);
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.headers.%s: expected a single-line string value", where,
                                   e->string);
        }
        size_t len = strlen(e->string) + strlen(e->valuestring) + 3;
        l[i] = llmbo_malloc(len, 1);
        if (!l[i]) {
            llmbo_http_lines_free(l, i);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
        }
        snprintf(l[i], len, "%s: %s", e->string, e->valuestring);
        i++;
    }
    *lines = l;
    *n = i;
    return LLMBO_OK;
}

llmbo_status llmbo_http_url(const cJSON *obj, const char *where, const char *env,
                            const char *env_path, const char *def, const char *path, char **url,
                            llmbo_error *err)
{
    *url = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "base_url");
    const char *base = def, *env_val = env ? getenv(env) : NULL;
    if (v) {
        if (!cJSON_IsString(v) || (strncmp(v->valuestring, "http://", 7) != 0 &&
                                   strncmp(v->valuestring, "https://", 8) != 0))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.base_url: expected an http:// or https:// URL", where);
        base = v->valuestring;
    } else if (env_val && env_val[0]) {
        /* The SDKs' convention: the variable stands in for an absent base_url. Its value is
         * not a secret, but it is only named, never quoted, in case someone put a key in it. */
        if (strncmp(env_val, "http://", 7) != 0 && strncmp(env_val, "https://", 8) != 0)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s: environment variable %s (used because base_url is "
                                   "absent): expected an http:// or https:// URL",
                                   where, env);
        base = env_val;
        path = env_path;
    }
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    size_t len = n + strlen(path) + 1;
    *url = llmbo_malloc(len, 1);
    if (!*url)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
    memcpy(*url, base, n);
    strcpy(*url + n, path);
    return LLMBO_OK;
}

void llmbo_http_scrub(char *msg, const char *secret)
{
    if (!msg || !secret || strlen(secret) < 4)
        return;
    size_t n = strlen(secret);
    char *p;
    while ((p = strstr(msg, secret)) != NULL)
        memset(p, '*', n);
}

llmbo_status llmbo_http_chat(llmbo_http *h, const char *url, char *const *headers, int n_headers,
                             const char *key, char *body, double deadline,
                             llmbo_http_parse_fn parse, llmbo_chat_stream *stream,
                             llmbo_chat_reply *reply, llmbo_error *err)
{
    llmbo_http_response resp;
    llmbo_status st = llmbo_http_post(h, url, (const char *const *)headers, n_headers, body,
                                      deadline, stream, &resp, err);
    cJSON_free(body);
    reply->seconds = resp.seconds;
    reply->retries = resp.retries;
    reply->http_status = (int)resp.status;
    if (st == LLMBO_OK) {
        if (stream && !(stream->events == 0 && json_object_body(resp.body)))
            st = llmbo_chat_stream_end(stream, reply, err);
        else
            st = parse(resp.body, reply, err);
        if (st != LLMBO_OK) {
            llmbo_free(reply->content);
            llmbo_free(reply->reasoning);
            reply->content = reply->reasoning = NULL;
        }
        /* A server that echoes the key inside its answer must not get it into advisor.jsonl,
         * the cassette or the journal: masked here, before anything reads the answer. */
        llmbo_http_scrub(reply->content, key);
        llmbo_http_scrub(reply->reasoning, key);
    }
    if (st != LLMBO_OK && err)
        llmbo_http_scrub(err->msg, key);
    llmbo_http_response_clear(&resp);
    return st;
}

llmbo_status llmbo_http_preflight(llmbo_http *h, const char *url, llmbo_error *err)
{
    CURL *c = curl_easy_init();
    if (!c)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "http: curl_easy_init failed");
    char msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(h->opt.connect_timeout * 1000));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, msg);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK)
        return LLMBO_OK;
    return llmbo_error_set(err, rc == CURLE_OPERATION_TIMEDOUT ? LLMBO_ERR_TIMEOUT : LLMBO_ERR_HTTP,
                           "cannot connect to %s (%s)", url, msg[0] ? msg : curl_easy_strerror(rc));
}

/* 1 if host (as curl's URL parser gives it, IPv6 without brackets) is a loopback address. */
static int loopback_host(const char *host)
{
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0)
        return 1;
    unsigned a, b, c, d;
    char tail;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
           c < 256 && d < 256;
}

int llmbo_http_warn_plaintext_key(const char *url, const char *key, const char *where)
{
    if (!key || !*key || !url)
        return 0;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int warn = 0;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        warn = strcmp(scheme, "http") == 0 && !loopback_host(host);
    if (warn)
        fprintf(stderr,
                "llmbo: warning: %s: the API key is sent over plain http:// to %s, which is not "
                "a loopback address: anyone on the network path can read it (use https://)\n",
                where, host);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return warn;
}
