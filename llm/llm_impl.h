/* llm_impl.h: internals of the llm/ module shared between its files and its unit tests:
 * request hashing and cassettes (record.c), prices and cost (cost.c), answer extraction and
 * validation (parse.c), prompts (prompt.c). Never installed. */
#ifndef LLMBO_LLM_IMPL_H
#define LLMBO_LLM_IMPL_H

#include <stdint.h>
#include <stdio.h>
#include <cJSON.h>
#include "llmbo.h"
#include "backend.h"
#include "strbuf.h"
#include "json.h"

/* ---- record.c: canonical requests, hashes, cassettes --------------------------------------- */

/* FNV-1a, 64 bit (Fowler, Noll, Vo): a cheap, stable, non-cryptographic hash. */
uint64_t llmbo_fnv1a64(const void *data, size_t n);
/* The canonical JSON of a request: {"model", "messages", "temperature", "top_p", "max_tokens",
 * "seed", "stop", "format"} in this key order, unset parameters as null. NULL on no memory. */
cJSON *llmbo_request_canonical(const char *model, const llmbo_chat_request *req);
/* 16 lower-case hex digits of the FNV-1a 64 hash of the unformatted canonical JSON. */
llmbo_status llmbo_request_hash(const char *model, const llmbo_chat_request *req, char hex[17],
                                llmbo_error *err);
/* Reply <-> JSON as stored in a cassette ({"content", "reasoning", "prompt_tokens", ...}). */
cJSON *llmbo_reply_to_json(const llmbo_chat_reply *r);
llmbo_status llmbo_reply_from_json(const cJSON *j, llmbo_chat_reply *r, llmbo_error *err);

/* Appends one JSON line per completed request to a cassette: {"hash", "model", "request",
 * "reply"} or {"hash", "model", "request", "error": {"status", "message"}}. Thread-safe. */
typedef struct llmbo_recorder llmbo_recorder;
llmbo_status llmbo_recorder_open(const char *path, llmbo_recorder **out, llmbo_error *err);
llmbo_status llmbo_recorder_write(llmbo_recorder *rec, const char *model,
                                  const llmbo_chat_request *req, const llmbo_chat_reply *reply,
                                  llmbo_status st, const llmbo_error *call_err, llmbo_error *err);
void llmbo_recorder_close(llmbo_recorder *rec);

/* ---- cost.c: prices and accounting ------------------------------------------------------- */

typedef struct llmbo_price {
    double input;        /* USD per million uncached prompt tokens */
    double cached_input; /* USD per million cached prompt tokens */
    double output;       /* USD per million completion tokens (reasoning included) */
    char source[160];    /* where the figures came from, for the call log */
} llmbo_price;

extern const unsigned char llmbo_prices_json[]; /* data/prices.json, embedded at build time */

/* Looks model up in the price file (price_file, or the embedded data/prices.json when NULL):
 * exact name first, then without a "vendor/" prefix, then the longest listed name that is a
 * prefix followed by '-' (dated snapshots). LLMBO_ERR_NOT_FOUND if no entry matches. */
llmbo_status llmbo_price_lookup(const char *model, const char *price_file, llmbo_price *p,
                                llmbo_error *err);
/* Parses {"input": .., "cached_input": .., "output": ..} (cached_input defaults to input). */
llmbo_status llmbo_price_parse(const cJSON *obj, const char *where, llmbo_price *p,
                               llmbo_error *err);
/* Dollars of one answer: uncached prompt tokens at input, cached at cached_input, completion
 * tokens (which include reasoning tokens in every API we speak) at output. */
double llmbo_price_dollars(const llmbo_price *p, long prompt, long cached, long completion);
/* Adds one backend call to c: calls, retries, tokens, dollars, seconds, CPU time. Returns the
 * dollars (API) of this call; *cpu_dollars gets the CPU-price part. */
double llmbo_cost_add_call(llmbo_cost *c, const llmbo_price *p, double price_per_cpu_hour,
                           const llmbo_chat_reply *r, double *cpu_dollars);

/* ---- backend_openai.c, backend_anthropic.c: answer bodies ---------------------------------- */

/* Reads a chat-completions (OpenAI dialect) or Messages (Anthropic) answer body into reply:
 * content, reasoning text, usage counts (clamped, never cast out of range). The reply is
 * caller releases reply with llmbo_chat_reply_clear. LLMBO_ERR_BACKEND names what the
 * body lacks. Exposed for tests and the fuzz harnesses. */
llmbo_status llmbo_openai_parse(const char *body, llmbo_chat_reply *reply, llmbo_error *err);
llmbo_status llmbo_anthropic_parse(const char *body, llmbo_chat_reply *reply, llmbo_error *err);
/* A stream of the dialect, ready to be fed (sse.h); the backends' complete() uses these, and
 * llmbo_chat_stream_parse reads a whole streamed body with them. */
struct llmbo_chat_stream;
void llmbo_openai_stream_init(struct llmbo_chat_stream *cs);
void llmbo_anthropic_stream_init(struct llmbo_chat_stream *cs);

/* ---- parse.c: answers ---------------------------------------------------------------------- */

