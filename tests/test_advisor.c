/* test_advisor.c: the advisor without a network: answer extraction (reasoning blocks, fences,
 * prose, last object), validation (dimension, types, finiteness, bounds, integers, categorical
 * names, duplicates, rankings), prompts (parameters, history selection, significant digits,
 * templates), request hashes (FNV-1a test vectors), prices and cost, configuration errors with
 * key paths, and an allocation-failure sweep. */
#include <math.h>
#include <dirent.h>
#include <stdarg.h>
#include <cJSON.h>
#include "check.h"
#include "llm_test_util.h"
#include "llmbo_common.h"
#include "advisor.h"
#include "backend.h"
#include "llm_impl.h"

static llmbo_space *space;

/* ---- extraction -------------------------------------------------------------------------- */

static cJSON *extract(const char *text, int *n_think, char **think, llmbo_error *err)
{
    cJSON *j = NULL;
    llmbo_answer_extract(text, &j, think, n_think, err);
    return j;
}

static double num_at(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void test_extract(void)
{
    llmbo_error err;
    int nt = -1;
    char *think = NULL;
    cJSON *j = extract("{\"a\": 2.385}", &nt, &think, &err);
    CHECK(j && num_at(j, "a") == 2.385 && nt == 0 && !think, "plain object");
    cJSON_Delete(j);

    j = extract("Sure!\n```json\n{\"a\": 1, \"s\": \"} not the end {\"}\n```\nDone.", &nt, NULL,
                &err);
    CHECK(j && num_at(j, "a") == 1, "fenced, braces inside a string do not end the object");
    cJSON_Delete(j);

    j = extract("First {guess}: {\"a\": 1}. Better: {\"a\": 7.25} and {not json}.", &nt, NULL,
                &err);
    CHECK(j && num_at(j, "a") == 7.25, "prose around several objects: the last valid one");
    cJSON_Delete(j);

    j = extract("<think>try {\"a\": 99}</think>\n{\"a\": 3}<THINK>more</THINK>", &nt, &think, &err);
    CHECK(j && num_at(j, "a") == 3 && nt == 2, "think blocks stripped and counted (%d)", nt);
    CHECK(think && strstr(think, "{\"a\": 99}") && strstr(think, "more"), "reasoning text kept: %s",
          think ? think : "(null)");
    llmbo_free(think);
    think = NULL;
    cJSON_Delete(j);

    j = extract("reasoning opened by the template {\"a\": 5}</think>{\"a\": 6}", &nt, &think, &err);
    CHECK(j && num_at(j, "a") == 6 && nt == 1, "closing tag without opening: leading reasoning");
    llmbo_free(think);
    think = NULL;
    cJSON_Delete(j);

    j = extract("{\"a\": 4}\n<thinking>cut off by max_tokens {\"a\": 8", &nt, NULL, &err);
    CHECK(j && num_at(j, "a") == 4 && nt == 1, "unclosed block at the end is reasoning");
    cJSON_Delete(j);

    /* Many blocks (fuzzing found 4,000 empty blocks took 17 s: every block searched each tag to
     * the end of the text). 100,000 blocks, 1.5 MB: the old scan would need hours, so the test's
     * own timeout is the guard; the split must also be right. */
    {
        const char *blk = "<think></think>";
        size_t bl = strlen(blk), nblk = 100000;
        char *big = malloc(nblk * bl + 32);
        if (big) {
            for (size_t i = 0; i < nblk; i++)
                memcpy(big + i * bl, blk, bl);
            strcpy(big + nblk * bl, "{\"a\": 2.385}");
            j = extract(big, &nt, NULL, &err);
            CHECK(j && num_at(j, "a") == 2.385 && nt == (int)nblk,
                  "100,000 empty <think> blocks split in one pass (%d blocks)", nt);
            cJSON_Delete(j);
            free(big);
        }
    }

    j = extract("<think>{\"a\": 1}</think> I cannot decide.", &nt, NULL, &err);
    CHECK(!j && err.status == LLMBO_ERR_PARSE && strstr(err.msg, "outside its reasoning"),
          "JSON only inside reasoning is not an answer: %s", err.msg);

    j = extract("{\"points\": [{\"x1\": NaN}]}", &nt, NULL, &err);
    CHECK(!j && err.status == LLMBO_ERR_PARSE && strstr(err.msg, "syntax error") &&
              strstr(err.msg, "NaN"),
          "NaN literal: syntax error located: %s", err.msg);

    j = extract("{\"points\": [{\"x1\": 1,}]}", &nt, NULL, &err);
    CHECK(!j && strstr(err.msg, "not valid"), "trailing comma: %s", err.msg);

    j = extract("The ranking is [2, 0, 1].", &nt, NULL, &err);
    CHECK(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 3, "bare array when there is no object");
    cJSON_Delete(j);

    j = extract("no json here", &nt, NULL, &err);
    CHECK(!j && strstr(err.msg, "no JSON object"), "no JSON: %s", err.msg);
    j = extract("{\"a\": [1, 2", &nt, NULL, &err);
    CHECK(!j && err.status == LLMBO_ERR_PARSE, "unterminated: %s", err.msg);
}

/* ---- validation -------------------------------------------------------------------------- */

static const double hist[] = {1.25, 3, 0, 1e-3, -2.5, 7, 2, 5e-2};

static llmbo_status points(const char *text, int n_want, double *x, int *n_x, int *n_extra,
                           llmbo_error *err)
{
    cJSON *j = cJSON_Parse(text);
    if (!j)
        return LLMBO_ERR_PARSE;
    llmbo_status st = llmbo_answer_points(j, space, n_want, hist, 2, x, n_x, n_extra, err);
    cJSON_Delete(j);
    return st;
}

static void test_points(void)
{
    double x[16];
    int n = 0, extra = 0;
    llmbo_error err;
    llmbo_status st = points("{\"points\": [{\"x1\": -4.75, \"x2\": 15, \"x3\": \"blue\", \"x4\": "
                             "0.0316}, [9.5, 0, \"red\", 1e-4]]}",
                             2, x, &n, &extra, &err);
    CHECK(st == LLMBO_OK && n == 2 && extra == 0, "object and array points (%s)", err.msg);
    CHECK(x[0] == -4.75 && x[1] == 15 && x[2] == 2 && x[3] == 0.0316 && x[4] == 9.5 && x[5] == 0 &&
              x[6] == 0 && x[7] == 1e-4,
          "values in original units, categorical as choice index");
    st = points("{\"points\": [{\"x1\": 1, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}, {\"x1\": "
                "2, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}]}",
                1, x, &n, &extra, &err);
    CHECK(st == LLMBO_OK && n == 1 && extra == 1, "extra points ignored and counted");
    st = points("{\"x1\": 1, \"x2\": 2, \"x3\": \"green\", \"x4\": 0.01}", 1, x, &n, NULL, &err);
    CHECK(st == LLMBO_OK && n == 1 && x[2] == 1, "a single point without the wrapper");
    /* A bound written to more digits than a rounding error separates from it is the bound (the
     * tolerance is 1e-9 of the range, 1.5e-8 for x1 in [-5, 10]); one beyond that is refused. */
    st = points("{\"x1\": 10.000000000001, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}", 1, x, &n,
                NULL, &err);
    CHECK(st == LLMBO_OK && n == 1 && x[0] == 10.0, "a rounding error beyond a bound is the bound");
    st = points("{\"x1\": -5.00000000000001, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}", 1, x, &n,
                NULL, &err);
    CHECK(st == LLMBO_OK && n == 1 && x[0] == -5.0, "and at the lower bound");
    st = points("{\"x1\": 10.0000001, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}", 1, x, &n, NULL,
                &err);
    CHECK(st == LLMBO_ERR_VALIDATION && strstr(err.msg, "outside its bounds"),
          "1e-7 beyond a bound is refused: %s", err.msg);

    struct {
        const char *text, *expect;
    } bad[] = {
        {"{\"points\": [{\"x1\": 10.5, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}]}",
         "x1 = 10.5 is outside its bounds [-5, 10]"},
        {"{\"points\": [{\"x1\": 1, \"x2\": 2.5, \"x3\": \"red\", \"x4\": 0.01}]}",
         "x2 = 2.5 must be a whole number"},
        {"{\"points\": [{\"x1\": 1, \"x2\": 2, \"x3\": \"purple\", \"x4\": 0.01}]}",
         "x3 = \"purple\" is not one of its choices"},
        {"{\"points\": [{\"x1\": 1, \"x2\": 2, \"x3\": 1, \"x4\": 0.01}]}",
         "x3 must be one of the choice names"},
        {"{\"points\": [{\"x1\": 1, \"x2\": 2, \"x3\": \"red\"}]}", "x4 is missing"},
        {"{\"points\": [{\"x1\": 1, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01, \"x5\": 3}]}",
         "\"x5\" is not a parameter"},
        {"{\"points\": [[1, 2, \"red\"]]}", "point 0 has 3 coordinates, the space has 4"},
        {"{\"points\": [{\"x1\": \"1\", \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}]}",
         "x1 must be a number, got a string"},
        {"{\"points\": [{\"x1\": 1e999, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}]}",
         "x1 is not finite"},
        {"{\"points\": [{\"x1\": 1.25, \"x2\": 3, \"x3\": \"red\", \"x4\": 0.001}]}",
         "point 0 repeats evaluation #0"},
        {"{\"points\": [{\"x1\": 1, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}]}",
         "the answer has 1 point, 2 were asked for"},
        {"{\"points\": [{\"x1\": 1, \"x2\": 2, \"x3\": \"red\", \"x4\": 0.01}, {\"x1\": 1, \"x2\": "
         "2, \"x3\": \"red\", \"x4\": 0.01}]}",
         "point 1 repeats point 0"},
        {"{\"candidates\": []}", "no \"points\" array"},
        {"{\"points\": 3}", "\"points\" must be an array, got a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int want =
            strstr(bad[i].expect, "2 were asked") || strstr(bad[i].expect, "repeats point") ? 2 : 1;
        llmbo_error_clear(&err);
        st = points(bad[i].text, want, x, &n, NULL, &err);
        CHECK(st == LLMBO_ERR_VALIDATION && n == 0 && strstr(err.msg, bad[i].expect),
              "invalid %zu: \"%s\" (got: %s)", i, bad[i].expect, err.msg);
    }
    st = points("{\"points\": [{\"x1\": 11, \"x2\": 16, \"x3\": \"red\", \"x4\": 0.5}]}", 1, x, &n,
                NULL, &err);
    CHECK(st == LLMBO_ERR_VALIDATION && strstr(err.msg, "x1 = 11") && strstr(err.msg, "x2 = 16") &&
              strstr(err.msg, "x4 = 0.5"),
          "every problem listed: %s", err.msg);
}

static llmbo_status ranking(const char *text, int n_cand, int n_want, int *order, int *n,
                            llmbo_error *err)
{
    cJSON *j = cJSON_Parse(text);
    llmbo_status st = llmbo_answer_ranking(j, n_cand, n_want, order, n, err);
    cJSON_Delete(j);
    return st;
}

static void test_ranking(void)
{
    int order[8], n;
    llmbo_error err;
    CHECK(ranking("{\"ranking\": [3, 0, 2]}", 5, 2, order, &n, &err) == LLMBO_OK && n == 3 &&
              order[0] == 3 && order[1] == 0 && order[2] == 2,
          "ranking read in order");
    CHECK(ranking("[1, 0]", 2, 1, order, &n, &err) == LLMBO_OK && n == 2, "bare array");
    CHECK(ranking("{\"choice\": 4}", 5, 1, order, &n, &err) == LLMBO_OK && n == 1 && order[0] == 4,
          "single choice");
    CHECK(ranking("{\"ranking\": [1, 1]}", 5, 1, order, &n, &err) == LLMBO_ERR_VALIDATION &&
              strstr(err.msg, "candidate 1 appears twice"),
          "duplicate: %s", err.msg);
    CHECK(ranking("{\"ranking\": [5]}", 5, 1, order, &n, &err) == LLMBO_ERR_VALIDATION &&
              strstr(err.msg, "not a candidate index (0 to 4)"),
          "out of range: %s", err.msg);
    CHECK(ranking("{\"ranking\": [1.5]}", 5, 1, order, &n, &err) == LLMBO_ERR_VALIDATION &&
              strstr(err.msg, "not a whole number"),
          "fraction: %s", err.msg);
    CHECK(ranking("{\"ranking\": [2]}", 5, 3, order, &n, &err) == LLMBO_ERR_VALIDATION &&
              strstr(err.msg, "at least 3"),
          "too few: %s", err.msg);
    CHECK(ranking("{\"choice\": 1}", 5, 2, order, &n, &err) == LLMBO_ERR_VALIDATION,
          "a single choice when two are asked for");
    CHECK(ranking("{\"order\": [1]}", 5, 1, order, &n, &err) == LLMBO_ERR_VALIDATION &&
              strstr(err.msg, "no \"ranking\""),
          "missing key: %s", err.msg);
}

/* ---- prompts ----------------------------------------------------------------------------- */

static void test_prompt(void)
{
    double hx[6 * 4], hy[6] = {5.123456789, 0.31415926535, 9.5, NAN, 0.25, 7.75};
    int hf[6] = {0, 0, 0, 1, 0, 0};
    for (int i = 0; i < 6; i++) {
        hx[4 * i] = -5 + 2.5 * i;
        hx[4 * i + 1] = i;
        hx[4 * i + 2] = i % 3;
        hx[4 * i + 3] = 1e-3 * (i + 1);
    }
    double cx[4] = {0.5, 4, 1, 2e-3}, cm[1] = {1.234567}, cs[1] = {0.5}, ca[1] = {0.0421};
    llmbo_advice_request r = {LLMBO_ADVICE_RANK,
                              space,
                              "A test problem about sliders.",
                              0,
                              6,
                              hx,
                              hy,
                              hf,
                              6,
                              20,
                              1,
                              cx,
                              cm,
                              cs,
                              ca,
                              1};
    llmbo_prompt_options o;
    llmbo_prompt_options_default(&o);
    o.digits = 4;
    char *sys = NULL, *usr = NULL;
    llmbo_error err;
    CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
    CHECK(sys && strstr(sys, "single JSON object"), "built-in system prompt");
    const char *want[] = {
        "A test problem about sliders.",
        "Goal: minimise the objective.",
        "- x1: continuous in [-5, 10], unit cm. position of the slider",
        "- x2: integer in [0, 15]. number of layers",
        "- x3: categorical, one of \"red\", \"green\", \"blue\"",
        "- x4: continuous (log scale) in [0.0001, 0.1]. learning rate",
        "Evaluations so far (all 6)",
        "#0: x1=-5, x2=0, x3=\"red\", x4=0.001 -> y=5.123",
        "#1: x1=-2.5, x2=1, x3=\"green\", x4=0.002 -> y=0.3142",
        "#3: x1=2.5, x2=3, x3=\"red\", x4=0.004 -> failed",
        "Best so far: y=0.25 at #4 (x1=5, x2=4, x3=\"green\", x4=0.005)",
        "6 of 20 evaluations used, 14 remaining",
        "0: x1=0.5, x2=4, x3=\"green\", x4=0.002 | mean=1.235, std=0.5, acq=0.0421",
        "{\"ranking\": [i, j, ...]} listing candidate indices (0 to 0)",
    };
    for (size_t i = 0; usr && i < sizeof want / sizeof want[0]; i++)
        CHECK(strstr(usr, want[i]) != NULL, "prompt contains \"%s\"", want[i]);
    llmbo_free(sys);
    llmbo_free(usr);

    /* best 2 of 6 (maximising: 9.5 and 7.75), latest 2, propose format. */
    r.mode = LLMBO_ADVICE_PROPOSE;
    r.maximize = 1;
    r.n_want = 3;
    o.history = LLMBO_HISTORY_BEST;
    o.history_n = 2;
    CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
    CHECK(usr && strstr(usr, "the 2 best of 6") && strstr(usr, "#2: ") && strstr(usr, "#5: ") &&
              !strstr(usr, "#0: ") && !strstr(usr, "#4: "),
          "best 2 of 6 when maximising");
    CHECK(usr && strstr(usr, "Goal: maximise") && strstr(usr, "with exactly 3 points") &&
              strstr(usr, "\"x3\": \"red\"") && strstr(usr, "\"x2\": <integer>"),
          "propose answer format");
    llmbo_free(sys);
    llmbo_free(usr);
    o.history = LLMBO_HISTORY_LATEST;
    CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
    CHECK(usr && strstr(usr, "the latest 2 of 6") && strstr(usr, "#4: ") && strstr(usr, "#5: ") &&
              !strstr(usr, "#3: "),
          "latest 2 of 6");
    llmbo_free(sys);
    llmbo_free(usr);

    /* Templates with placeholders. */
    o.templates[LLMBO_ADVICE_PROPOSE] = "N={{n_want}} left={{remaining}} goal={{goal}}";
    o.system = "sys for {{dim}} parameters";
    CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
    CHECK(usr && strcmp(usr, "N=3 left=14 goal=maximise") == 0, "template rendered: %s",
          usr ? usr : "");
    CHECK(sys && strcmp(sys, "sys for 4 parameters") == 0, "system template rendered");
    llmbo_free(sys);
    llmbo_free(usr);
    /* {{progress}}: 100 iteration / budget in whole percent, rounded down, within 0-100 (by
     * hand: 6 of 20 = 30; 13 of 40 = 32.5 -> 32; 39 of 40 = 97.5 -> 97; 45 of 40 -> 100; an
     * unknown budget 0 -> 100, as {{remaining}} says 0). */
    o.templates[LLMBO_ADVICE_PROPOSE] = "P={{progress}} left={{remaining}}";
    const int prog_it[] = {6, 13, 39, 45, 3}, prog_bud[] = {20, 40, 40, 40, 0};
    const char *prog_want[] = {"P=30 left=14", "P=32 left=27", "P=97 left=1", "P=100 left=0",
                               "P=100 left=0"};
    for (int i = 0; i < 5; i++) {
        r.iteration = prog_it[i];
        r.budget = prog_bud[i];
        CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
        CHECK(usr && strcmp(usr, prog_want[i]) == 0, "progress %d of %d: %s", prog_it[i],
              prog_bud[i], usr ? usr : "");
        llmbo_free(sys);
        llmbo_free(usr);
    }
    /* {{step_scale}}: distill/policy.py's scale(used, budget) = 0.3 (0.01 / 0.3)^t, t = used /
     * max(budget, 1) clipped to [0, 1], 4 decimals rounded (by hand and by the Python formula:
     * 0 of 40 -> 0.3; 6 of 20 -> 0.3 30^-0.3 = 0.108140 -> 0.1081; 20 of 40 -> 0.3 / sqrt(30) =
     * 0.054772 -> 0.0548; 7 of 12 -> 0.041254 -> 0.0413; 1 of 50 -> 0.280271 -> 0.2803; 39 of 40
     * -> 0.010887 -> 0.0109; 45 of 40 -> 0.01; budget 0: t = min(used, 1), 3 -> 0.01, 0 -> 0.3).
     * Truncating instead of rounding fails 20/40, 7/12, 1/50 and 39/40; a linear schedule
     * fails every t strictly inside (0, 1). */
    o.templates[LLMBO_ADVICE_PROPOSE] = "Step scale: {{step_scale}} of each range.";
    const int sc_it[] = {0, 6, 20, 7, 1, 39, 45, 3, 0},
              sc_bud[] = {40, 20, 40, 12, 50, 40, 40, 0, 0};
    const char *sc_want[] = {"0.3000", "0.1081", "0.0548", "0.0413", "0.2803",
                             "0.0109", "0.0100", "0.0100", "0.3000"};
    for (int i = 0; i < 9; i++) {
        char sc_line[64];
        snprintf(sc_line, sizeof sc_line, "Step scale: %s of each range.", sc_want[i]);
        r.iteration = sc_it[i];
        r.budget = sc_bud[i];
        CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
        CHECK(usr && strcmp(usr, sc_line) == 0, "step_scale %d of %d: %s", sc_it[i], sc_bud[i],
              usr ? usr : "");
        llmbo_free(sys);
        llmbo_free(usr);
    }
    r.iteration = 6;
    r.budget = 20;
    CHECK(llmbo_template_check("{{progress}} %", "t", &err) == LLMBO_OK, "progress accepted");
    CHECK(llmbo_template_check("{{step_scale}}", "t", &err) == LLMBO_OK, "step_scale accepted");
    /* {{mean_step}}: the mean of the shown successful evaluations minus the best one, in
     * fractions of each range (log scale in the logarithm), by hand: minimising, the 3 best are
     * #4 (x1=5, x4=0.005), #1 (-2.5, 0.002), #0 (-5, 0.001). x1: u = (x1 + 5) / 15 = 2/3, 1/6, 0,
     * mean 5/18, minus 2/3 = -0.38889; x4: u = log10(x4 / 1e-4) / 3 = 0.56632, 0.43368, 1/3, mean
     * 4/9, minus 0.56632 = -0.12188. Integer and categorical: the best point's values. */
    r.maximize = 0;
    o.history_n = 3;
    o.history = LLMBO_HISTORY_BEST;
    o.templates[LLMBO_ADVICE_PROPOSE] = "M={{mean_step}}";
    CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
    CHECK(usr && strcmp(usr, "M=x1=-0.3889, x2=4, x3=\"green\", x4=-0.1219") == 0,
          "mean step of the 3 best: %s", usr ? usr : "");
    llmbo_free(sys);
    llmbo_free(usr);
    o.history_n = 1; /* Best alone: its own mean, a zero step */
    CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
    CHECK(usr && strcmp(usr, "M=x1=0, x2=4, x3=\"green\", x4=0") == 0, "mean step of Best: %s",
          usr ? usr : "");
    llmbo_free(sys);
    llmbo_free(usr);
    o.history = LLMBO_HISTORY_ALL; /* all 6: the failed #3 (x1=2.5) is left out of the mean */
    CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
    /* x1: u = 0, 1/6, 1/3, 2/3, 5/6 (#0 #1 #2 #4 #5), mean 2/5, minus 2/3 = -0.26667 */
    CHECK(usr && strncmp(usr, "M=x1=-0.2667, x2=4,", 19) == 0, "mean step of all: %s",
          usr ? usr : "");
    llmbo_free(sys);
    llmbo_free(usr);
    r.n_hist = 0;
    CHECK_OK(llmbo_prompt_build(&o, &r, &sys, &usr, &err));
    CHECK(usr && strcmp(usr, "M=none yet") == 0, "mean step with no history: %s", usr ? usr : "");
    llmbo_free(sys);
    llmbo_free(usr);
    r.n_hist = 6;
    CHECK(llmbo_template_check("ok {{history}} {{best}} {{mean_step}}", "t", &err) == LLMBO_OK,
          "known placeholders accepted");
    CHECK(llmbo_template_check("bad {{histroy}}", "t.txt", &err) == LLMBO_ERR_CONFIG &&
              strstr(err.msg, "t.txt: unknown placeholder {{histroy}} at byte 4"),
          "unknown placeholder: %s", err.msg);
    CHECK(llmbo_template_check("bad {{history", "t.txt", &err) == LLMBO_ERR_CONFIG,
          "unclosed placeholder");
    char *rep = llmbo_prompt_repair(&o, "x1 is missing");
    CHECK(rep && strstr(rep, "could not be used: x1 is missing"), "repair message quotes error");
    llmbo_free(rep);
}

/* ---- hashes ------------------------------------------------------------------------------ */

static void test_hash(void)
{
    /* Published FNV-1a 64 test vectors (Fowler/Noll/Vo reference test suite). */
    CHECK(llmbo_fnv1a64("", 0) == 0xcbf29ce484222325ULL, "FNV-1a(\"\")");
    CHECK(llmbo_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL, "FNV-1a(\"a\")");
    CHECK(llmbo_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL, "FNV-1a(\"foobar\")");
    llmbo_chat_message m[2] = {{"system", "s"}, {"user", "hello"}};
    llmbo_chat_request r = {m, 2, 0.7, -1, 256, 11, NULL, 0, NULL, 0, NULL, NULL, 0};
    char h1[17], h2[17], h3[17], h4[17];
    llmbo_error err;
    CHECK_OK(llmbo_request_hash("gpt-4o", &r, h1, &err));
    CHECK_OK(llmbo_request_hash("gpt-4o", &r, h2, &err));
    CHECK(strcmp(h1, h2) == 0 && strlen(h1) == 16, "hash is stable: %s", h1);
    r.temperature = 0.8;
    CHECK_OK(llmbo_request_hash("gpt-4o", &r, h3, &err));
    m[1].content = "hellp";
    r.temperature = 0.7;
    CHECK_OK(llmbo_request_hash("gpt-4o", &r, h4, &err));
    CHECK(strcmp(h1, h3) != 0 && strcmp(h1, h4) != 0, "temperature and messages change it");
    m[1].content = "hello";
    CHECK_OK(llmbo_request_hash("gpt-4o-mini", &r, h4, &err));
    CHECK(strcmp(h1, h4) != 0, "the model changes it");
    cJSON *c = llmbo_request_canonical("gpt-4o", &r);
    char *s = cJSON_PrintUnformatted(c);
    char expect[17];
    snprintf(expect, sizeof expect, "%016llx", (unsigned long long)llmbo_fnv1a64(s, strlen(s)));
    CHECK(strcmp(expect, h1) == 0 && strstr(s, "\"top_p\":null") && strstr(s, "\"seed\":11"),
          "hash is FNV-1a of the canonical JSON %s", s);
    cJSON_free(s);
    cJSON_Delete(c);
}

/* ---- prices and cost --------------------------------------------------------------------- */

static void test_cost(void)
{
    llmbo_price p;
    llmbo_error err;
    CHECK(llmbo_price_lookup("gpt-4o-mini", NULL, &p, &err) == LLMBO_OK && p.input == 0.15 &&
              p.cached_input == 0.075 && p.output == 0.60,
          "gpt-4o-mini price from data/prices.json");
    CHECK(llmbo_price_lookup("gpt-4o-mini-2024-07-18", NULL, &p, &err) == LLMBO_OK &&
              p.input == 0.15,
          "dated snapshot takes the longest listed prefix");
    CHECK(llmbo_price_lookup("openai/gpt-4o", NULL, &p, &err) == LLMBO_OK && p.input == 2.50 &&
              p.output == 10.0,
          "vendor prefix (OpenRouter) stripped");
    CHECK(llmbo_price_lookup("claude-3-5-haiku-20241022", NULL, &p, &err) == LLMBO_OK &&
              p.input == 0.80 && strstr(p.source, "read 2025-05"),
          "claude price with its reading date: %s", p.source);
    CHECK(llmbo_price_lookup("my-local-model", NULL, &p, &err) == LLMBO_ERR_NOT_FOUND &&
              strstr(err.msg, "my-local-model"),
          "unknown model: %s", err.msg);
    CHECK(llmbo_price_lookup("gpt-4o", "no/such/prices.json", &p, &err) == LLMBO_ERR_IO,
          "missing price file");
    write_text(
        "prices_test.json",
        "{\"read\": \"2026-01\", \"models\": {\"acme-1\": {\"input\": 1.5, \"output\": 4}}}");
    CHECK(llmbo_price_lookup("acme-1", "prices_test.json", &p, &err) == LLMBO_OK &&
              p.input == 1.5 && p.cached_input == 1.5 && p.output == 4,
          "price file override; cached_input defaults to input");
    remove("prices_test.json");

    llmbo_price q = {2.385, 0.5, 9.75, ""};
    CHECK_NEAR(llmbo_price_dollars(&q, 1200, 200, 300),
               (1000 * 2.385 + 200 * 0.5 + 300 * 9.75) / 1e6, 1e-14, 0);
    llmbo_cost c;
    memset(&c, 0, sizeof c);
    llmbo_chat_reply r;
    memset(&r, 0, sizeof r);
    r.prompt_tokens = 1200;
    r.cached_tokens = 200;
    r.completion_tokens = 300;
    r.reasoning_tokens = 120;
    r.seconds = 1.5;
    r.retries = 2;
    r.cpu_seconds = 7.2;
    double cd = 0;
    double d = llmbo_cost_add_call(&c, &q, 0.36, &r, &cd);
    CHECK_NEAR(d, (1000 * 2.385 + 200 * 0.5 + 300 * 9.75) / 1e6, 1e-14, 0);
    CHECK_NEAR(cd, 7.2 * 0.36 / 3600, 1e-14, 0);
    CHECK(c.calls == 1 && c.retries == 2 && c.reasoning_tokens == 120 && c.seconds == 1.5 &&
              c.cpu_seconds == 7.2,
          "cost accumulates calls, retries, tokens, seconds");
    cJSON *j = llmbo_cost_to_json(&c);
    const char *keys[] = {"calls",
                          "retries",
                          "prompt_tokens",
                          "completion_tokens",
                          "reasoning_tokens",
                          "cached_tokens",
                          "dollars",
                          "seconds",
                          "cpu_seconds",
                          "cpu_dollars",
                          "valid",
                          "repaired",
                          "fallback",
                          "errors"};
    int all = j && cJSON_GetArraySize(j) == 14;
    for (size_t i = 0; all && i < 14; i++)
        all = cJSON_GetObjectItemCaseSensitive(j, keys[i]) != NULL;
    CHECK(all, "cost JSON has the 14 keys of docs/formats.md");
    cJSON_Delete(j);
}

/* ---- configuration ----------------------------------------------------------------------- */

static llmbo_status create(const char *text, llmbo_advisor **adv, llmbo_error *err)
{
    cJSON *j = cJSON_Parse(text);
    *adv = NULL;
    llmbo_status st =
        j ? llmbo_advisor_create(j, "run.json: advisor", NULL, adv, err) : LLMBO_ERR_PARSE;
    cJSON_Delete(j);
    return st;
}

static void test_config(void)
{
    llmbo_advisor *adv;
    llmbo_error err;
    llmbo_status st = create("{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"api_key_env\": "
                             "null, \"mode\": \"pool\", \"every\": 3, \"phase\": [0.25, 0.75], "
                             "\"adaptive\": true, \"n_candidates\": 8, \"n_propose\": 2, "
                             "\"warmstart\": true, \"temperature\": 0.2, \"stop\": [\"END\"], "
                             "\"history\": {\"select\": \"best\", \"n\": 12}, \"digits\": 5}",
                             &adv, &err);
    CHECK(st == LLMBO_OK, "full config accepted (%s)", err.msg);
    if (adv) {
        llmbo_advice_schedule s_;
        llmbo_advisor_get_schedule(adv, &s_);
        const llmbo_advice_schedule *s = &s_;
        CHECK(s->mode == LLMBO_ADVICE_POOL && s->every == 3 && s->phase_start == 0.25 &&
                  s->phase_end == 0.75 && s->adaptive == 1 && s->n_candidates == 8 &&
                  s->n_propose == 2 && s->warmstart == 1 && s->gp_rules == 0,
              "schedule parsed");
        CHECK(strcmp(llmbo_advisor_model(adv), "gpt-4o") == 0 &&
                  strcmp(llmbo_advisor_backend_name(adv), "openai") == 0,
              "model and backend names");
        llmbo_cost c = {3, 1, 10, 20, 5, 2, 0.25, 4.5, 0, 0, 2, 1, 0, 0}, out, orphans;
        CHECK(llmbo_advisor_restore_cost(adv, &c, &orphans) == 0 && orphans.calls == 0,
              "no call log: no orphaned calls");
        llmbo_advisor_get_cost(adv, &out);
        CHECK(memcmp(&c, &out, sizeof c) == 0, "restore_cost round trip");
        llmbo_advisor_free(adv);
    }
    st = create("{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"api_key_env\": null}", &adv,
                &err);
    if (adv) {
        llmbo_advice_schedule s_;
        llmbo_advisor_get_schedule(adv, &s_);
        const llmbo_advice_schedule *s = &s_;
        CHECK(s->mode == LLMBO_ADVICE_RANK && s->every == 1 && s->phase_start == 0 &&
                  s->phase_end == 1 && !s->adaptive && s->n_candidates == 5 && s->n_propose == 1 &&
                  !s->warmstart && !s->gp_rules,
              "schedule defaults");
        llmbo_advisor_free(adv);
    }
    st = create("{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"api_key_env\": null, "
                "\"gp_rules\": true}",
                &adv, &err);
    if (adv) {
        llmbo_advice_schedule s_;
        llmbo_advisor_get_schedule(adv, &s_);
        CHECK(s_.mode == LLMBO_ADVICE_RANK && s_.gp_rules == 1, "gp_rules parsed (rank mode)");
        llmbo_advisor_free(adv);
    }
    st = create("{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"api_key_env\": null, "
                "\"mode\": \"warmstart\", \"n_propose\": 4}",
                &adv, &err);
    if (adv) {
        llmbo_advice_schedule s_;
        llmbo_advisor_get_schedule(adv, &s_);
        const llmbo_advice_schedule *s = &s_;
        CHECK(s->warmstart == 1 && s->phase_end < 1e-6, "warmstart mode: warm start only");
        llmbo_advisor_free(adv);
    }

    /* Replay accepts the union of the other backends' declared keys (openai's max_tokens_key,
     * anthropic's anthropic_version, local's model_path and n_ctx), and nothing else. */
    CHECK(llmbo_backend_accepts_key(llmbo_backend_find("replay"), "max_tokens_key") &&
              llmbo_backend_accepts_key(llmbo_backend_find("replay"), "anthropic_version") &&
              llmbo_backend_accepts_key(llmbo_backend_find("replay"), "model_path") &&
              llmbo_backend_accepts_key(llmbo_backend_find("replay"), "n_ctx") &&
              llmbo_backend_accepts_key(llmbo_backend_find("replay"), "cassette") &&
              !llmbo_backend_accepts_key(llmbo_backend_find("replay"), "cassete") &&
              !llmbo_backend_accepts_key(llmbo_backend_find("replay"), "*") &&
              !llmbo_backend_accepts_key(llmbo_backend_find("openai"), "anthropic_version") &&
              !llmbo_backend_accepts_key(llmbo_backend_find("openai"), "cassette"),
          "replay accepts every backend's declared keys; openai only its own");
    st = llmbo_advisor_create_json("{\"backend\": \"replay\", \"model\": \"m\", \"cassette\": "
                                   "\"no/such.jsonl\", \"anthropic_version\": \"x\", \"price\": "
                                   "{\"input\": 0, \"output\": 0}, "
                                   "\"threads\": 2}",
                                   "cfg: advisor", NULL, &adv, &err);
    CHECK(st == LLMBO_ERR_IO && strstr(err.msg, "cfg: advisor.cassette: cannot open"),
          "replay with other backends' keys gets as far as its cassette: %s", err.msg);
    st = llmbo_advisor_create_json("{\"backend\": \"replay\",", NULL, NULL, &adv, &err);
    CHECK(st == LLMBO_ERR_PARSE && adv == NULL && strstr(err.msg, "advisor: invalid JSON"),
          "create_json: %s", err.msg);

    struct {
        const char *cfg, *expect;
    } bad[] = {
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"temprature\": 0.5}",
         "run.json: advisor.temprature: unknown key for the openai backend"},
        {"{\"backend\": \"replay\", \"model\": \"gpt-4o\", \"cassete\": \"x.jsonl\"}",
         "run.json: advisor.cassete: unknown key for the replay backend"},
        {"{\"backend\": \"gemini\", \"model\": \"x\"}",
         "advisor.backend: unknown value \"gemini\"; expected one of openai, anthropic, replay"},
        {"{\"backend\": \"openai\"}", "advisor.model: required key is missing"},
        {"{\"model\": \"gpt-4o\"}", "advisor.backend: required key is missing"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"mode\": \"vote\"}",
         "advisor.mode: unknown value \"vote\"; expected one of rank, propose, pool, warmstart"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"phase\": [0.5, 0.5]}",
         "advisor.phase: expected [start, end] with 0 <= start < end <= 1"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"every\": 0}",
         "advisor.every: expected a whole number in [1, 1000000]"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"temperature\": \"hot\"}",
         "advisor.temperature: expected a number"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"history\": \"first\"}",
         "advisor.history: expected \"all\", \"best\" or \"latest\""},
        {"{\"backend\": \"openai\", \"model\": \"my-llama\", \"api_key_env\": null}",
         "advisor.price: no price is known for model \"my-llama\""},
        {"{\"backend\": \"openai\", \"model\": \"m\", \"price\": {\"input\": -1, \"output\": 1}}",
         "advisor.price.input: expected a price >= 0"},
        {"{\"backend\": \"openai\", \"model\": \"m\", \"price\": {\"input\": 1, \"outptu\": 1}}",
         "advisor.price.outptu: unknown key"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"mode\": \"rank\", \"mode\": "
         "\"propose\"}",
         "advisor.mode: key given twice"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"response_format\": \"yaml\"}",
         "advisor.response_format: expected \"none\", \"json_object\" or \"json_schema\""},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"base_url\": \"ftp://x\"}",
         "advisor.base_url: expected an http:// or https:// URL"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"timeout\": 0}",
         "advisor.timeout: expected a number in"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"templates\": {\"rank\": "
         "\"no/such/file.txt\"}}",
         "advisor.templates.rank: cannot read template file no/such/file.txt"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"system\": \"{{nope}}\"}",
         "advisor.system: unknown placeholder {{nope}}"},
        {"{\"backend\": \"replay\", \"model\": \"gpt-4o\"}",
         "advisor.cassette: the replay backend needs the path of a cassette"},
        {"{\"backend\": \"replay\", \"model\": \"gpt-4o\", \"cassette\": \"no/such.jsonl\"}",
         "advisor.cassette: cannot open no/such.jsonl"},
        {"{\"backend\": \"anthropic\", \"model\": \"claude-3-opus\", \"thinking_budget\": 1.5}",
         "advisor.thinking_budget: expected a whole number"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"mode\": \"propose\", "
         "\"gp_rules\": true}",
         "advisor.gp_rules: only for mode rank (pool mode always keeps the loop's rules; in "
         "propose mode"},
        {"{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"gp_rules\": 1}",
         "advisor.gp_rules: expected"},
        {"[1, 2]", "run.json: advisor: expected an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmbo_error_clear(&err);
        cJSON *j = cJSON_Parse(bad[i].cfg);
        adv = NULL;
        st = llmbo_advisor_create(j, "run.json: advisor", NULL, &adv, &err);
        cJSON_Delete(j);
        CHECK(st != LLMBO_OK && adv == NULL && strstr(err.msg, bad[i].expect),
              "bad config %zu rejected: %s", i, err.msg);
    }
    /* A template file with a bad placeholder names the file. */
    write_text("tmpl_bad.txt", "Hello {{parameters}} {{budgte}}");
    st = create("{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"api_key_env\": null, "
                "\"templates\": {\"propose\": \"tmpl_bad.txt\"}}",
                &adv, &err);
    CHECK(st == LLMBO_ERR_CONFIG && strstr(err.msg, "advisor.templates.propose (tmpl_bad.txt): "
                                                    "unknown placeholder {{budgte}}"),
          "template file error: %s", err.msg);
    remove("tmpl_bad.txt");
    /* The replay cassette: a malformed line is named. */
    write_text("bad_cassette.jsonl", "{\"hash\": \"0123456789abcdef\", \"reply\": {\"content\": "
                                     "\"{}\"}}\n{\"hash\": \"xyz\"}\n");
    st = create("{\"backend\": \"replay\", \"model\": \"gpt-4o\", \"cassette\": "
                "\"bad_cassette.jsonl\"}",
                &adv, &err);
    CHECK(st == LLMBO_ERR_FORMAT && strstr(err.msg, "bad_cassette.jsonl line 2"),
          "malformed cassette line: %s", err.msg);
    remove("bad_cassette.jsonl");
}

/* ---- shipped example configs ------------------------------------------------------------ */

static void test_examples(void)
{
    const char *src = getenv("LLMBO_SOURCE_DIR");
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/examples/advisors", src ? src : "..");
    /* Placeholder keys: creating an advisor reads the variable but sends nothing. */
    setenv("OPENAI_API_KEY", "sk-placeholder", 1);
    setenv("DEEPSEEK_API_KEY", "sk-placeholder", 1);
    setenv("OPENROUTER_API_KEY", "sk-placeholder", 1);
    setenv("ANTHROPIC_API_KEY", "sk-placeholder", 1);
    DIR *d = opendir(dir);
    CHECK(d != NULL, "examples/advisors exists");
    if (!d)
        return;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = read_text(path);
        cJSON *root = text ? cJSON_Parse(text) : NULL;
        free(text);
        cJSON *adv = cJSON_GetObjectItemCaseSensitive(root, "advisor");
        /* Cassettes, records, local models and template folders are named relative to the
         * source tree. */
        const char *rel[] = {"cassette", "record", "model_path", "template_dir"};
        for (int k = 0; k < 4; k++) {
            cJSON *c = cJSON_GetObjectItemCaseSensitive(adv, rel[k]);
            if (cJSON_IsString(c)) {
                char full[4096];
                snprintf(full, sizeof full, "%s/%s", k != 1 && src ? src : ".", c->valuestring);
                if (k == 1)
                    snprintf(full, sizeof full, "example_record_%d.jsonl", n);
                cJSON_SetValuestring(c, full);
            }
        }
        llmbo_advisor *a = NULL;
        llmbo_error err;
        llmbo_error_clear(&err);
        llmbo_status st = llmbo_advisor_create(adv, path, NULL, &a, &err);
        CHECK(st == LLMBO_OK, "example %s: advisor created (%s)", e->d_name, err.msg);
        llmbo_advisor_free(a);
        char rec[64];
        snprintf(rec, sizeof rec, "example_record_%d.jsonl", n);
        remove(rec);
        cJSON_Delete(root);
        n++;
    }
    closedir(d);
    CHECK(n >= 10, "%d example advisor configs", n);
}

