/* test_http.c: the advisor and its HTTP backends against a real HTTP server on loopback
 * (tests/llm_server.py), scripted per test: answer styles of real models, reasoning fields,
 * 429 with Retry-After, 5xx, timeouts, connection resets, truncated bodies, non-JSON, invalid
 * answers, the Anthropic dialect, usage and dollars, concurrency, record and replay, and the
 * API key never leaving the request headers. Expected token counts and dollars are computed
 * here from the usage the script makes the server send and the prices in the config. */
#include <math.h>
#include <stdarg.h>
#include <time.h>
#include <cJSON.h>
#include "check.h"
#include "llm_test_util.h"
#include "llmbo_common.h"
#include "advisor.h"
#include "backend.h"
#include "http.h"
#include "llm_impl.h"
#include "utf8.h"

static llmbo_space *space;
static test_server srv;

/* A history of 3 evaluations and 4 candidates in the mixed space. */
static const double hist_x[] = {1.25, 3, 0, 1e-3, -2.5, 7, 2, 5e-2, 7.75, 12, 1, 2e-4};
static const double hist_y[] = {3.8, 1.2, 5.6};
static const int hist_failed[] = {0, 0, 0};
static const double cand_x[] = {0.5, 4, 1, 2e-3, -1, 6, 2, 3e-2, 2.2, 9, 0, 1e-2, 9.5, 1, 2, 8e-2};
static const double cand_mean[] = {1.1, 0.9, 1.5, 2.7};
static const double cand_std[] = {0.3, 0.6, 0.2, 0.9};
static const double cand_acq[] = {0.42, 0.61, 0.13, 0.27};

static llmbo_advice_request request(llmbo_advice_mode mode, int n_want)
{
    llmbo_advice_request r;
    memset(&r, 0, sizeof r);
    r.mode = mode;
    r.space = space;
    r.problem = "Tune a slider, a layer count, a colour and a learning rate.";
    r.n_hist = 3;
    r.hist_x = hist_x;
    r.hist_y = hist_y;
    r.hist_failed = hist_failed;
    r.iteration = 3;
    r.budget = 20;
    r.n_cand = mode == LLMBO_ADVICE_RANK || mode == LLMBO_ADVICE_POOL ? 4 : 0;
    r.cand_x = cand_x;
    r.cand_mean = cand_mean;
    r.cand_std = cand_std;
    r.cand_acq = cand_acq;
    r.n_want = n_want;
    return r;
}

/* Creates an advisor from a printf-style JSON config; NULL (and a FAIL line) on error. */
static llmbo_advisor *make_advisor(const char *run_dir, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static llmbo_advisor *make_advisor(const char *run_dir, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cJSON *j = cJSON_Parse(text);
    llmbo_advisor *adv = NULL;
    llmbo_error err;
    llmbo_error_clear(&err);
    llmbo_status st =
        j ? llmbo_advisor_create(j, "test.json: advisor", run_dir, &adv, &err) : LLMBO_ERR_PARSE;
    cJSON_Delete(j);
    if (st != LLMBO_OK)
        CHECK(0, "advisor create: %s (%s)", err.msg, text);
    return adv;
}

typedef struct outcome {
    llmbo_status st;
    llmbo_advice_outcome outcome;
    int order[8], n_order;
    double x[4 * 8];
    int n_x;
    llmbo_cost cost;
    double seconds;
    char msg[1024];
} outcome;

/* One advice call for request r, through the advisor's hook. */
static outcome advise_request(llmbo_advisor *adv, const llmbo_advice_request *r)
{
    outcome o;
    memset(&o, 0, sizeof o);
    llmbo_advice_reply rep = {o.order, 0, o.x, 0, LLMBO_OUTCOME_VALID};
    llmbo_advisor_hook h;
    llmbo_advisor_get_hook(adv, &h);
    llmbo_error err;
    llmbo_error_clear(&err);
    double t0 = llmbo_now();
    o.st = h.advise(h.ctx, r, &rep, &err);
    o.seconds = llmbo_now() - t0;
    o.outcome = rep.outcome;
    o.n_order = rep.n_order;
    o.n_x = rep.n_x;
    h.cost(h.ctx, &o.cost);
    snprintf(o.msg, sizeof o.msg, "%s", err.msg);
    return o;
}

static outcome advise(llmbo_advisor *adv, llmbo_advice_mode mode, int n_want)
{
    llmbo_advice_request r = request(mode, n_want);
    return advise_request(adv, &r);
}

/* The same before any evaluation: a request with an empty history. */
static outcome advise_fresh(llmbo_advisor *adv, llmbo_advice_mode mode, int n_want)
{
    llmbo_advice_request r = request(mode, n_want);
    r.n_hist = 0;
    return advise_request(adv, &r);
}

static int start(const char *script)
{
    int rc = server_start(&srv, script);
    CHECK(rc == 0, "loopback server started (port %d)", srv.port);
    return rc;
}

static int points_valid(const outcome *o)
{
    for (int i = 0; i < o->n_x; i++)
        if (llmbo_space_check(space, o->x + 4 * i, NULL) != LLMBO_OK)
            return 0;
    return o->n_x > 0;
}

/* Openai config with fast retries against the loopback server. */
#define OPENAI_CFG                                                                                 \
    "{\"backend\": \"openai\", \"model\": \"test-model\", \"base_url\": "                          \
    "\"http://127.0.0.1:%d/v1\", \"api_key_env\": null, \"price\": {\"input\": 2.385, "            \
    "\"cached_input\": 0.5, \"output\": 9.75}, \"backoff\": 0.05, \"mode\": \"%s\"%s}"

/* The same with "stream": %s (the second argument). */
#define OPENAI_STREAM_CFG                                                                          \
    "{\"backend\": \"openai\", \"model\": \"test-model\", \"base_url\": "                          \
    "\"http://127.0.0.1:%d/v1\", \"api_key_env\": null, \"price\": {\"input\": 2.385, "            \
    "\"cached_input\": 0.5, \"output\": 9.75}, \"backoff\": 0.05, \"max_retries\": 1, "            \
    "\"mode\": \"propose\", \"stream\": %s}"
#define ANTHROPIC_STREAM_CFG                                                                       \
    "{\"backend\": \"anthropic\", \"model\": \"claude-3-5-sonnet-20241022\", \"base_url\": "       \
    "\"http://127.0.0.1:%d/v1\", \"api_key_env\": null, \"backoff\": 0.05, \"max_retries\": 1, "   \
    "\"mode\": \"rank\", \"stream\": %s}"

/* ---- answer styles ----------------------------------------------------------------------- */

static void test_styles(void)
{
    static const char *const styles[] = {
        "plain", "fenced", "prose", "think", "reasoning_content", "reasoning"};
    char script[2048];
    snprintf(script, sizeof script, "{\"responses\": [");
    for (int i = 0; i < 6; i++) {
        size_t l = strlen(script);
        snprintf(script + l, sizeof script - l,
                 "%s{\"style\": \"%s\", \"usage\": {\"prompt_tokens\": %d, \"completion_tokens\": "
                 "%d, \"completion_tokens_details\": {\"reasoning_tokens\": %d}, "
                 "\"prompt_tokens_details\": {\"cached_tokens\": %d}}}",
                 i ? "," : "", styles[i], 1000 + i, 200 + i, 50 + i, 300 + i);
    }
    strcat(script, "]}");
    if (start(script))
        return;
    llmbo_advisor *adv = make_advisor(NULL, OPENAI_CFG, srv.port, "propose", "");
    if (adv) {
        long p = 0, c = 0, rt = 0, ca = 0;
        double dollars = 0;
        for (int i = 0; i < 6; i++) {
            outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 2);
            CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID,
                  "style %s: valid answer (status %d, %s)", styles[i], o.st, o.msg);
            CHECK(o.n_x == 2 && points_valid(&o), "style %s: 2 points within the space", styles[i]);
            p += 1000 + i;
            c += 200 + i;
            rt += 50 + i;
            ca += 300 + i;
            dollars += ((1000 + i - (300 + i)) * 2.385 + (300 + i) * 0.5 + (200 + i) * 9.75) / 1e6;
            CHECK(o.cost.prompt_tokens == p && o.cost.completion_tokens == c &&
                      o.cost.reasoning_tokens == rt && o.cost.cached_tokens == ca,
                  "style %s: tokens accumulated (%ld %ld %ld %ld)", styles[i], o.cost.prompt_tokens,
                  o.cost.completion_tokens, o.cost.reasoning_tokens, o.cost.cached_tokens);
            CHECK_NEAR(o.cost.dollars, dollars, 1e-12, 0);
            CHECK(o.cost.valid == i + 1 && o.cost.calls == i + 1 && o.cost.errors == 0,
                  "style %s: counts valid %ld calls %ld", styles[i], o.cost.valid, o.cost.calls);
        }
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
}

/* Rank mode and the DeepSeek usage fields (prompt_cache_hit/miss_tokens). */
static void test_rank_deepseek(void)
{
    if (start("{\"responses\": [{\"style\": \"reasoning_content\", \"usage\": {\"prompt_tokens\": "
              "812, \"completion_tokens\": 377, \"prompt_cache_hit_tokens\": 640, "
              "\"prompt_cache_miss_tokens\": 172, \"completion_tokens_details\": "
              "{\"reasoning_tokens\": 301}}}]}"))
        return;
    llmbo_advisor *adv =
        make_advisor(NULL,
                     "{\"backend\": \"openai\", \"model\": \"deepseek-reasoner\", \"base_url\": "
                     "\"http://127.0.0.1:%d\", \"api_key_env\": null, \"mode\": \"rank\"}",
                     srv.port);
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_RANK, 2);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID, "rank: valid (%s)", o.msg);
        int seen[4] = {0}, ok = o.n_order == 4;
        for (int i = 0; i < o.n_order; i++)
            ok = ok && o.order[i] >= 0 && o.order[i] < 4 && !seen[o.order[i]]++;
        CHECK(ok, "rank: a permutation of the 4 candidates (n_order %d)", o.n_order);
        CHECK(o.cost.prompt_tokens == 812 && o.cost.cached_tokens == 640 &&
                  o.cost.completion_tokens == 377 && o.cost.reasoning_tokens == 301,
              "deepseek usage read (%ld %ld %ld %ld)", o.cost.prompt_tokens, o.cost.cached_tokens,
              o.cost.completion_tokens, o.cost.reasoning_tokens);
        /* deepseek-reasoner in data/prices.json: 0.55 input, 0.14 cached, 2.19 output. */
        CHECK_NEAR(o.cost.dollars, (172 * 0.55 + 640 * 0.14 + 377 * 2.19) / 1e6, 1e-12, 0);
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
}

