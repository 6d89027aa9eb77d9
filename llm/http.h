/* http.h: the libcurl transport shared by the HTTP backends (llm/ internal). One llmbo_http per
 * backend instance holds the options and a counting semaphore that bounds the requests in
 * flight; llmbo_http_post may be called from several threads at once (each call uses its own
 * curl easy handle, CURLOPT_NOSIGNAL is set, curl_global_init is done by llmbo_init). */
#ifndef LLMBO_HTTP_H
#define LLMBO_HTTP_H

#include <stddef.h>
#include <cJSON.h>
#include "llmbo.h"
#include "backend.h"
#include "sse.h"

typedef struct llmbo_http_options {
    double connect_timeout;    /* seconds to establish the connection, default 10 */
    double timeout;            /* seconds for one whole attempt, default 120 */
    int max_retries;           /* retries after the first attempt, default 4 */
    double backoff;            /* first backoff in seconds, doubled per retry, default 1 */
    double backoff_max;        /* cap of one wait (backoff or Retry-After), default 60 */
    size_t max_response_bytes; /* larger bodies are an error, default 8 MiB */
    int concurrency;           /* requests in flight through one transport, default 4 */
} llmbo_http_options;

void llmbo_http_options_default(llmbo_http_options *o);
/* Reads timeout, connect_timeout, max_retries, backoff, backoff_max, max_response_bytes and
 * concurrency from obj (absent keys keep their value); where prefixes error messages. */
llmbo_status llmbo_http_options_parse(const cJSON *obj, const char *where, llmbo_http_options *o,
                                      llmbo_error *err);

typedef struct llmbo_http llmbo_http;

llmbo_http *llmbo_http_create(const llmbo_http_options *o);
void llmbo_http_free(llmbo_http *h);

typedef struct llmbo_http_response {
    long status;    /* HTTP status of the last attempt (0 if none arrived) */
    char *body;     /* owned, NUL-terminated (llmbo_free) */
    size_t len;     /* bytes in body */
    int retries;    /* attempts after the first */
    double seconds; /* wall time including waits */
} llmbo_http_response;

void llmbo_http_response_clear(llmbo_http_response *r);

/* POSTs body (JSON) to url with the extra header lines ("Name: value"), retrying 429, 5xx and
 * network errors with exponential backoff and jitter (or the server's Retry-After, seconds or
 * HTTP-date) up to max_retries. On LLMBO_OK resp holds a 2xx answer. Errors: LLMBO_ERR_TIMEOUT
 * (last attempt timed out), LLMBO_ERR_HTTP (network failure, non-2xx status; resp->status and
 * resp->body keep the last answer), LLMBO_ERR_NOMEM. Messages never contain header values.
 * deadline (llmbo_now() time, 0: none) bounds the whole call: each attempt's timeout is cut to
 * what is left, and no retry starts once it has passed (LLMBO_ERR_TIMEOUT). stream (may be
 * NULL): a 2xx body is also fed to it as it arrives, the stream reset before every attempt; the
 * whole body is still kept in resp. */
llmbo_status llmbo_http_post(llmbo_http *h, const char *url, const char *const *headers,
                             int n_headers, const char *body, double deadline,
                             llmbo_chat_stream *stream, llmbo_http_response *resp,
                             llmbo_error *err);

/* Connects to url's server (TCP, and TLS for https) without sending a request, within the
 * connect_timeout: the pre-flight check of an advisor. LLMBO_ERR_HTTP / LLMBO_ERR_TIMEOUT. */
llmbo_status llmbo_http_preflight(llmbo_http *h, const char *url, llmbo_error *err);

/* Warns on stderr when key is sent over plain http:// to a host that is not a loopback address
 * (127.0.0.0/8, ::1, localhost): anyone on the network path can read it. Returns 1 if it
 * warned. */
int llmbo_http_warn_plaintext_key(const char *url, const char *key, const char *where);

/* Parses a Retry-After value: delta-seconds or an HTTP-date. Returns seconds from now (>= 0),
 * or -1 if the value is not understood. */
double llmbo_http_retry_after(const char *value);

/* ---- helpers shared by the HTTP backends ------------------------------------------------ */

/* The API key named by obj's "api_key_env" (default_env when the key is absent; null means no
 * key). The key is read from the environment only; it is never stored in any file or message.
 * *key is owned (llmbo_free) or NULL when no key is used. An explicitly named variable that is
 * unset or empty is LLMBO_ERR_CONFIG. */
llmbo_status llmbo_http_api_key(const cJSON *obj, const char *where, const char *default_env,
                                char **key, llmbo_error *err);
/* Copies obj's optional "headers" object ({"Name": "value"}) into "Name: value" lines. */
llmbo_status llmbo_http_extra_headers(const cJSON *obj, const char *where, char ***lines, int *n,
                                      llmbo_error *err);
void llmbo_http_lines_free(char **lines, int n);
/* The request URL, owned: obj's "base_url" with trailing slashes removed, joined with path;
 * without that key the environment variable env (when set and not empty; NULL: none) joined with
 * env_path (the SDKs' variables differ from base_url in where the version segment sits:
 * ANTHROPIC_BASE_URL has no /v1); without either, def joined with path. A base that is not an
 * http:// or https:// URL is LLMBO_ERR_CONFIG naming the key or the variable. */
llmbo_status llmbo_http_url(const cJSON *obj, const char *where, const char *env,
                            const char *env_path, const char *def, const char *path, char **url,
                            llmbo_error *err);
/* Overwrites every occurrence of secret in msg with '*' (defence in depth for error texts). */
void llmbo_http_scrub(char *msg, const char *secret);

/* One chat call of an HTTP backend: POSTs body (a cJSON-printed string, freed here) to url,
 * copies seconds, retries and status into reply, and on a 2xx answer fills it with parse, or,
 * for a streamed request (stream not NULL), from the stream decoded as the body arrived (a 2xx
 * body that is one JSON object and no events, from a server that does not stream, is read with
 * parse). On any failure the reply holds no strings and err's message is scrubbed of key. */
typedef llmbo_status (*llmbo_http_parse_fn)(const char *body, llmbo_chat_reply *reply,
                                            llmbo_error *err);
llmbo_status llmbo_http_chat(llmbo_http *h, const char *url, char *const *headers, int n_headers,
                             const char *key, char *body, double deadline,
                             llmbo_http_parse_fn parse, llmbo_chat_stream *stream,
                             llmbo_chat_reply *reply, llmbo_error *err);

#endif