/* ---- allocation failures ----------------------------------------------------------------- */

static void test_alloc_failures(void)
{
    const char *answer = "<think>hmm</think>```json\n{\"points\": [{\"x1\": 1, \"x2\": 2, \"x3\": "
                         "\"red\", \"x4\": 0.01}]}\n```";
    double hx[4] = {1.25, 3, 0, 1e-3}, hy[1] = {2.5};
    int hf[1] = {0};
    llmbo_advice_request r = {
        LLMBO_ADVICE_PROPOSE, space, "p", 0, 1, hx, hy, hf, 1, 10, 0, NULL, NULL, NULL, NULL, 1};
    llmbo_prompt_options o;
    llmbo_prompt_options_default(&o);
    int nomem = 0, ok_at = -1;
    for (long k = 1; k < 200 && ok_at < 0; k++) {
        llmbo_test_fail_after(k);
        char *sys = NULL, *usr = NULL, *think = NULL;
        cJSON *j = NULL;
        double x[4];
        int n = 0;
        llmbo_status st = llmbo_prompt_build(&o, &r, &sys, &usr, NULL);
        if (st == LLMBO_OK)
            st = llmbo_answer_extract(answer, &j, &think, NULL, NULL);
        if (st == LLMBO_OK)
            st = llmbo_answer_points(j, space, 1, hx, 1, x, &n, NULL, NULL);
        char *rep = st == LLMBO_OK ? llmbo_prompt_repair(&o, "e") : NULL;
        if (st == LLMBO_OK && !rep)
            st = LLMBO_ERR_NOMEM;
        llmbo_test_fail_after(0);
        if (st == LLMBO_ERR_NOMEM)
            nomem++;
        else if (st == LLMBO_OK)
            ok_at = (int)k;
        llmbo_free(sys);
        llmbo_free(usr);
        llmbo_free(think);
        llmbo_free(rep);
        cJSON_Delete(j);
    }
    CHECK(nomem > 3 && ok_at > 0,
          "allocation failures reported as NOMEM at %d sites, success "
          "from the %d-th allocation on",
          nomem, ok_at);
    /* Advisor creation under allocation failure never leaks or crashes. */
    const char *cfg = "{\"backend\": \"openai\", \"model\": \"gpt-4o\", \"api_key_env\": null, "
                      "\"stop\": [\"a\", \"b\"], \"headers\": {\"X-Test\": \"1\"}}";
    cJSON *j = cJSON_Parse(cfg);
    int created = 0, failures = 0;
    for (long k = 1; k < 200 && !created; k++) {
        llmbo_advisor *adv = NULL;
        llmbo_test_fail_after(k);
        llmbo_status st = llmbo_advisor_create(j, "a", NULL, &adv, NULL);
        llmbo_test_fail_after(0);
        if (st == LLMBO_OK)
            created = 1;
        else
            failures += st == LLMBO_ERR_NOMEM;
        llmbo_advisor_free(adv);
    }
    cJSON_Delete(j);
    CHECK(created && failures > 5, "advisor create: %d allocation sites fail cleanly", failures);
}

int main(void)
{
    llmbo_init();
    space = mixed_space();
    CHECK(space != NULL, "space");
    if (!space)
        return check_summary();
    test_extract();
    test_points();
    test_ranking();
    test_prompt();
    test_hash();
    test_cost();
    test_config();
    test_examples();
    test_alloc_failures();
    llmbo_space_free(space);
    return check_summary();
}