/* The request body: sampling parameters, response_format json_schema, extra headers. */
static void test_request_body(void)
{
    if (start("{}"))
        return;
    llmbo_advisor *adv = make_advisor(
        NULL,
        "{\"backend\": \"openai\", \"model\": \"o3-mini\", \"base_url\": "
        "\"http://127.0.0.1:%d/v1/\", \"api_key_env\": null, \"mode\": \"propose\", "
        "\"response_format\": \"json_schema\", \"max_tokens_key\": \"max_completion_tokens\", "
        "\"max_tokens\": 300, \"seed\": 42, \"stop\": [\"END\"], \"temperature\": 0.3, "
        "\"top_p\": 0.9, \"reasoning_effort\": \"low\", \"headers\": {\"X-Title\": "
        "\"llmbo\"}}",
        srv.port);
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 2);
        CHECK(o.st == LLMBO_OK, "json_schema request answered (%s)", o.msg);
        llmbo_advisor_free(adv);
    }
    char *log = read_text(srv.log);
    cJSON *line = log ? cJSON_Parse(log) : NULL;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(line, "body");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(line, "headers");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(line, "path");
    cJSON *body = cJSON_IsString(b) ? cJSON_Parse(b->valuestring) : NULL;
    CHECK(cJSON_IsString(path) && strcmp(path->valuestring, "/v1/chat/completions") == 0,
          "path joined without a double slash");
    CHECK(cJSON_GetObjectItemCaseSensitive(body, "max_completion_tokens") &&
              cJSON_GetObjectItemCaseSensitive(body, "max_completion_tokens")->valuedouble == 300 &&
              !cJSON_GetObjectItemCaseSensitive(body, "max_tokens"),
          "max_completion_tokens used instead of max_tokens");
    CHECK(
        cJSON_GetObjectItemCaseSensitive(body, "seed")->valuedouble == 42 &&
            cJSON_GetObjectItemCaseSensitive(body, "temperature")->valuedouble == 0.3 &&
            cJSON_GetObjectItemCaseSensitive(body, "top_p")->valuedouble == 0.9 &&
            strcmp(
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "stop"), 0)->valuestring,
                "END") == 0 &&
            strcmp(cJSON_GetObjectItemCaseSensitive(body, "reasoning_effort")->valuestring,
                   "low") == 0,
        "seed, temperature, top_p, stop, reasoning_effort sent");
    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(body, "response_format");
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rf, "json_schema"), "schema");
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(schema, "properties"), "points");
    const cJSON *x3 = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pts, "items"),
                                         "properties"),
        "x3");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(x3, "enum");
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rf, "type")) &&
              strcmp(cJSON_GetObjectItemCaseSensitive(rf, "type")->valuestring, "json_schema") ==
                  0 &&
              cJSON_GetArraySize(en) == 3 &&
              strcmp(cJSON_GetArrayItem(en, 2)->valuestring, "blue") == 0 &&
              cJSON_GetObjectItemCaseSensitive(pts, "minItems")->valuedouble == 2,
          "json_schema: points array of 2, categorical enum of choice names");
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(h, "X-Title")) &&
              !cJSON_GetObjectItemCaseSensitive(h, "Authorization"),
          "extra header sent; no Authorization without a key");
    cJSON_Delete(body);
    cJSON_Delete(line);
    free(log);
    server_stop(&srv);
}

/* ---- transport faults -------------------------------------------------------------------- */

static void test_retry_after(void)
{
    if (start("{\"responses\": [{\"status\": 429, \"headers\": {\"Retry-After\": \"1\"}, "
              "\"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"rate limited\\\"}}\"}]}"))
        return;
    llmbo_advisor *adv = make_advisor(NULL, OPENAI_CFG, srv.port, "propose", "");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID, "429 then valid (%s)", o.msg);
        CHECK(o.cost.retries == 1 && o.cost.calls == 1, "one retry (%ld), one call (%ld)",
              o.cost.retries, o.cost.calls);
        CHECK(o.seconds >= 0.95, "Retry-After: 1 honoured although backoff is 0.05 s (%.3f s)",
              o.seconds);
        CHECK(o.cost.seconds >= 0.95 && o.cost.seconds <= o.seconds + 1e-6,
              "advisor seconds include the wait (%.3f)", o.cost.seconds);
        CHECK(server_requests(&srv) == 2, "server saw 2 requests (%d)", server_requests(&srv));
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
    /* Retry-After as an HTTP-date (RFC 9110): 3 s from now. The answer is t minus the clock
     * read inside the call, so it lies between t minus the clocks read around the call: exact
     * bounds, whatever the machine's load. */
    char date[64];
    time_t before = time(NULL), t = before + 3;
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tmv);
    double ra = llmbo_http_retry_after(date);
    time_t after = time(NULL);
    CHECK(ra >= difftime(t, after) && ra <= difftime(t, before) && ra >= 0,
          "Retry-After HTTP-date %s -> %.2f s (clock read %.0f s before and %.0f s after)", date,
          ra, difftime(t, before), difftime(t, after));
    CHECK(llmbo_http_retry_after("120") == 120, "Retry-After delta-seconds");
    CHECK(llmbo_http_retry_after("soon") < 0, "Retry-After garbage rejected");
}

#define RETRIES3 ", \"max_retries\": 3"

static void test_5xx(void)
{
    /* Two 500s then an answer: retried; then 503 for ever: gives up after max_retries. */
    if (start("{\"responses\": [{\"status\": 500, \"body\": \"oops\"}, {\"status\": 502, "
              "\"body\": \"bad gateway\"}, {}, {\"status\": 503, \"body\": \"down\"}, "
              "{\"status\": 503, \"body\": \"down\"}, {\"status\": 503, \"body\": \"down\"}, "
              "{\"status\": 503, \"body\": \"down\"}]}"))
        return;
    llmbo_advisor *adv = make_advisor(NULL, OPENAI_CFG, srv.port, "propose", RETRIES3);
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.cost.retries == 2,
              "500, 502, then valid: retries %ld (%s)", o.cost.retries, o.msg);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_ERR_HTTP && o.outcome == LLMBO_OUTCOME_TRANSPORT_ERROR,
              "503 x4: transport error (status %d: %s)", o.st, o.msg);
        CHECK(strstr(o.msg, "HTTP 503") != NULL && strstr(o.msg, "4 attempts") != NULL,
              "message names the status and attempts: %s", o.msg);
        CHECK(o.cost.errors == 1 && o.cost.valid == 1 && o.cost.calls == 2 && o.cost.retries == 5,
              "counts: errors %ld valid %ld calls %ld retries %ld", o.cost.errors, o.cost.valid,
              o.cost.calls, o.cost.retries);
        CHECK(server_requests(&srv) == 7, "server saw 3 + 4 requests (%d)", server_requests(&srv));
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
}

static void test_timeout_reset_truncate(void)
{
    /* Client timeout 2 s against a 60 s delay: margins wide enough that a loaded machine's slow
     * answers are never mistaken for timeouts, nor a timeout for a delivered answer. */
    if (start("{\"responses\": [{\"delay\": 60}, {}, {\"action\": \"reset\"}, {}, "
              "{\"action\": \"truncate\"}, {}, {\"delay\": 60}, {\"delay\": 60}]}"))
        return;
    llmbo_advisor *adv =
        make_advisor(NULL, OPENAI_CFG, srv.port, "propose", ", \"timeout\": 2, \"max_retries\": 1");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.cost.retries == 1,
              "timeout then valid (%s)", o.msg);
        CHECK(o.seconds >= 2.0 && o.seconds < 30,
              "timed out at 2 s, not after the 60 s delay (%.3f s)", o.seconds);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.cost.retries == 2,
              "connection reset then valid (%s)", o.msg);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.cost.retries == 3,
              "truncated body then valid (%s)", o.msg);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_ERR_TIMEOUT && o.outcome == LLMBO_OUTCOME_TRANSPORT_ERROR,
              "two timeouts: LLMBO_ERR_TIMEOUT (%d: %s)", o.st, o.msg);
        CHECK(o.cost.valid == 3 && o.cost.errors == 1 && o.cost.fallback == 0,
              "counts valid %ld errors %ld", o.cost.valid, o.cost.errors);
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
}

static void test_non_json_and_cap(void)
{
    if (start("{\"responses\": [{\"body\": \"<html>Bad gateway</html>\"}, {\"content\": "
              "\"%s\"}]}"))
        return;
    llmbo_advisor *adv =
        make_advisor(NULL, OPENAI_CFG, srv.port, "propose", ", \"max_response_bytes\": 1024");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_ERR_BACKEND && o.outcome == LLMBO_OUTCOME_TRANSPORT_ERROR,
              "non-JSON 200: backend error, no retry (%d: %s)", o.st, o.msg);
        CHECK(strstr(o.msg, "not JSON") != NULL && o.cost.retries == 0, "message: %s", o.msg);
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
    /* A body over max_response_bytes: 3000 characters of content. */
    char big[3200], script[3400];
    memset(big, 'a', 3000);
    big[3000] = '\0';
    snprintf(script, sizeof script, "{\"default\": {\"content\": \"%s\"}}", big);
    if (start(script))
        return;
    adv = make_advisor(NULL, OPENAI_CFG, srv.port, "propose", ", \"max_response_bytes\": 1024");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_ERR_HTTP && strstr(o.msg, "max_response_bytes") != NULL,
              "oversized body refused: %s", o.msg);
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
}

