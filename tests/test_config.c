/* test_config.c: the run config parser. Malformed configs each get their exact message (file,
 * key path, what was expected, what was found); a full config maps to the loop's options; the
 * resolved config reads back to the same settings. */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "llmbo.h"
#include "llmbo_common.h"
#include "config.h"

static void expect_error(const char *text, llmbo_status want, const char *msg)
{
    llmbo_run_config cfg;
    llmbo_error err;
    memset(&err, 0, sizeof err);
    llmbo_status st = llmbo_run_config_parse(text, "run.json", &cfg, &err);
    CHECK(st == want && strcmp(err.msg, msg) == 0, "status %d (want %d): got [%s] want [%s]", st,
          want, err.msg, msg);
    llmbo_run_config_free(&cfg);
}

static void test_malformed(void)
{
    const llmbo_status C = LLMBO_ERR_CONFIG, P = LLMBO_ERR_PARSE;
    expect_error("{\"objective\": \"branin\", \"budget\": -3}", C,
                 "run.json: budget: expected a positive integer, got -3");
    expect_error("{\"objective\": \"branin\", \"budget\": 30, \"acquisition\": \"eii\"}", C,
                 "run.json: acquisition: unknown value \"eii\"; expected one of ei, logei, pi, "
                 "ucb, ts");
    expect_error("{\n  \"objective\": \"branin\",\n  \"budget\": 30,\n  \"seed\": 1,,\n  "
                 "\"batch\": 2\n}\n",
                 P,
                 "run.json: line 4, column 14: JSON syntax error at the end of the line, after "
                 "'\"seed\": 1,,'");
    expect_error(
        "{\"objective\": \"branin\", \"budget\": 30, \"budgett\": 3}", C,
        "run.json: unknown key \"budgett\"; expected one of name, description, "
        "objective, instance, budget, strategy, acquisition, seed, init, gp, batch, pending, "
        "noisy, acq, advisor, workers, dispatch, batch_step, tail");
    expect_error("{\"budget\": 30}", C,
                 "run.json: objective: missing (required): a built-in name such as \"branin\" "
                 "or an object");
    expect_error("{\"objective\": \"branin\"}", C,
                 "run.json: budget: missing (required): the total number of evaluations");
    expect_error("{\"objective\": \"branin\", \"budget\": 30, \"gp\": {\"kernel\": \"rbf\"}}", C,
                 "run.json: gp.kernel: unknown value \"rbf\"; expected one of se, matern12, "
                 "matern32, matern52");
    expect_error("{\"objective\": \"branin\", \"budget\": 30, \"gp\": {\"kernal\": \"se\"}}", C,
                 "run.json: gp: unknown key \"kernal\"; expected one of kernel, priors, "
                 "refit_every, restarts, max_eval, noise, noise_floor, warp");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"init\": {\"n\": 12}}", C,
                 "run.json: init.n: expected at most the budget (10), got 12");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"strategy\": \"gp+llm\"}", C,
                 "run.json: advisor: missing: strategy \"gp+llm\" needs an advisor object");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"advisor\": {\"backend\": \"x\"}}",
                 C,
                 "run.json: advisor: not used by strategy \"gp\"; remove it or use \"llm\" or "
                 "\"gp+llm\"");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"seed\": 1.5}", C,
                 "run.json: seed: expected a non-negative integer below 2^53, got 1.5");
    expect_error("{\"objective\": \"ackley:5\", \"budget\": 10, \"instance\": -2}", C,
                 "run.json: instance: expected a non-negative integer, got -2");
    expect_error("{\"objective\": \"ackley:5\", \"budget\": 10, \"instance\": \"3\"}", C,
                 "run.json: instance: expected a non-negative integer, got \"3\"");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"acq\": {\"dup_tol\": 0.7}}", C,
                 "run.json: acq.dup_tol: expected a number in [0, 0.5), got 0.7");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"acq\": {\"stall_window\": -1}}", C,
                 "run.json: acq.stall_window: expected a non-negative integer, got -1");
    expect_error("[1, 2]", C, "run.json: expected a JSON object at the top level, got an array");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"budget\": 20}", C,
                 "run.json: duplicate key \"budget\"");
    expect_error(
        "{\"objective\": \"branin\", \"budget\": 10, \"gp\": {\"noise\": \"fitted\"}}", C,
        "run.json: gp.noise: expected \"auto\", \"fit\" or a positive number, got \"fitted\"");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"batch\": 0}", C,
                 "run.json: batch: expected a positive integer, got 0");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"noisy\": \"yes\"}", C,
                 "run.json: noisy: expected true or false, got \"yes\"");
    expect_error("{\"objective\": 3, \"budget\": 10}", C,
                 "run.json: objective: expected a name string or an object, got 3");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"acq\": {\"sweep\": 2.5}}", C,
                 "run.json: acq.sweep: expected a positive integer, got 2.5");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"strategy\": 2}", C,
                 "run.json: strategy: expected a string (one of random, gp, llm, gp+llm), got 2");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"gp\": [1]}", C,
                 "run.json: gp: expected an object, got an array");
    expect_error("{\"objective\": \"branin\", \"budget\": 10} x", P,
                 "run.json: line 1, column 39: JSON syntax error near 'x'");
    expect_error("{\"objective\": \"branin\"", P,
                 "run.json: line 1, column 23: JSON syntax error at the end of the input");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"pending\": \"cl\"}", C,
                 "run.json: pending: unknown value \"cl\"; expected one of kb, cl_min, cl_mean, "
                 "cl_max, lp");
    expect_error("{\"objective\": \"branin\", \"budget\": 10, \"init\": {\"design\": \"halton\"}}",
                 C,
                 "run.json: init.design: unknown value \"halton\"; expected one of sobol, lhs, "
                 "random");
    expect_error(
        "{\"objective\": \"branin\", \"budget\": 1e10}", C,
        "run.json: budget: expected a positive integer of at most 1000000000, got 10000000000");

    llmbo_run_config cfg;
    llmbo_error err;
    CHECK(llmbo_run_config_load("/nonexistent/run.json", &cfg, &err) == LLMBO_ERR_IO &&
              strcmp(err.msg, "/nonexistent/run.json: cannot open: No such file or directory") == 0,
          "missing file: %s", err.msg);
    llmbo_run_config_free(&cfg);
}