/* Finds the answer's JSON in text: strips <think>/<thinking>/<reasoning> blocks (a leading
 * unopened "...</think>" and an unclosed "<think>..." tail count too), then takes the last
 * top-level {...} (or, failing any, [...]) span that cJSON parses; code fences and prose around
 * it are ignored. *json (owned, cJSON_Delete) on success. *think gets the stripped reasoning
 * text (owned, llmbo_free; NULL if none) and *n_think the number of blocks; both may be NULL.
 * LLMBO_ERR_PARSE names what was wrong (no JSON, syntax error and where). */
llmbo_status llmbo_answer_extract(const char *text, cJSON **json, char **think, int *n_think,
                                  llmbo_error *err);
/* Validates a points answer ({"points": [...]}, a bare array, or a single point object): each
 * point an object by parameter name (categoricals by choice name) or an array of dim numbers;
 * finite, within bounds, integers whole, no duplicate of hist_x (n_hist, d) or of an earlier
 * proposal. Fills x (n_want, d) in original units and *n_x = n_want; extra points beyond
 * n_want are ignored (and counted in *n_extra if not NULL). LLMBO_ERR_VALIDATION lists the
 * problems found. */
llmbo_status llmbo_answer_points(const cJSON *root, const llmbo_space *space, int n_want,
                                 const double *hist_x, int n_hist, double *x, int *n_x,
                                 int *n_extra, llmbo_error *err);
/* 1 if points a and b (d) agree within 1e-9 of each parameter's range (categoricals exactly). */
int llmbo_points_same(const llmbo_space *space, const double *a, const double *b);
/* Validates a ranking ({"ranking": [...]}, {"choice": i}, or a bare array of indices): whole
 * numbers in [0, n_cand), no repeats, at least min(n_want, n_cand) of them. Fills order and
 * *n_order. */
llmbo_status llmbo_answer_ranking(const cJSON *root, int n_cand, int n_want, int *order,
                                  int *n_order, llmbo_error *err);
/* JSON schema of the expected answer (for response_format json_schema or constrained decoding);
 * NULL for LLMBO_ANSWER_FREE or no memory. */
cJSON *llmbo_answer_schema(const llmbo_answer_format *fmt);

/* ---- prompt.c: prompts ------------------------------------------------------------------- */

typedef enum llmbo_history_select {
    LLMBO_HISTORY_ALL = 0,
    LLMBO_HISTORY_BEST = 1,  /* the n best evaluations, in evaluation order */
    LLMBO_HISTORY_LATEST = 2 /* the n latest evaluations */
} llmbo_history_select;

typedef struct llmbo_prompt_options {
    llmbo_history_select history;
    int history_n;            /* BEST/LATEST: how many; default 30 */
    int digits;               /* significant digits of numbers, default 6 */
    int step;                 /* "answer": 0 absolute, 1 "step", 2 "unit" (step, and fractions
                                 of each range before the first evaluation), 3 "anchored" (unit,
                                 and each step names its origin: "from": "best" or "mean") */
    const char *system;       /* system prompt; NULL: built-in */
    const char *templates[4]; /* user templates by llmbo_advice_mode; NULL: built-in */
    const char *repair;       /* repair message template; NULL: built-in */
} llmbo_prompt_options;

void llmbo_prompt_options_default(llmbo_prompt_options *o);
/* The built-in texts. */
const char *llmbo_prompt_builtin_system(void);
const char *llmbo_prompt_builtin_template(llmbo_advice_mode mode);
const char *llmbo_prompt_builtin_repair(void);
/* Checks that every {{name}} in text is a known placeholder. where prefixes the message. */
llmbo_status llmbo_template_check(const char *text, const char *where, llmbo_error *err);
/* Renders the system and user messages for req (both owned, llmbo_free). */
llmbo_status llmbo_prompt_build(const llmbo_prompt_options *o, const llmbo_advice_request *req,
                                char **system, char **user, llmbo_error *err);
/* Index of the best successful evaluation of req (the first of equals), or -1: the point the
 * prompt shows as "Best" and the origin of a step answer. */
int llmbo_prompt_best_index(const llmbo_advice_request *req);
/* 1 if the request's point answer is a step from the best point: o->step is set, the mode
 * proposes points after evaluations (propose, pool) and a successful evaluation exists; 2 if it
 * is a position as a fraction of each range ("answer": "unit", a points request with no
 * successful evaluation yet, e.g. the warm start); 0 if it is absolute. */
int llmbo_prompt_step_answer(const llmbo_prompt_options *o, const llmbo_advice_request *req);
/* The mean of the successful evaluations the prompt shows (o's history selection), in the unit
 * box, into m (d): the origin of a step {"from": "mean"} and of {{mean_step}}. Returns how many
 * were averaged (0: none, m zero), -1 on no memory. */
int llmbo_prompt_mean_unit(const llmbo_prompt_options *o, const llmbo_advice_request *req,
                           double *m);
/* Renders the repair message quoting the validation error. Owned. */
char *llmbo_prompt_repair(const llmbo_prompt_options *o, const char *error);

#endif