/* ---- invalid answers --------------------------------------------------------------------- */

static void test_invalid_answers(void)
{
    if (start("{\"responses\": ["
              "{\"answer\": \"wrongdim\"}, {},"                              /* repaired */
              "{\"answer\": \"oob\"}, {\"answer\": \"oob\"},"                /* fallback */
              "{\"answer\": \"nan\"}, {\"style\": \"fenced\"},"              /* repaired */
              "{\"answer\": \"prose\"}, {\"answer\": \"prose\"},"            /* fallback */
              "{\"answer\": \"rank_dup\"}, {},"                              /* rank repaired */
              "{\"answer\": \"rank_range\"}, {\"answer\": \"rank_range\"}]," /* rank fallback */
              "\"default\": {\"usage\": {\"prompt_tokens\": 100, \"completion_tokens\": 10}}}"))
        return;
    llmbo_advisor *adv = make_advisor(NULL, OPENAI_CFG, srv.port, "propose", "");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 2);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_REPAIRED && points_valid(&o),
              "missing parameter: repaired (%s)", o.msg);
        CHECK(o.cost.calls == 2 && o.cost.repaired == 1, "repair costs a second call (%ld)",
              o.cost.calls);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 2);
        CHECK(o.st == LLMBO_ERR_VALIDATION && o.outcome == LLMBO_OUTCOME_FALLBACK && o.n_x == 0,
              "out of bounds twice: fallback, no points (%s)", o.msg);
        CHECK(strstr(o.msg, "outside its bounds") != NULL, "error names the bound: %s", o.msg);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 2);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_REPAIRED, "NaN: repaired (%s)", o.msg);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 2);
        CHECK(o.outcome == LLMBO_OUTCOME_FALLBACK && strstr(o.msg, "no JSON") != NULL,
              "prose without JSON: fallback (%s)", o.msg);
        o = advise(adv, LLMBO_ADVICE_RANK, 2);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_REPAIRED, "rank dup: repaired (%s)",
              o.msg);
        o = advise(adv, LLMBO_ADVICE_RANK, 2);
        CHECK(o.outcome == LLMBO_OUTCOME_FALLBACK && strstr(o.msg, "not a candidate index"),
              "rank out of range: fallback (%s)", o.msg);
        CHECK(o.cost.valid == 0 && o.cost.repaired == 3 && o.cost.fallback == 3 &&
                  o.cost.errors == 0 && o.cost.calls == 12,
              "counts: valid %ld repaired %ld fallback %ld errors %ld calls %ld", o.cost.valid,
              o.cost.repaired, o.cost.fallback, o.cost.errors, o.cost.calls);
        llmbo_advisor_free(adv);
    }
    /* The repair request quotes the error and carries the model's previous answer. */
    char *log = read_text(srv.log);
    CHECK(log && strstr(log, "Your previous answer could not be used") &&
              strstr(log, "x4 is missing"),
          "repair request quotes the validation error");
    free(log);
    server_stop(&srv);
}

/* ---- step answers ("answer": "step") ------------------------------------------------------ */

/* The history's best is #1: x1 = -2.5 (1/6 of [-5, 10]), x2 = 7, x3 = blue, x4 = 0.05 (log scale
 * in [1e-4, 0.1]: log(500)/log(1000) of the way). A step answer moves x1 and x4 by fractions of
 * their (log) ranges from there; x2 and x3 stay absolute. */
static void test_step_answers(void)
{
    if (start("{\"responses\": ["
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 0.25, \\\"x2\\\": 3, \\\"x3\\\": "
              "\\\"red\\\", \\\"x4\\\": -0.1}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 0.9, \\\"x2\\\": 3, \\\"x3\\\": "
              "\\\"red\\\", \\\"x4\\\": 0}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": -0.125, \\\"x2\\\": 3, \\\"x3\\\": "
              "\\\"red\\\", \\\"x4\\\": 0.05}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 0, \\\"x2\\\": 7, \\\"x3\\\": "
              "\\\"blue\\\", \\\"x4\\\": 0}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 0, \\\"x2\\\": 7, \\\"x3\\\": "
              "\\\"blue\\\", \\\"x4\\\": 0}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 2.2, \\\"x2\\\": 9, \\\"x3\\\": "
              "\\\"green\\\", \\\"x4\\\": 0.01}]}\"}],"
              "\"default\": {\"usage\": {\"prompt_tokens\": 100, \"completion_tokens\": 10}}}"))
        return;
    llmbo_advisor *adv =
        make_advisor(NULL, OPENAI_CFG, srv.port, "propose",
                     ", \"answer\": \"step\", \"response_format\": \"json_schema\"");
    if (adv) {
        double u4 = log(500.0) / log(1000.0);
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.n_x == 1,
              "step answer accepted (%s)", o.msg);
        /* x1 = -5 + (1/6 + 0.25) * 15; x4 = 0.05 * 1000^-0.1 (a tenth of the log range down). */
        CHECK_NEAR(o.x[0], 1.25, 1e-12, 1e-12);
        CHECK(o.x[1] == 3 && o.x[2] == 0, "integer and categorical stay absolute (%g, %g)", o.x[1],
              o.x[2]);
        CHECK_NEAR(o.x[3], 0.05 * pow(1000.0, -0.1), 1e-12, 0);
        /* 1/6 + 0.9 leaves the box: the step's bounds are [-1/6, 5/6]; the repair's step of
         * -0.125 lands at x1 = -5 + (1/6 - 1/8) * 15 = -4.375, x4 at 0.05 * 1000^0.05. */
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_REPAIRED,
              "a step out of the box is repaired (%s)", o.msg);
        CHECK_NEAR(o.x[0], -4.375, 1e-12, 1e-12);
        CHECK_NEAR(o.x[3], 0.05 * pow(1000.0, 0.05), 1e-12, 0);
        CHECK(u4 + 0.05 < 1, "the x4 step stays in the box (%g)", u4 + 0.05);
        /* A zero step with the best's own integer and choice repeats evaluation #1. */
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_ERR_VALIDATION && o.outcome == LLMBO_OUTCOME_FALLBACK && o.n_x == 0,
              "a zero step repeats the best: fallback (%s)", o.msg);
        CHECK(strstr(o.msg, "repeats evaluation #1") != NULL, "the repeat is named: %s", o.msg);
        /* Before any evaluation (warm start) the answer is absolute. */
        o = advise_fresh(adv, LLMBO_ADVICE_WARMSTART, 1);
        CHECK(o.st == LLMBO_OK && o.n_x == 1 && o.x[0] == 2.2 && o.x[1] == 9 && o.x[2] == 1 &&
                  o.x[3] == 0.01,
              "warm start: absolute coordinates (%s)", o.msg);
        llmbo_advisor_free(adv);
    }
    /* The prompt says what a value means, and the schema bounds x1's step to [-1/6, 5/6]. */
    char *log = read_text(srv.log);
    CHECK(log && strstr(log, "a step from the best point so far") && strstr(log, "-0.1666666") &&
              strstr(log, "0.8333333"),
          "the prompt and the schema describe the step");
    free(log);
    server_stop(&srv);
    cJSON *j = cJSON_Parse("{\"backend\": \"openai\", \"model\": \"m\", \"api_key_env\": null, "
                           "\"answer\": \"relative\"}");
    llmbo_advisor *bad = NULL;
    llmbo_error err;
    llmbo_error_clear(&err);
    llmbo_status st = llmbo_advisor_create(j, "run.json: advisor", NULL, &bad, &err);
    CHECK(st == LLMBO_ERR_CONFIG && strstr(err.msg, "run.json: advisor.answer: expected "
                                                    "\"absolute\", \"step\", \"unit\" or "
                                                    "\"anchored\""),
          "an unknown answer kind is named: %s", err.msg);
    llmbo_advisor_free(bad);
    cJSON_Delete(j);
}

/* "answer": "unit": before the first evaluation (the warm start) the values of continuous and
 * log-scale parameters are positions in fractions of each range, afterwards steps from the best
 * (as "step"). A position of 1.5 leaves the box and is repaired; x1 at 1 of [-5, 10] is 10, x4
 * at 0.25 of the log range of [1e-4, 0.1] is 1e-4 * 1000^0.25. */
static void test_unit_answers(void)
{
    if (start("{\"responses\": ["
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 0.375, \\\"x2\\\": 3, \\\"x3\\\": "
              "\\\"red\\\", \\\"x4\\\": 0.25}, {\\\"x1\\\": 1.5, \\\"x2\\\": 3, \\\"x3\\\": "
              "\\\"red\\\", \\\"x4\\\": 0}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 1, \\\"x2\\\": 3, \\\"x3\\\": "
              "\\\"red\\\", \\\"x4\\\": 0.25}, {\\\"x1\\\": 0, \\\"x2\\\": 8, \\\"x3\\\": "
              "\\\"blue\\\", \\\"x4\\\": 1}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 0.25, \\\"x2\\\": 3, \\\"x3\\\": "
              "\\\"red\\\", \\\"x4\\\": -0.1}]}\"}],"
              "\"default\": {\"usage\": {\"prompt_tokens\": 100, \"completion_tokens\": 10}}}"))
        return;
    llmbo_advisor *adv =
        make_advisor(NULL, OPENAI_CFG, srv.port, "propose",
                     ", \"answer\": \"unit\", \"response_format\": \"json_schema\"");
    if (adv) {
        outcome w = advise_fresh(adv, LLMBO_ADVICE_WARMSTART, 2);
        const double *x = w.x;
        CHECK(w.st == LLMBO_OK && w.outcome == LLMBO_OUTCOME_REPAIRED && w.n_x == 2,
              "warm start: a position out of [0, 1] is repaired (%s)", w.msg);
        /* The repair's points: x1 at 1 of the range is 10, at 0 is -5; x4 at 1 is 0.1. */
        CHECK_NEAR(x[0], 10.0, 1e-12, 1e-12);
        CHECK_NEAR(x[3], 1e-4 * pow(1000.0, 0.25), 1e-12, 0);
        CHECK(x[1] == 3 && x[2] == 0, "integer and categorical stay absolute (%g, %g)", x[1], x[2]);
        CHECK_NEAR(x[4], -5.0, 1e-12, 1e-12);
        CHECK(x[5] == 8 && x[6] == 2, "second point's integer and choice (%g, %g)", x[5], x[6]);
        CHECK_NEAR(x[7], 0.1, 1e-12, 0);
        /* After evaluations: a step from the best (#1: x1 = -2.5, 1/6 of the range). */
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.n_x == 1,
              "unit: later answers are steps (%s)", o.msg);
        CHECK_NEAR(o.x[0], 1.25, 1e-12, 1e-12);
        CHECK_NEAR(o.x[3], 0.05 * pow(1000.0, -0.1), 1e-12, 0);
        llmbo_advisor_free(adv);
    }
    char *log = read_text(srv.log);
    CHECK(log && strstr(log, "its position as a fraction of the parameter's range") &&
              strstr(log, "a step from the best point so far"),
          "the prompts say what a value means, before and after the first evaluation");
    free(log);
    server_stop(&srv);
}