static const char *full =
    "{\"name\": \"t\", \"description\": \"a test\", \"objective\": {\"name\": \"hartmann6\"},\n"
    " \"budget\": 40, \"strategy\": \"random\", \"acquisition\": \"ucb\", \"seed\": 2385,\n"
    " \"init\": {\"design\": \"lhs\", \"n\": 9},\n"
    " \"gp\": {\"kernel\": \"matern32\", \"priors\": false, \"refit_every\": 4, \"restarts\": 2,\n"
    "        \"max_eval\": 77, \"noise\": 0.015, \"noise_floor\": 2e-5},\n"
    " \"batch\": 3, \"tail\": 5, \"pending\": \"cl_mean\", \"noisy\": true,\n"
    " \"acq\": {\"xi\": 0.01, \"sweep\": 300, \"starts\": 4, \"candidates\": 7}}";

static void check_full(const llmbo_run_config *c, const char *what)
{
    CHECK(strcmp(c->name, "t") == 0 && strcmp(c->description, "a test") == 0 &&
              cJSON_IsObject(c->objective) && c->budget == 40 &&
              c->strategy == LLMBO_STRATEGY_RANDOM && c->acquisition == LLMBO_ACQUISITION_UCB &&
              c->seed == 2385 && c->design == LLMBO_INIT_LHS && c->n_init == 9 &&
              c->kernel == LLMBO_KERNEL_MATERN32 && c->priors == 0 && c->refit_every == 4 &&
              c->restarts == 2 && c->max_eval == 77 && c->noise_fit == 0 && c->noise == 0.015 &&
              c->noise_floor == 2e-5 && c->batch == 3 && c->tail == 5 &&
              c->pending == LLMBO_PENDING_CL_MEAN && c->noisy == 1 && c->xi == 0.01 &&
              c->acq_sweep == 300 && c->acq_starts == 4 && c->candidates == 7 && c->advisor == NULL,
          "%s: every key read", what);
}

