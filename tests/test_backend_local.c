/* test_backend_local.c: the "local" advisor backend through the backend table: a random-weight
 * model answers points and ranking requests whose replies pass the advisor's own validators
 * (llmbo_answer_points / llmbo_answer_ranking); cost fields (tokens, cached prompt tokens on a
 * repeated call, CPU seconds); configuration errors name the key. */
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "check.h"
#include "backend.h"
#include "engine_util.h"
#include "llm_impl.h"
#include "llmbo_common.h"

static llmbo_status make(const char *json, llmbo_backend *b, llmbo_error *err)
{
    cJSON *cfg = cJSON_Parse(json);
    if (!cfg)
        return LLMBO_ERR_CONFIG;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cfg, "model");
    llmbo_backend_config bc = {cfg, "test.json: advisor", m ? m->valuestring : "", NULL};
    b->vt = llmbo_backend_find("local");
    llmbo_status st = b->vt ? b->vt->create(&bc, &b->state, err) : LLMBO_ERR_NOT_FOUND;
    cJSON_Delete(cfg);
    return st;
}

int main(void)
{
    const char *path = eu_model("qwen3moe", "q8_0", "--merges 300");
    CHECK(path != NULL, "model written");
    if (!path)
        return check_summary();
    CHECK(llmbo_backend_find("local") != NULL, "the local backend is in the table");
    llmbo_backend b = {0};
    llmbo_error err = {0};
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"backend\": \"local\", \"model\": \"tiny\", \"model_path\": \"%s\", \"n_ctx\": "
             "1024, \"threads\": 2}",
             path);
    CHECK_OK(make(cfg, &b, &err));
    if (!b.state)
        return check_summary();

    /* A space with a continuous, an integer and a categorical parameter. */
    llmbo_space *sp = llmbo_space_create();
    const char *const kernels[] = {"matern", "rbf"};
    llmbo_param p1 = {"learning_rate", LLMBO_PARAM_LOG, 1e-4, 0.3, 0, NULL, NULL, NULL};
    llmbo_param p2 = {"layers", LLMBO_PARAM_INTEGER, 1, 12, 0, NULL, NULL, NULL};
    llmbo_param p3 = {"kernel", LLMBO_PARAM_CATEGORICAL, 0, 0, 2, kernels, NULL, NULL};
    CHECK_OK(llmbo_space_add(sp, &p1, &err));
    CHECK_OK(llmbo_space_add(sp, &p2, &err));
    CHECK_OK(llmbo_space_add(sp, &p3, &err));
    llmbo_chat_message msgs[2] = {{"system", "You advise a Bayesian optimisation loop."},
                                  {"user", "Propose three new points."}};
    llmbo_answer_format fmt = {LLMBO_ANSWER_POINTS, sp, 3, 0, 0};
    llmbo_chat_request req = {msgs, 2, 0.8, 0.95, 128, 11, NULL, 0, &fmt, 0, NULL, NULL, 0};
    llmbo_chat_reply rep;
    for (int call = 0; call < 2; call++) {
        llmbo_status st = b.vt->complete(b.state, &req, &rep, &err);
        CHECK(st == LLMBO_OK, "points call %d: %s", call, st ? err.msg : rep.content);
        if (st)
            break;
        cJSON *root = cJSON_Parse(rep.content);
        double x[9];
        int n_x = 0;
        CHECK(root && llmbo_answer_points(root, sp, 3, NULL, 0, x, &n_x, NULL, &err) == LLMBO_OK,
              "points answer passes the advisor's validator: %s", root ? "ok" : rep.content);
        cJSON_Delete(root);
        CHECK(rep.prompt_tokens > 10 && rep.completion_tokens > 10 && rep.cpu_seconds > 0 &&
                  rep.seconds > 0,
              "cost: %ld prompt, %ld completion tokens, %.3f CPU s", rep.prompt_tokens,
              rep.completion_tokens, rep.cpu_seconds);
        if (call == 1)
            CHECK(rep.cached_tokens == rep.prompt_tokens - 1,
                  "the repeated prompt came from the KV cache (%ld of %ld cached)",
                  rep.cached_tokens, rep.prompt_tokens);
        llmbo_chat_reply_clear(&rep);
    }
    llmbo_answer_format rk = {LLMBO_ANSWER_RANKING, NULL, 0, 7, 4};
    req.format = &rk;
    CHECK_OK(b.vt->complete(b.state, &req, &rep, &err));
    if (rep.content) {
        cJSON *root = cJSON_Parse(rep.content);
        int order[7], n_order = 0;
        CHECK(root && llmbo_answer_ranking(root, 7, 4, order, &n_order, &err) == LLMBO_OK &&
                  n_order == 4,
              "ranking answer passes the advisor's validator: %s", rep.content);
        cJSON_Delete(root);
    }
    llmbo_chat_reply_clear(&rep);

    /* The salt (a run's seed) changes the sampled answer to one prompt; the same salt gives the
     * same answer again (resume and replay agree). */
    req.format = &fmt;
    char *ans[3] = {NULL, NULL, NULL};
    const uint64_t salts[3] = {1000, 1000, 1001};
    for (int i = 0; i < 3; i++) {
        req.salt = salts[i];
        if (b.vt->complete(b.state, &req, &rep, &err) == LLMBO_OK && rep.content)
            ans[i] = strdup(rep.content);
        llmbo_chat_reply_clear(&rep);
    }
    CHECK(ans[0] && ans[1] && ans[2], "three salted calls answered");
    if (ans[0] && ans[1] && ans[2]) {
        CHECK(strcmp(ans[0], ans[1]) == 0, "same salt, same answer: %s / %s", ans[0], ans[1]);
        CHECK(strcmp(ans[0], ans[2]) != 0, "another salt, another answer: %s / %s", ans[0], ans[2]);
    }
    for (int i = 0; i < 3; i++)
        free(ans[i]);
    b.vt->destroy(b.state);

    /* Configuration errors. */
    llmbo_backend bad = {0};
    CHECK(make("{\"backend\": \"local\", \"model\": \"/nonexistent.gguf\"}", &bad, &err) ==
                  LLMBO_ERR_CONFIG &&
              strstr(err.msg, "test.json: advisor.model_path") && strstr(err.msg, "nonexistent"),
          "missing model file: %s", err.msg);
    snprintf(cfg, sizeof cfg, "{\"model\": \"x\", \"model_path\": \"%s\", \"n_ctx\": 2.5}", path);
    CHECK(make(cfg, &bad, &err) == LLMBO_ERR_CONFIG && strstr(err.msg, "advisor.n_ctx"),
          "bad n_ctx: %s", err.msg);
    /* 1e300 was cast to int before the range check (undefined behaviour; fuzzing F8). */
    snprintf(cfg, sizeof cfg, "{\"model\": \"x\", \"model_path\": \"%s\", \"n_ctx\": 1e300}", path);
    CHECK(make(cfg, &bad, &err) == LLMBO_ERR_CONFIG && strstr(err.msg, "advisor.n_ctx"),
          "n_ctx 1e300: %s", err.msg);
    snprintf(cfg, sizeof cfg, "{\"model\": \"x\", \"model_path\": \"%s\", \"think\": 1}", path);
    CHECK(make(cfg, &bad, &err) == LLMBO_ERR_CONFIG && strstr(err.msg, "advisor.think"),
          "bad think: %s", err.msg);
    llmbo_space_free(sp);
    eu_cleanup();
    return check_summary();
}