/* "answer": "anchored": a step names its origin, "from": "best" or "mean" (the mean of the
 * shown successful evaluations in fractions of each range). The history is the 3 evaluations
 * of request() plus a failed #3 at x1 = 10, x4 = 0.1, left out of the mean. By hand: x1's
 * positions (x1 + 5) / 15 are 5/12, 1/6, 17/20, mean 43/90; x4's log positions
 * log10(x4 / 1e-4) / 3 are 1/3, log(500)/log(1000), log(2)/log(1000), mean 4/9. Best is #1
 * (x1 at 1/6, x4 at log(500)/log(1000)). The step bounds are those of either origin: x1 in
 * [-43/90, 5/6]; a point beyond the box is moved onto it. */
static void test_anchored_answers(void)
{
    if (start("{\"responses\": ["
              "{\"content\": \"{\\\"points\\\": [{\\\"from\\\": \\\"mean\\\", \\\"x1\\\": 0.1, "
              "\\\"x2\\\": 3, \\\"x3\\\": \\\"red\\\", \\\"x4\\\": -0.2}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"from\\\": \\\"best\\\", \\\"x1\\\": 0.25, "
              "\\\"x2\\\": 3, \\\"x3\\\": \\\"red\\\", \\\"x4\\\": -0.1}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"from\\\": \\\"mean\\\", \\\"x1\\\": 0.6, "
              "\\\"x2\\\": 9, \\\"x3\\\": \\\"blue\\\", \\\"x4\\\": -0.5}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"from\\\": \\\"centre\\\", \\\"x1\\\": 0.1, "
              "\\\"x2\\\": 3, \\\"x3\\\": \\\"red\\\", \\\"x4\\\": 0}]}\"},"
              "{\"content\": \"{\\\"points\\\": [{\\\"x1\\\": 0.1, \\\"x2\\\": 3, \\\"x3\\\": "
              "\\\"red\\\", \\\"x4\\\": 0}]}\"}],"
              "\"default\": {\"usage\": {\"prompt_tokens\": 100, \"completion_tokens\": 10}}}"))
        return;
    llmbo_advisor *adv =
        make_advisor(NULL, OPENAI_CFG, srv.port, "propose",
                     ", \"answer\": \"anchored\", \"response_format\": \"json_schema\"");
    static const double hx[] = {1.25, 3,  0, 1e-3, -2.5, 7, 2, 5e-2,
                                7.75, 12, 1, 2e-4, 10,   1, 0, 0.1};
    static const double hy[] = {3.8, 1.2, 5.6, NAN};
    static const int hf[] = {0, 0, 0, 1};
    llmbo_advice_request r = request(LLMBO_ADVICE_PROPOSE, 1);
    r.n_hist = 4;
    r.hist_x = hx;
    r.hist_y = hy;
    r.hist_failed = hf;
    if (adv) {
        outcome o = advise_request(adv, &r);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.n_x == 1,
              "a step from the mean accepted (%s)", o.msg);
        /* x1 = -5 + (43/90 + 0.1) * 15 = 11/3; x4 = 1e-4 * 1000^(4/9 - 0.2). */
        CHECK_NEAR(o.x[0], 11.0 / 3.0, 1e-12, 1e-12);
        CHECK(o.x[1] == 3 && o.x[2] == 0, "integer and categorical stay absolute (%g, %g)", o.x[1],
              o.x[2]);
        CHECK_NEAR(o.x[3], 1e-4 * pow(1000.0, 4.0 / 9.0 - 0.2), 1e-12, 0);
        o = advise_request(adv, &r); /* from the best: as "step" */
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.n_x == 1,
              "a step from the best accepted (%s)", o.msg);
        CHECK_NEAR(o.x[0], 1.25, 1e-12, 1e-12);
        CHECK_NEAR(o.x[3], 0.05 * pow(1000.0, -0.1), 1e-12, 0);
        /* 43/90 + 0.6 > 1 and 4/9 - 0.5 < 0: onto the box, x1 = 10, x4 = 1e-4. */
        o = advise_request(adv, &r);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.n_x == 1,
              "a step from the mean beyond the box accepted (%s)", o.msg);
        CHECK_NEAR(o.x[0], 10.0, 1e-12, 1e-12);
        CHECK_NEAR(o.x[3], 1e-4, 1e-12, 0);
        CHECK(o.x[1] == 9 && o.x[2] == 2, "integer and choice (%g, %g)", o.x[1], o.x[2]);
        /* An unknown origin is repaired; the repair without "from" is refused: fallback. */
        o = advise_request(adv, &r);
        CHECK(o.st == LLMBO_ERR_VALIDATION && o.outcome == LLMBO_OUTCOME_FALLBACK && o.n_x == 0,
              "a malformed anchor, then none: fallback (%s)", o.msg);
        CHECK(strstr(o.msg, "from is missing") != NULL, "the missing key is named: %s", o.msg);
        llmbo_advisor_free(adv);
    }
    /* The first prompt describes "from"; the schema has its enum and x1's bounds of either
     * origin; the repair request quotes the bad anchor. */
    char *log = read_text(srv.log);
    /* The log quotes each request body as a JSON string: a quote of the prompt is \\\". */
    CHECK(log && strstr(log, "best\\\\\\\" or \\\\\\\"mean\\\\\\\", \\\\\\\"x1") &&
              strstr(log, "names the point the step starts from") &&
              strstr(log, "enum\\\":[\\\"best\\\",\\\"mean\\\"]") && strstr(log, "-0.4777777") &&
              strstr(log, "0.8333333"),
          "the prompt and the schema describe the anchored step");
    CHECK(log && strstr(log, "from = \\\\\\\"centre\\\\\\\" is not one of its choices"),
          "the repair request names the bad anchor");
    free(log);
    server_stop(&srv);
    /* A parameter named "from" cannot take an anchored answer. */
    llmbo_space *sp = llmbo_space_create();
    llmbo_param pf = {"from", LLMBO_PARAM_CONTINUOUS, 0, 1, 0, NULL, NULL, NULL};
    CHECK(sp && llmbo_space_add(sp, &pf, NULL) == LLMBO_OK, "space with a parameter \"from\"");
    if (start("{\"default\": {\"content\": \"{}\"}}")) {
        llmbo_space_free(sp);
        return;
    }
    adv = make_advisor(NULL, OPENAI_CFG, srv.port, "propose", ", \"answer\": \"anchored\"");
    if (adv && sp) {
        static const double fx[] = {0.5};
        static const double fy[] = {1.0};
        llmbo_advice_request q = request(LLMBO_ADVICE_PROPOSE, 1);
        q.space = sp;
        q.n_hist = 1;
        q.hist_x = fx;
        q.hist_y = fy;
        q.hist_failed = NULL;
        outcome o = advise_request(adv, &q);
        CHECK(o.st == LLMBO_ERR_CONFIG && o.cost.calls == 0 &&
                  strstr(o.msg, "parameter 0 is named \"from\""),
              "a parameter named \"from\" is refused before any call: %s", o.msg);
    }
    llmbo_advisor_free(adv);
    llmbo_space_free(sp);
    server_stop(&srv);
}

/* ---- Anthropic --------------------------------------------------------------------------- */