static void test_full_and_resolved(void)
{
    llmbo_run_config a, b;
    llmbo_error err;
    CHECK_OK(llmbo_run_config_parse(full, "full.json", &a, &err));
    check_full(&a, "parse");
    llmbo_bo_options o;
    llmbo_run_config_bo_options(&a, 6, &o);
    CHECK(o.strategy == LLMBO_STRATEGY_RANDOM && o.acquisition == LLMBO_ACQUISITION_UCB &&
              o.n_init == 9 && o.budget == 40 && o.gp.kernel == LLMBO_KERNEL_MATERN32 &&
              o.gp.use_priors == 0 && o.gp.n_restarts == 2 && o.gp.max_eval == 77 &&
              o.gp.fit_noise == 0 && o.gp.noise == 0.015 && o.refit_every == 4 &&
              o.pending == LLMBO_PENDING_CL_MEAN && o.seed == 2385 && o.noisy == 1 &&
              o.xi == 0.01 && o.n_candidates == 7 && o.acq_sweep == 300 && o.acq_starts == 4,
          "options mapped");
    cJSON *r = llmbo_run_config_to_json(&a, 6);
    char *text = cJSON_Print(r);
    CHECK_OK(llmbo_run_config_parse(text, "config.json", &b, &err));
    check_full(&b, "resolved config read back");
    cJSON_free(text);
    cJSON_Delete(r);
    llmbo_run_config_free(&a);
    llmbo_run_config_free(&b);

    /* Defaults, and their resolution for d = 3. */
    CHECK_OK(llmbo_run_config_parse("{\"objective\": \"hartmann3\", \"budget\": 3}", "m.json", &a,
                                    &err));
    llmbo_gp_options go;
    llmbo_gp_options_default(&go);
    CHECK(a.strategy == LLMBO_STRATEGY_GP && a.acquisition == LLMBO_ACQUISITION_LOGEI &&
              a.seed == 0 && a.design == LLMBO_INIT_SOBOL && a.n_init == 0 && a.batch == 1 &&
              a.refit_every == 1 && a.noise_fit == -1 && a.kernel == go.kernel && a.noisy == -1 &&
              a.tail == 0,
          "defaults");
    r = llmbo_run_config_to_json(&a, 3);
    text = cJSON_PrintUnformatted(r); /* numbers are raw (exact) items: read them back parsed */
    cJSON_Delete(r);
    r = cJSON_Parse(text);
    cJSON_free(text);
    const cJSON *init = cJSON_GetObjectItem(r, "init");
    CHECK(cJSON_GetObjectItem(init, "n")->valuedouble == 3,
          "default n_init d + 1 = 4 capped by the budget 3");
    CHECK(!cJSON_GetObjectItem(r, "tail"), "no tail key without a tail (configs from before)");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(r, "noisy")) &&
              cJSON_GetObjectItem(cJSON_GetObjectItem(r, "acq"), "sweep")->valuedouble > 0,
          "resolved config fills noisy and the optimiser's sweep");
    cJSON_Delete(r);
    llmbo_run_config_free(&a);
}

/* llmbo_bo_options_from_json: the run config's loop keys over a caller's space, budget optional,
 * with the run config's messages. */
static void expect_options_error(const char *text, llmbo_status want, const char *msg)
{
    llmbo_bo_options o;
    llmbo_error err;
    memset(&err, 0, sizeof err);
    llmbo_status st = llmbo_bo_options_from_json(text, "opts", 3, &o, NULL, &err);
    CHECK(st == want && strcmp(err.msg, msg) == 0, "status %d (want %d): got [%s] want [%s]", st,
          want, err.msg, msg);
}