static void test_anthropic(void)
{
    if (start("{\"responses\": [{\"style\": \"thinking\", \"usage\": {\"input_tokens\": 150, "
              "\"cache_read_input_tokens\": 900, \"cache_creation_input_tokens\": 40, "
              "\"output_tokens\": 420}}, {\"status\": 529, \"body\": \"{\\\"type\\\": "
              "\\\"error\\\", \\\"error\\\": {\\\"type\\\": \\\"overloaded_error\\\"}}\"}, "
              "{\"style\": \"fenced\"}]}"))
        return;
    setenv("LLMBO_TEST_ANTHROPIC_KEY", "sk-ant-test-5f3e9c2a71d4", 1);
    llmbo_advisor *adv = make_advisor(
        NULL,
        "{\"backend\": \"anthropic\", \"model\": \"claude-3-5-sonnet-20241022\", \"base_url\": "
        "\"http://127.0.0.1:%d/v1\", \"api_key_env\": \"LLMBO_TEST_ANTHROPIC_KEY\", \"mode\": "
        "\"rank\", \"backoff\": 0.05, \"thinking_budget\": 2048}",
        srv.port);
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_RANK, 1);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.n_order == 4,
              "anthropic thinking + text blocks: valid (%s)", o.msg);
        CHECK(o.cost.prompt_tokens == 1090 && o.cost.cached_tokens == 900 &&
                  o.cost.completion_tokens == 420,
              "anthropic usage: prompt = input + cache read + cache write (%ld, %ld, %ld)",
              o.cost.prompt_tokens, o.cost.cached_tokens, o.cost.completion_tokens);
        /* claude-3-5-sonnet: 3.00 input, 0.30 cache read, 15.00 output per million. */
        CHECK_NEAR(o.cost.dollars, (190 * 3.0 + 900 * 0.30 + 420 * 15.0) / 1e6, 1e-12, 0);
        o = advise(adv, LLMBO_ADVICE_RANK, 1);
        CHECK(o.st == LLMBO_OK && o.cost.retries == 1, "529 overloaded retried (%s)", o.msg);
        llmbo_advisor_free(adv);
    }
    char *log = read_text(srv.log);
    cJSON *first = NULL;
    if (log) {
        char *nl = strchr(log, '\n');
        if (nl)
            *nl = '\0';
        first = cJSON_Parse(log);
    }
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(first, "headers");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(h, "x-api-key");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "anthropic-version");
    CHECK(cJSON_IsString(k) && strcmp(k->valuestring, "sk-ant-test-5f3e9c2a71d4") == 0,
          "x-api-key header carries the key from the environment");
    CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "2023-06-01") == 0,
          "anthropic-version header");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(first, "body");
    cJSON *body = cJSON_IsString(b) ? cJSON_Parse(b->valuestring) : NULL;
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(body, "system");
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(body, "thinking");
    CHECK(
        cJSON_IsString(sys) && cJSON_GetArraySize(msgs) == 1 &&
            strcmp(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, 0), "role")->valuestring,
                "user") == 0,
        "system prompt is the top-level field, messages hold only the user turn");
    CHECK(cJSON_GetObjectItemCaseSensitive(th, "budget_tokens") &&
              cJSON_GetObjectItemCaseSensitive(body, "max_tokens")->valuedouble > 2048,
          "thinking budget sent with max_tokens above it");
    cJSON_Delete(body);
    cJSON_Delete(first);
    free(log);
    server_stop(&srv);
}

/* ---- API key ----------------------------------------------------------------------------- */

static int file_contains(const char *path, const char *needle)
{
    char *s = read_text(path);
    int r = s && strstr(s, needle) != NULL;
    free(s);
    return r;
}

static void test_api_key(void)
{
    const char *key = "sk-test-9b1d7e0c44af62e8";
    setenv("LLMBO_TEST_OPENAI_KEY", key, 1);
    /* A 401 whose body echoes the key, as a careless proxy might. */
    /* Then an answer that echoes the key and carries invalid UTF-8 (row 13 of issue 12: both
     * were copied into advisor.jsonl and the cassette). */
    if (start("{\"responses\": [{}, {\"status\": 401, \"body\": \"invalid key "
              "sk-test-9b1d7e0c44af62e8\"}, {\"append\": \" (your key sk-test-9b1d7e0c44af62e8)\", "
              "\"append_hex\": \"20ff fe c3 28 e2 82\"}]}"))
        return;
    system("rm -rf key_run && mkdir -p key_run");
    llmbo_advisor *adv = make_advisor(
        "key_run",
        "{\"backend\": \"openai\", \"model\": \"gpt-4o-mini\", \"base_url\": "
        "\"http://127.0.0.1:%d/v1\", \"api_key_env\": \"LLMBO_TEST_OPENAI_KEY\", \"mode\": "
        "\"propose\", \"record\": \"key_run/cassette.jsonl\", \"max_retries\": 0}",
        srv.port);
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK, "valid call with a key (%s)", o.msg);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_ERR_HTTP && strstr(o.msg, "HTTP 401") && !strstr(o.msg, key),
              "401 reported without the key: %s", o.msg);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_OK, "answer echoing the key, with invalid UTF-8: still valid (%s)",
              o.msg);
        llmbo_advisor_free(adv);
    }
    const char *files[2] = {"key_run/advisor.jsonl", "key_run/cassette.jsonl"};
    for (int f = 0; f < 2; f++) {
        char *text = read_text(files[f]);
        CHECK(text && llmbo_utf8_valid(text, strlen(text)) && strstr(text, "\\\\xFF\\\\xFE") &&
                  strstr(text, "(your key ************************)"),
              "%s: valid UTF-8 (stray bytes as \\xFF...), the echoed key masked", files[f]);
        free(text);
    }
    CHECK(file_contains(srv.log, "Bearer sk-test-9b1d7e0c44af62e8"),
          "Authorization: Bearer header sent");
    CHECK(count_lines("key_run/advisor.jsonl") == 3 && !file_contains("key_run/advisor.jsonl", key),
          "advisor.jsonl (3 lines) does not contain the key");
    CHECK(count_lines("key_run/cassette.jsonl") == 3 &&
              !file_contains("key_run/cassette.jsonl", key),
          "cassette does not contain the key");
    /* An explicitly named variable that is unset is a configuration error. */
    cJSON *j = cJSON_Parse("{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"api_key_env\": "
                           "\"LLMBO_TEST_NO_SUCH_VARIABLE\"}");
    llmbo_advisor *a2 = NULL;
    llmbo_error err;
    llmbo_status st = llmbo_advisor_create(j, "run.json: advisor", NULL, &a2, &err);
    CHECK(st == LLMBO_ERR_CONFIG && strstr(err.msg, "LLMBO_TEST_NO_SUCH_VARIABLE is not set"),
          "unset key variable: %s", err.msg);
    cJSON_Delete(j);
    server_stop(&srv);
}

/* ---- concurrency ------------------------------------------------------------------------- */

/* Largest "inflight" count the server logged for requests first..end-1 (0-based lines). */
static int max_inflight(int first, int end)
{
    char *log = read_text(srv.log);
    int line = 0, best = 0;
    for (char *p = log; p && *p && line < end; line++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        if (line >= first) {
            cJSON *j = cJSON_Parse(p);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "inflight");
            if (cJSON_IsNumber(v) && v->valueint > best)
                best = v->valueint;
            cJSON_Delete(j);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    free(log);
    return best;
}

/* Runs n requests through llmbo_backend_complete_batch; returns the server's peak in-flight
 * count during the batch (or -1), and the wall time in *dt. */
static int batch_inflight(int n, int concurrency, int parallel, double *dt, int *ok)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "{\"backend\": \"openai\", \"model\": \"m\", \"base_url\": \"http://127.0.0.1:%d\", "
             "\"api_key_env\": null, \"concurrency\": %d}",
             srv.port, concurrency);
    cJSON *j = cJSON_Parse(cfg);
    llmbo_backend_config bc = {j, "test", "m", NULL};
    llmbo_backend b = {llmbo_backend_find("openai"), NULL};
    llmbo_error err;
    int peak = -1;
    *ok = 0;
    *dt = -1;
    if (b.vt->create(&bc, &b.state, &err) == LLMBO_OK) {
        llmbo_chat_message m = {"user", "hello"};
        llmbo_chat_request reqs[4];
        llmbo_chat_reply rep[4];
        llmbo_status st[4];
        for (int i = 0; i < n; i++) {
            llmbo_chat_request r = {&m, 1, -1, -1, 0, i, NULL, 0, NULL, 0, NULL, NULL, 0};
            reqs[i] = r;
        }
        int before = server_requests(&srv);
        double t0 = llmbo_now();
        llmbo_backend_complete_batch(&b, reqs, n, parallel, rep, st, NULL);
        *dt = llmbo_now() - t0;
        *ok = server_requests(&srv) == before + n;
        for (int i = 0; i < n; i++) {
            *ok &= st[i] == LLMBO_OK && rep[i].content != NULL;
            llmbo_chat_reply_clear(&rep[i]);
        }
        peak = max_inflight(before, before + n);
        b.vt->destroy(b.state);
    }
    cJSON_Delete(j);
    return peak;
}

/* Overlap is judged by the in-flight counts the server records under its lock, never by wall
 * time: the server holds each answer of the first two batches until 4 (then 2) requests are in
 * flight, so the peak is exact on any machine, however loaded; a request stops counting before
 * its answer is written, so a one-at-a-time client is never seen as two. */
static void test_concurrency(void)
{
    if (start("{\"responses\": [{\"gate\": 4}, {\"gate\": 4}, {\"gate\": 4}, {\"gate\": 4}, "
              "{\"gate\": 2}, {\"gate\": 2}, {\"gate\": 2}, {\"gate\": 2}], "
              "\"default\": {\"delay\": 0.2, \"content\": \"ok\"}}"))
        return;
    int ok1, ok2, ok3;
    double t1, t2, t3;
    int par = batch_inflight(4, 4, 4, &t1, &ok1);
    int capped = batch_inflight(4, 2, 4, &t2, &ok2);
    int ser = batch_inflight(3, 4, 1, &t3, &ok3);
    CHECK(ok1 && ok2 && ok3, "all batch requests answered");
    CHECK(par == 4, "4 threads: %d of 4 requests in flight at once (%.2f s)", par, t1);
    CHECK(capped == 2, "concurrency 2 caps them at 2 in flight (%d; %.2f s)", capped, t2);
    CHECK(ser == 1, "one thread: one at a time (%d; %.2f s)", ser, t3);
    server_stop(&srv);
}

/* samples: k requests at once for one advice, points pooled. */
static void test_samples(void)
{
    if (start("{\"default\": {\"gate\": 3, \"usage\": {\"prompt_tokens\": 500, "
              "\"completion_tokens\": 50}}}"))
        return;
    llmbo_advisor *adv = make_advisor(NULL, OPENAI_CFG, srv.port, "propose", ", \"samples\": 3");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 4);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID && o.n_x == 4 &&
                  points_valid(&o),
              "3 samples of 4 points pooled into 4 (%s)", o.msg);
        CHECK(max_inflight(0, 3) == 3, "the 3 requests overlapped: %d in flight at once (%.2f s)",
              max_inflight(0, 3), o.seconds);
        CHECK(o.cost.calls == 3 && o.cost.prompt_tokens == 1500 && o.cost.valid == 1,
              "3 calls accounted (%ld calls, %ld tokens)", o.cost.calls, o.cost.prompt_tokens);
        llmbo_advisor_free(adv);
    }
    char *log = read_text(srv.log);
    /* The log stores each body as a JSON string, so its quotes appear escaped. */
    CHECK(log && strstr(log, "\"seed\\\":0") && strstr(log, "\"seed\\\":1") &&
              strstr(log, "\"seed\\\":2"),
          "samples carry seeds 0, 1, 2");
    free(log);
    server_stop(&srv);
    /* Every sample invalid: one repair for the first; every sample failing: transport error. */
    if (start("{\"responses\": [{\"answer\": \"oob\"}, {\"answer\": \"oob\"}, {\"answer\": "
              "\"oob\"}, {}, {\"status\": 500}, {\"status\": 500}, {\"status\": 500}]}"))
        return;
    adv =
        make_advisor(NULL, OPENAI_CFG, srv.port, "propose", ", \"samples\": 3, \"max_retries\": 0");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 2);
        CHECK(o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_REPAIRED && o.n_x == 2 &&
                  o.cost.calls == 4,
              "3 invalid samples, then a valid repair (%s, %ld calls)", o.msg, o.cost.calls);
        o = advise(adv, LLMBO_ADVICE_PROPOSE, 2);
        CHECK(o.st == LLMBO_ERR_HTTP && o.outcome == LLMBO_OUTCOME_TRANSPORT_ERROR &&
                  o.cost.errors == 1 && o.cost.repaired == 1,
              "3 failed samples: transport error (%s)", o.msg);
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
}

/* ---- record / replay --------------------------------------------------------------------- */

static void test_record_replay(void)
{
    if (start("{\"responses\": [{\"style\": \"think\"}, {\"answer\": \"oob\"}, {}, {\"status\": "
              "500}, {\"status\": 500}], \"default\": {\"style\": \"fenced\"}}"))
        return;
    remove("rec_cassette.jsonl");
    llmbo_advisor *adv =
        make_advisor(NULL, OPENAI_CFG, srv.port, "propose",
                     ", \"record\": \"rec_cassette.jsonl\", \"max_retries\": 1, \"seed\": 7");
    outcome rec[5];
    llmbo_advice_mode modes[5] = {LLMBO_ADVICE_PROPOSE, LLMBO_ADVICE_PROPOSE, LLMBO_ADVICE_PROPOSE,
                                  LLMBO_ADVICE_RANK, LLMBO_ADVICE_PROPOSE};
    if (!adv) {
        server_stop(&srv);
        return;
    }
    for (int i = 0; i < 5; i++)
        rec[i] = advise(adv, modes[i], 2);
    llmbo_advisor_free(adv);
    server_stop(&srv); /* replay must work without the server */
    CHECK(rec[0].outcome == LLMBO_OUTCOME_VALID && rec[1].outcome == LLMBO_OUTCOME_REPAIRED &&
              rec[2].outcome == LLMBO_OUTCOME_TRANSPORT_ERROR &&
              rec[3].outcome == LLMBO_OUTCOME_VALID,
          "recorded run: valid, repaired, transport error, valid rank");
    CHECK(count_lines("rec_cassette.jsonl") == 6, "cassette has one line per call (%d)",
          count_lines("rec_cassette.jsonl"));
    adv =
        make_advisor(NULL, "{\"backend\": \"replay\", \"model\": \"test-model\", \"cassette\": "
                           "\"rec_cassette.jsonl\", \"mode\": \"propose\", \"seed\": 7, \"price\": "
                           "{\"input\": 2.385, \"cached_input\": 0.5, \"output\": 9.75}}");
    if (!adv)
        return;
    for (int i = 0; i < 5; i++) {
        outcome o = advise(adv, modes[i], 2);
        int same = o.st == rec[i].st && o.outcome == rec[i].outcome && o.n_x == rec[i].n_x &&
                   o.n_order == rec[i].n_order && memcmp(o.x, rec[i].x, sizeof o.x) == 0 &&
                   memcmp(o.order, rec[i].order, sizeof o.order) == 0;
        CHECK(same, "replayed advice %d identical (outcome %d vs %d)", i, o.outcome,
              rec[i].outcome);
        llmbo_cost a = o.cost, b = rec[i].cost;
        CHECK(a.calls == b.calls && a.retries == b.retries && a.prompt_tokens == b.prompt_tokens &&
                  a.completion_tokens == b.completion_tokens && a.dollars == b.dollars &&
                  a.valid == b.valid && a.repaired == b.repaired && a.fallback == b.fallback &&
                  a.errors == b.errors && a.seconds == b.seconds,
              "replayed cost %d identical (calls %ld, $%.9f, %.4f s)", i, a.calls, a.dollars,
              a.seconds);
    }
    /* Allocation failures at every site of one replayed advice: a clean NOMEM-born fallback
     * or transport error, never a crash or a leak (ASan), and success once allocations work. */
    int swept = 0, succeeded = 0;
    for (long k = 1; k < 400 && !succeeded; k++) {
        llmbo_advisor *a2 =
            make_advisor(NULL, "{\"backend\": \"replay\", \"model\": \"test-model\", "
                               "\"cassette\": \"rec_cassette.jsonl\", \"seed\": 7, "
                               "\"price\": {\"input\": 1, \"output\": 1}}");
        if (!a2)
            break;
        llmbo_test_fail_after(k);
        outcome o = advise(a2, LLMBO_ADVICE_PROPOSE, 2);
        llmbo_test_fail_after(0);
        if (o.st == LLMBO_OK && o.outcome == LLMBO_OUTCOME_VALID)
            succeeded = 1;
        else
            swept += o.outcome != LLMBO_OUTCOME_VALID;
        llmbo_advisor_free(a2);
    }
    CHECK(succeeded && swept > 5, "advise under allocation failure: %d failing sites handled",
          swept);
    /* A request never recorded: different history length -> a clear miss. */
    llmbo_advice_request r = request(LLMBO_ADVICE_PROPOSE, 3);
    double x[12];
    llmbo_advice_reply rep = {NULL, 0, x, 0, LLMBO_OUTCOME_VALID};
    llmbo_advisor_hook h;
    llmbo_advisor_get_hook(adv, &h);
    llmbo_error err;
    llmbo_status st = h.advise(h.ctx, &r, &rep, &err);
    CHECK(st == LLMBO_ERR_NOT_FOUND && rep.outcome == LLMBO_OUTCOME_TRANSPORT_ERROR &&
              strstr(err.msg, "replay: no recorded answer for request hash ") &&
              strstr(err.msg, "(cassette rec_cassette.jsonl has 6 entries)"),
          "miss: %s", err.msg);
    llmbo_advisor_free(adv);
}

/* ---- advisor hygiene (issue 12 rows 8, 11, 14) ------------------------------------------- */

/* Row 8: a local server that is not running used to cost every consultation 5 attempts and a
 * silent fallback. Now the pre-flight fails the advisor's creation (before any evaluation), or,
 * with "on_unreachable": "fallback", no call is ever made. Port 1 on loopback refuses. */
static void test_preflight(void)
{
    llmbo_error err;
    llmbo_advisor *adv = NULL;
    cJSON *j = cJSON_Parse("{\"backend\": \"openai\", \"model\": \"m\", \"price\": {\"input\": 0, "
                           "\"output\": 0}, \"base_url\": "
                           "\"http://127.0.0.1:1/v1\", \"api_key_env\": null}");
    llmbo_status st = llmbo_advisor_create(j, "run.json: advisor", NULL, &adv, &err);
    if (st == LLMBO_OK) {
        st = llmbo_advisor_preflight(adv, &err);
        llmbo_advisor_free(adv);
    }
    CHECK(st == LLMBO_ERR_CONFIG &&
              strstr(err.msg, "run.json: advisor: the openai server is unreachable: cannot "
                              "connect to http://127.0.0.1:1/v1/chat/completions") &&
              strstr(err.msg, "\"on_unreachable\": \"fallback\""),
          "unreachable server: the pre-flight fails: %s", err.msg);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"backend\": \"openai\", \"model\": \"m\", \"price\": {\"input\": 0, "
                    "\"output\": 0}, \"base_url\": "
                    "\"http://127.0.0.1:1/v1\", \"api_key_env\": null, \"on_unreachable\": "
                    "\"fallback\"}");
    st = llmbo_advisor_create(j, "run.json: advisor", NULL, &adv, &err);
    if (st == LLMBO_OK)
        st = llmbo_advisor_preflight(adv, &err);
    CHECK(st == LLMBO_OK && adv, "on_unreachable fallback: created, warned (%s)", err.msg);
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        CHECK(o.st == LLMBO_ERR_HTTP && o.outcome == LLMBO_OUTCOME_TRANSPORT_ERROR &&
                  o.cost.calls == 0 && o.cost.errors == 1 && strstr(o.msg, "no advice in this run"),
              "fallback: no call, a transport error counted: %s", o.msg);
        llmbo_advisor_free(adv);
    }
    cJSON_Delete(j);
    j = cJSON_Parse("{\"backend\": \"openai\", \"model\": \"m\", \"on_unreachable\": "
                    "\"ignore\", \"api_key_env\": null}");
    st = llmbo_advisor_create(j, "run.json: advisor", NULL, &adv, &err);
    CHECK(st == LLMBO_ERR_CONFIG && strstr(err.msg, "run.json: advisor.on_unreachable: unknown "
                                                    "value; expected one of fail, fallback"),
          "bad on_unreachable: %s", err.msg);
    cJSON_Delete(j);
}