static void test_options_from_json(void)
{
    llmbo_bo_options o, def;
    llmbo_error err;
    int batch = 0;
    llmbo_bo_options_default(&def);
    CHECK_OK(llmbo_bo_options_from_json("{}", NULL, 3, &o, &batch, &err));
    CHECK(o.budget == 0 && o.n_init == 12 && batch == 1,
          "empty: budget %d n_init %d (12: gp) batch %d", o.budget, o.n_init, batch);
    CHECK(o.strategy == def.strategy && o.acquisition == def.acquisition &&
              o.design == def.design && o.seed == 0 && o.gp.fit_noise == def.gp.fit_noise &&
              o.gp.noise == def.gp.noise && o.refit_every == def.refit_every,
          "empty object gives the run config's defaults");
    CHECK_OK(llmbo_bo_options_from_json(
        "{\"budget\": 3, \"acquisition\": \"ucb\", \"seed\": 977, \"batch\": 4, "
        "\"init\": {\"design\": \"lhs\"}, \"gp\": {\"kernel\": \"se\", \"noise\": \"fit\"}, "
        "\"pending\": \"cl_max\", \"acq\": {\"xi\": 0.0125, \"candidates\": 7}}",
        NULL, 5, &o, &batch, &err));
    CHECK(o.budget == 3 && o.n_init == 3 && o.acquisition == LLMBO_ACQUISITION_UCB &&
              o.seed == 977 && batch == 4 && o.design == LLMBO_INIT_LHS &&
              o.gp.kernel == LLMBO_KERNEL_SE && o.gp.fit_noise == 1 &&
              o.pending == LLMBO_PENDING_CL_MAX && o.xi == 0.0125 && o.n_candidates == 7,
          "every given key reaches the options (n_init capped by the budget)");
    CHECK_OK(llmbo_bo_options_from_json("{\"init\": {\"n\": 12}, \"strategy\": \"random\"}", NULL,
                                        2, &o, NULL, &err));
    CHECK(o.n_init == 12 && o.budget == 0 && o.strategy == LLMBO_STRATEGY_RANDOM,
          "init.n without a budget: n_init %d", o.n_init);

    /* gp.warp: a boolean (true: the loop's default warp) or one of the three names, which are
     * y_warp 0, 1 and 2. */
    static const struct {
        const char *text;
        int y_warp;
    } warps[] = {{"false", 0}, {"\"off\"", 0}, {"\"median\"", 1}, {"\"select\"", 2}};
    for (size_t i = 0; i < sizeof warps / sizeof *warps; i++) {
        char text[64];
        snprintf(text, sizeof text, "{\"gp\": {\"warp\": %s}}", warps[i].text);
        CHECK_OK(llmbo_bo_options_from_json(text, NULL, 3, &o, NULL, &err));
        CHECK(o.y_warp == warps[i].y_warp, "gp.warp %s: y_warp %d, want %d", warps[i].text,
              o.y_warp, warps[i].y_warp);
    }
    CHECK_OK(llmbo_bo_options_from_json("{\"gp\": {\"warp\": true}}", NULL, 3, &o, NULL, &err));
    CHECK(o.y_warp == def.y_warp && o.y_warp != 0, "gp.warp true: y_warp %d (default %d)", o.y_warp,
          def.y_warp);

    /* The options parser of the run config: no objective, the budget 0 when none is given, and
     * init.n then unbounded; the run config's descriptive keys are accepted. */
    llmbo_run_config cfg;
    CHECK_OK(llmbo_run_config_parse_options(
        "{\"name\": \"n\", \"instance\": 2, \"strategy\": \"gp+llm\", \"advisor\": {}, "
        "\"init\": {\"n\": 40}}",
        "o.json", &cfg, &err));
    CHECK(cfg.objective == NULL && cfg.budget == 0 && cfg.n_init == 40 && cfg.instance == 2 &&
              cfg.strategy == LLMBO_STRATEGY_GP_ADVISOR && cJSON_IsObject(cfg.advisor) &&
              strcmp(cfg.name, "n") == 0,
          "options parse: budget %d, n_init %d, strategy %s", cfg.budget, cfg.n_init,
          llmbo_strategy_name(cfg.strategy));
    llmbo_run_config_bo_options(&cfg, 2, &o);
    CHECK(o.strategy == LLMBO_STRATEGY_GP_ADVISOR && o.budget == 0 && o.n_init == 40,
          "gp+llm reaches the loop as its own strategy (n_init %d)", o.n_init);
    llmbo_run_config_free(&cfg);

    const llmbo_status C = LLMBO_ERR_CONFIG;
    expect_options_error("{\"acquisition\": \"eii\"}", C,
                         "opts: acquisition: unknown value \"eii\"; expected one of ei, logei, "
                         "pi, ucb, ts");
    expect_options_error("{\"gp\": {\"kernal\": \"se\"}}", C,
                         "opts: gp: unknown key \"kernal\"; expected one of kernel, priors, "
                         "refit_every, restarts, max_eval, noise, noise_floor, warp");
    expect_options_error("{\"gp\": {\"warp\": \"quartile\"}}", C,
                         "opts: gp.warp: unknown value \"quartile\"; expected one of off, median, "
                         "select");
    expect_options_error(
        "{\"gp\": {\"warp\": 2}}", C,
        "opts: gp.warp: expected true, false or one of off, median, select, got 2");
    expect_options_error("{\"budget\": 5, \"init\": {\"n\": 6}}", C,
                         "opts: init.n: expected at most the budget (5), got 6");
    expect_options_error("{\"budgett\": 5}", C,
                         "opts: unknown key \"budgett\"; expected one of name, description, "
                         "instance, budget, strategy, acquisition, seed, init, gp, batch, pending, "
                         "noisy, acq, advisor, workers, dispatch, batch_step, tail");
    expect_options_error("{\"budget\": 0}", C, "opts: budget: expected a positive integer, got 0");
    expect_options_error("{\"objective\": \"branin\"}", C,
                         "opts: objective: not a loop option (the loop is given its space)");
    expect_options_error("{\"strategy\": \"gp+llm\"}", C,
                         "opts: advisor: missing: strategy \"gp+llm\" needs an advisor object");
    expect_options_error("[1, 2]", C,
                         "opts: expected a JSON object at the top level, got an array");
    expect_options_error("{\"seed\": 1,}", LLMBO_ERR_PARSE,
                         "opts: line 1, column 13: JSON syntax error at the end of the input");
    CHECK(llmbo_bo_options_from_json(NULL, NULL, 2, &o, NULL, &err) == LLMBO_ERR_INVALID &&
              llmbo_bo_options_from_json("{}", NULL, 0, &o, NULL, &err) == LLMBO_ERR_INVALID,
          "NULL text and d < 1 are invalid arguments");
}

int main(void)
{
    llmbo_init();
    test_malformed();
    test_full_and_resolved();
    test_options_from_json();
    return check_summary();
}