/* Row 11: a key over plain http:// to a host that is not loopback is warned about. */
static void test_plaintext_key(void)
{
    CHECK(llmbo_http_warn_plaintext_key("http://192.0.2.7:8000/v1/chat/completions", "sk-x",
                                        "test.json: advisor") == 1 &&
              llmbo_http_warn_plaintext_key("http://gpu-box.lan/v1", "sk-x", "t") == 1,
          "http:// to 192.0.2.7 and gpu-box.lan with a key: warned");
    CHECK(llmbo_http_warn_plaintext_key("https://api.openai.com/v1", "sk-x", "t") == 0 &&
              llmbo_http_warn_plaintext_key("http://127.0.0.1:8080/v1", "sk-x", "t") == 0 &&
              llmbo_http_warn_plaintext_key("http://127.1.2.3/v1", "sk-x", "t") == 0 &&
              llmbo_http_warn_plaintext_key("http://localhost:11434/v1", "sk-x", "t") == 0 &&
              llmbo_http_warn_plaintext_key("http://[::1]:8080/v1", "sk-x", "t") == 0 &&
              llmbo_http_warn_plaintext_key("http://192.0.2.7/v1", NULL, "t") == 0,
          "https, loopback (127/8, localhost, ::1) or no key: no warning");
}

/* Row 14: a stalling server used to hold one advice for 5 attempts x 120 s + backoff (615 s).
 * "deadline" bounds the whole advice: here 5 s against 2 s attempts and 10 retries. Judged by
 * the attempts the server saw (at most 3 fit), not by wall time. */
static void test_deadline(void)
{
    if (start("{\"default\": {\"delay\": 60}}"))
        return;
    llmbo_advisor *adv = make_advisor(NULL, OPENAI_CFG, srv.port, "propose",
                                      ", \"timeout\": 2, \"max_retries\": 10, \"deadline\": 5");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_PROPOSE, 1);
        int seen = server_requests(&srv);
        CHECK(o.st == LLMBO_ERR_TIMEOUT && o.outcome == LLMBO_OUTCOME_TRANSPORT_ERROR &&
                  seen >= 1 && seen <= 3 && o.cost.retries < 3,
              "deadline 5 s: %d attempts of 11 allowed, %.1f s: %s", seen, o.seconds, o.msg);
        llmbo_advisor_free(adv);
    }
    server_stop(&srv);
}

/* ---- absurd numbers from servers and files (fuzzing F5-F8) ------------------------------- */

/* Usage counts of 1e300, cache counts summing past 2^63, cassette numbers of 4e19: each was a
 * float-to-integer cast out of range or a signed overflow (undefined behaviour; UBSan aborts).
 * Now counts are clamped to LLMBO_COUNT_MAX = 2^53 and sums saturate. */
static void test_absurd_numbers(void)
{
    llmbo_chat_reply r;
    llmbo_error err;
    memset(&r, 0, sizeof r);
    llmbo_status st = llmbo_openai_parse(
        "{\"choices\": [{\"message\": {\"content\": \"{}\"}}], \"usage\": {\"prompt_tokens\": "
        "1e300, \"completion_tokens\": -5, \"completion_tokens_details\": {\"reasoning_tokens\": "
        "4e19}, \"prompt_tokens_details\": {\"cached_tokens\": 1e300}}}",
        &r, &err);
    CHECK(st == LLMBO_OK && r.prompt_tokens == LLMBO_COUNT_MAX && r.completion_tokens == 0 &&
              r.reasoning_tokens == LLMBO_COUNT_MAX && r.cached_tokens == LLMBO_COUNT_MAX,
          "openai usage 1e300 / -5 / 4e19 clamped (%ld %ld %ld %ld)", r.prompt_tokens,
          r.completion_tokens, r.reasoning_tokens, r.cached_tokens);
    llmbo_chat_reply_clear(&r);
    st = llmbo_openai_parse("{\"choices\": [{\"message\": {\"content\": \"{}\"}}], \"usage\": "
                            "{\"prompt_cache_hit_tokens\": 9.2e18, \"prompt_cache_miss_tokens\": "
                            "9.2e18}}",
                            &r, &err);
    CHECK(st == LLMBO_OK && r.prompt_tokens == 2 * LLMBO_COUNT_MAX &&
              r.cached_tokens == LLMBO_COUNT_MAX,
          "DeepSeek cache counts summing past 2^63: no overflow (%ld, %ld)", r.prompt_tokens,
          r.cached_tokens);
    llmbo_chat_reply_clear(&r);
    st = llmbo_anthropic_parse(
        "{\"content\": [{\"type\": \"text\", \"text\": \"{}\"}], \"usage\": {\"input_tokens\": "
        "1e300, \"cache_read_input_tokens\": 1e300, \"cache_creation_input_tokens\": 1e300, "
        "\"output_tokens\": 1e300}}",
        &r, &err);
    CHECK(st == LLMBO_OK && r.prompt_tokens == 3 * LLMBO_COUNT_MAX &&
              r.completion_tokens == LLMBO_COUNT_MAX,
          "anthropic usage 1e300 x 4 clamped and summed (%ld, %ld)", r.prompt_tokens,
          r.completion_tokens);
    /* Summing such calls into a cost saturates instead of overflowing. */
    llmbo_cost c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < 2000; i++)
        llmbo_cost_add_call(&c, NULL, 0, &r, NULL);
    CHECK(c.calls == 2000 && c.prompt_tokens == LONG_MAX && c.completion_tokens == LONG_MAX,
          "2000 such calls: cost totals saturate at LONG_MAX (%ld)", c.prompt_tokens);
    llmbo_chat_reply_clear(&r);
    /* A cassette line with numbers out of every integer range. */
    cJSON *j = cJSON_Parse("{\"content\": \"x\", \"prompt_tokens\": 4e19, \"completion_tokens\": "
                           "1e300, \"retries\": 1e300, \"http_status\": -4e19, \"seconds\": "
                           "-1}");
    st = llmbo_reply_from_json(j, &r, &err);
    CHECK(st == LLMBO_OK && r.prompt_tokens == LLMBO_COUNT_MAX &&
              r.completion_tokens == LLMBO_COUNT_MAX && r.retries == INT_MAX &&
              r.http_status == 0 && r.seconds == 0,
          "cassette numbers 4e19 / 1e300 clamped (%ld %ld %d %d)", r.prompt_tokens,
          r.completion_tokens, r.retries, r.http_status);
    llmbo_chat_reply_clear(&r);
    cJSON_Delete(j);
    CHECK(llmbo_count_from_double(NAN) == 0 && llmbo_count_from_double(-1e300) == 0 &&
              llmbo_count_from_double(INFINITY) == LLMBO_COUNT_MAX &&
              llmbo_count_from_double(2.385e3) == 2385,
          "llmbo_count_from_double: NaN, -1e300, inf, 2385");
}

/* ---- the SDKs' base-URL variables ---------------------------------------------------------- */

/* The path of the server's k-th logged request into out ("" if none). */
static void request_path(int k, char *out, size_t n)
{
    char *log = read_text(srv.log);
    out[0] = '\0';
    char *line = log;
    for (int i = 0; line && i < k; i++) {
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    if (line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
        if (cJSON_IsString(p))
            snprintf(out, n, "%s", p->valuestring);
        cJSON_Delete(j);
    }
    free(log);
}

/* OPENAI_BASE_URL / ANTHROPIC_BASE_URL stand in for an absent base_url (the config wins); the
 * Anthropic variable has no /v1, as in Anthropic's SDKs. */
static void test_base_url_env(void)
{
    if (start("{\"responses\": []}"))
        return;
    char url[128], path[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/env-v1/", srv.port);
    setenv("OPENAI_BASE_URL", url, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/anthropic-env", srv.port);
    setenv("ANTHROPIC_BASE_URL", url, 1);
#define OPENAI_NOURL                                                                               \
    "{\"backend\": \"openai\", \"model\": \"test-model\", \"api_key_env\": null, "                 \
    "\"price\": {\"input\": 2.385, \"output\": 9.75}, \"mode\": \"rank\"%s}"
    llmbo_advisor *adv = make_advisor(NULL, OPENAI_NOURL, "");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_RANK, 1);
        request_path(0, path, sizeof path);
        CHECK(o.st == LLMBO_OK && strcmp(path, "/env-v1/chat/completions") == 0,
              "openai without base_url: OPENAI_BASE_URL used (path %s, %s)", path, o.msg);
        llmbo_advisor_free(adv);
    }
    char with_url[256];
    snprintf(with_url, sizeof with_url, ", \"base_url\": \"http://127.0.0.1:%d/config-v1\"",
             srv.port);
    adv = make_advisor(NULL, OPENAI_NOURL, with_url);
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_RANK, 1);
        request_path(1, path, sizeof path);
        CHECK(o.st == LLMBO_OK && strcmp(path, "/config-v1/chat/completions") == 0,
              "openai with base_url: the config wins over OPENAI_BASE_URL (path %s, %s)", path,
              o.msg);
        llmbo_advisor_free(adv);
    }
    adv = make_advisor(NULL, "{\"backend\": \"anthropic\", \"model\": "
                             "\"claude-3-5-sonnet-20241022\", \"api_key_env\": null, \"mode\": "
                             "\"rank\"}");
    if (adv) {
        outcome o = advise(adv, LLMBO_ADVICE_RANK, 1);
        request_path(2, path, sizeof path);
        CHECK(o.st == LLMBO_OK && strcmp(path, "/anthropic-env/v1/messages") == 0,
              "anthropic without base_url: ANTHROPIC_BASE_URL + /v1/messages (path %s, %s)", path,
              o.msg);
        llmbo_advisor_free(adv);
    }
    /* A variable that is not a URL is an error naming it; an empty one counts as unset. */
    setenv("OPENAI_BASE_URL", "127.0.0.1:8080/v1", 1);
    cJSON *j = cJSON_Parse("{\"backend\": \"openai\", \"model\": \"test-model\", \"api_key_env\": "
                           "null, \"price\": {\"input\": 1, \"output\": 1}}");
    llmbo_error err;
    llmbo_error_clear(&err);
    llmbo_advisor *bad = NULL;
    llmbo_status st = llmbo_advisor_create(j, "cfg.json: advisor", NULL, &bad, &err);
    CHECK(st == LLMBO_ERR_CONFIG && strstr(err.msg, "OPENAI_BASE_URL") &&
              strstr(err.msg, "http://"),
          "OPENAI_BASE_URL without a scheme: config error naming it (%s)", err.msg);
    llmbo_advisor_free(bad);
    setenv("OPENAI_BASE_URL", "", 1);
    char *u = NULL;
    st = llmbo_http_url(j, "cfg", "OPENAI_BASE_URL", "/chat/completions",
                        "https://api.openai.com/v1", "/chat/completions", &u, &err);
    CHECK(st == LLMBO_OK && u && strcmp(u, "https://api.openai.com/v1/chat/completions") == 0,
          "empty OPENAI_BASE_URL: the default (%s)", u ? u : "(null)");
    llmbo_free(u);
    cJSON_Delete(j);
    unsetenv("OPENAI_BASE_URL");
    unsetenv("ANTHROPIC_BASE_URL");
    server_stop(&srv);
}

/* ---- streamed answers ---------------------------------------------------------------------- */

static long live_max, live_prev;
static int live_calls, live_bad;

/* The advisor's live count: 1 at the start of an advice, then one more per piece. */
static void live_cb(void *ctx, long pieces)
{
    (void)ctx;
    live_calls++;
    live_bad += !(pieces == 1 || pieces == live_prev + 1);
    live_prev = pieces;
    if (pieces > live_max)
        live_max = pieces;
}

/* Runs n advices against a fresh server with script, streamed or not; outcomes into o. */
static void stream_run(int anthropic, const char *script, int stream, int n, outcome *o)
{
    memset(o, 0, (size_t)n * sizeof *o);
    if (start(script))
        return;
    llmbo_advice_mode mode = anthropic ? LLMBO_ADVICE_RANK : LLMBO_ADVICE_PROPOSE;
    llmbo_advisor *adv = make_advisor(NULL, anthropic ? ANTHROPIC_STREAM_CFG : OPENAI_STREAM_CFG,
                                      srv.port, stream ? "true" : "false");
    if (adv) {
        llmbo_advisor_set_progress(adv, live_cb, NULL);
        for (int i = 0; i < n; i++)
            o[i] = advise(adv, mode, 2);
        llmbo_advisor_free(adv);
    }
    if (stream) {
        /* The request asks for the stream and, for OpenAI, for the usage chunk. */
        char *log = read_text(srv.log);
        char *nl = log ? strchr(log, '\n') : NULL;
        if (nl)
            *nl = '\0';
        cJSON *first = log ? cJSON_Parse(log) : NULL;
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(first, "body");
        cJSON *body = cJSON_IsString(b) ? cJSON_Parse(b->valuestring) : NULL;
        const cJSON *so = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
        int openai = !anthropic;
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream")) &&
                  (!openai || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "include_usage"))),
              "%s request: \"stream\": true%s", openai ? "openai" : "anthropic",
              openai ? " with stream_options.include_usage" : "");
        cJSON_Delete(body);
        cJSON_Delete(first);
        free(log);
    }
    server_stop(&srv);
}

/* The same script streamed and not: the same answers and identical token and dollar sums. */
static void stream_compare(int anthropic, const char *script, int n)
{
    const char *name = anthropic ? "anthropic" : "openai";
    outcome plain[6], streamed[6];
    live_max = 0;
    live_calls = live_bad = 0;
    live_prev = 0;
    stream_run(anthropic, script, 0, n, plain);
    CHECK(live_calls == 0, "%s, not streamed: no live count (%d calls)", name, live_calls);
    stream_run(anthropic, script, 1, n, streamed);
    for (int i = 0; i < n; i++) {
        const outcome *a = &plain[i], *b = &streamed[i];
        CHECK(a->st == LLMBO_OK && b->st == LLMBO_OK && a->outcome == b->outcome &&
                  a->n_x == b->n_x && a->n_order == b->n_order &&
                  memcmp(a->x, b->x, sizeof a->x) == 0 &&
                  memcmp(a->order, b->order, sizeof a->order) == 0,
              "%s call %d: the streamed answer is the same (%s / %s)", name, i, a->msg, b->msg);
    }
    const llmbo_cost *a = &plain[n - 1].cost, *b = &streamed[n - 1].cost;
    CHECK(a->calls == n && b->calls == n && a->prompt_tokens == b->prompt_tokens &&
              a->completion_tokens == b->completion_tokens &&
              a->reasoning_tokens == b->reasoning_tokens && a->cached_tokens == b->cached_tokens &&
              a->dollars == b->dollars && a->prompt_tokens > 0 && a->completion_tokens > 0,
          "%s: token sums identical streamed and not: prompt %ld/%ld completion %ld/%ld "
          "reasoning %ld/%ld cached %ld/%ld dollars %.10g/%.10g",
          name, a->prompt_tokens, b->prompt_tokens, a->completion_tokens, b->completion_tokens,
          a->reasoning_tokens, b->reasoning_tokens, a->cached_tokens, b->cached_tokens, a->dollars,
          b->dollars);
    CHECK(live_calls > 0 && live_max > 0 && live_bad == 0,
          "%s: live count reported %d times, up to %ld pieces, one piece at a time (%d not)", name,
          live_calls, live_max, live_bad);
}

static void test_stream(void)
{
    stream_compare(
        0,
        "{\"responses\": [{\"style\": \"reasoning_content\", \"usage\": {\"prompt_tokens\": 812, "
        "\"completion_tokens\": 377, \"prompt_cache_hit_tokens\": 640, "
        "\"prompt_cache_miss_tokens\": 172, \"completion_tokens_details\": "
        "{\"reasoning_tokens\": 211}}}, {\"style\": \"fenced\"}, {\"style\": \"reasoning\", "
        "\"stream_fault\": \"crlf\"}, {\"style\": \"think\"}, {\"stream_fault\": \"json\"}]}",
        5);
    stream_compare(1,
                   "{\"responses\": [{\"style\": \"thinking\", \"usage\": {\"input_tokens\": 150, "
                   "\"cache_read_input_tokens\": 900, \"cache_creation_input_tokens\": 40, "
                   "\"output_tokens\": 420}}, {\"style\": \"plain\"}, {\"style\": \"thinking\", "
                   "\"stream_fault\": \"crlf\"}, {\"style\": \"fenced\"}]}",
                   4);

    /* Live count against the usage: plain answers in pieces of 4 characters, the usage derived
     * as max(1, characters / 4): the count is the usage or one more. */
    live_max = 0;
    outcome one;
    stream_run(0, "{\"responses\": [{\"style\": \"plain\"}]}", 1, 1, &one);
    CHECK(one.st == LLMBO_OK && (live_max == one.cost.completion_tokens ||
                                 live_max == one.cost.completion_tokens + 1),
          "live count %ld pieces for %ld completion tokens", live_max, one.cost.completion_tokens);

    /* Broken streams: clear errors, the truncated one retried like a truncated body. */
    static const struct {
        int anthropic;
        const char *script, *expect;
        llmbo_status st;
        long retries;
    } bad[] = {
        {0, "{\"responses\": [{\"stream_fault\": \"truncate\"}]}",
         "the answer stream ended before data: [DONE]", LLMBO_ERR_HTTP, 1},
        {1, "{\"responses\": [{\"stream_fault\": \"truncate\"}]}",
         "the answer stream ended before event: message_stop", LLMBO_ERR_HTTP, 1},
        {0, "{\"responses\": [{\"stream_fault\": \"malformed\"}]}", "is not JSON (data starts with",
         LLMBO_ERR_BACKEND, 0},
        {1, "{\"responses\": [{\"stream_fault\": \"malformed\"}]}", "is not JSON (data starts with",
         LLMBO_ERR_BACKEND, 0},
        {0, "{\"responses\": [{\"stream_fault\": \"error\"}]}",
         "the server reported an error: The server had an error", LLMBO_ERR_BACKEND, 0},
        {1, "{\"responses\": [{\"stream_fault\": \"error\"}]}",
         "the server reported an error: Overloaded", LLMBO_ERR_BACKEND, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* one retry, then the default answer would be valid: a truncated stream twice */
        char script[512];
        snprintf(script, sizeof script, "%.*s, {\"stream_fault\": \"truncate\"}]}",
                 (int)strlen(bad[i].script) - 2, bad[i].script);
        outcome o;
        stream_run(bad[i].anthropic, bad[i].retries ? script : bad[i].script, 1, 1, &o);
        CHECK(o.st == bad[i].st && strstr(o.msg, bad[i].expect) != NULL &&
                  o.cost.retries == bad[i].retries && o.outcome == LLMBO_OUTCOME_TRANSPORT_ERROR &&
                  o.cost.errors == 1,
              "broken stream %zu: status %d, retries %ld, message: %s", i, o.st, o.cost.retries,
              o.msg);
    }
    /* A truncated stream, then a whole one: the retry's answer and usage, nothing of the
     * first attempt's text. */
    outcome r;
    stream_run(0, "{\"responses\": [{\"stream_fault\": \"truncate\"}, {}]}", 1, 1, &r);
    CHECK(r.st == LLMBO_OK && r.outcome == LLMBO_OUTCOME_VALID && r.cost.retries == 1 &&
              r.n_x == 2 && points_valid(&r),
          "truncated stream retried, then valid (%s)", r.msg);
}

int main(void)
{
    llmbo_init();
    space = mixed_space();
    CHECK(space != NULL, "space");
    if (!space)
        return check_summary();
    test_styles();
    test_rank_deepseek();
    test_request_body();
    test_retry_after();
    test_5xx();
    test_timeout_reset_truncate();
    test_non_json_and_cap();
    test_invalid_answers();
    test_step_answers();
    test_unit_answers();
    test_anchored_answers();
    test_anthropic();
    test_api_key();
    test_concurrency();
    test_samples();
    test_record_replay();
    test_absurd_numbers();
    test_preflight();
    test_plaintext_key();
    test_deadline();
    test_base_url_env();
    test_stream();
    llmbo_space_free(space);
    return check_summary();
}
