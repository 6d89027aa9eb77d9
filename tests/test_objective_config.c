/* test_objective_config.c: the config's "objective" value. Valid forms (name string, built-in
 * object with dim and noise, external object with every parameter type), and malformed ones
 * with the exact message each produces (the table in docs/objectives.md), plus an
 * allocation-failure sweep over llmbo_objective_from_json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "check.h"
#include "llmbo.h"
#include "llmbo_common.h"
#include "objective_json.h"

#define WHERE "run.json: objective"

static llmbo_status parse(const char *text, llmbo_objective **o, llmbo_error *err)
{
    cJSON *v = cJSON_Parse(text);
    CHECK(v != NULL, "test JSON parses: %s", text);
    llmbo_error_clear(err);
    llmbo_status st = llmbo_objective_from_json(v, WHERE, 7, o, err);
    cJSON_Delete(v);
    return st;
}

static const char *external_ok =
    "{\"type\": \"external\", \"name\": \"toy\", \"command\": \"cat >/dev/null; echo 1.25\", "
    "\"timeout\": 5, \"maximize\": true, \"description\": \"a toy\", \"parameters\": ["
    "{\"name\": \"t\", \"bounds\": [0, 10], \"unit\": \"s\", \"description\": \"time\"},"
    "{\"name\": \"n\", \"type\": \"integer\", \"bounds\": [1, 5]},"
    "{\"name\": \"r\", \"type\": \"log\", \"bounds\": [0.001, 1]},"
    "{\"name\": \"c\", \"type\": \"categorical\", \"choices\": [\"a\", \"b\"]}]}";

static void test_valid(void)
{
    llmbo_objective *o = NULL;
    llmbo_error err;
    CHECK_OK(parse("\"ackley:5\"", &o, &err));
    CHECK(o && strcmp(llmbo_objective_name(o), "ackley:5") == 0, "string form");
    llmbo_objective_free(o);
    CHECK_OK(parse("{\"name\": \"levy\", \"dim\": 3, \"noise_std\": 0.5}", &o, &err));
    CHECK(o && strcmp(llmbo_objective_name(o), "levy:3") == 0, "object form with dim");
    double x[3] = {1, 1, 1}, y1, y2;
    llmbo_objective_eval(o, x, &y1, NULL);
    llmbo_objective_eval(o, x, &y2, NULL);
    CHECK(y1 != 0 && y1 != y2, "noise_std adds noise (%g, %g)", y1, y2);
    llmbo_objective_free(o);
    CHECK_OK(parse("{\"type\": \"builtin\", \"name\": \"branin\"}", &o, &err));
    CHECK(o && llmbo_objective_dim(o) == 2, "explicit builtin type");
    llmbo_objective_free(o);
    CHECK_OK(parse(external_ok, &o, &err));
    CHECK(o && llmbo_objective_dim(o) == 4 && llmbo_objective_maximize(o) &&
              strcmp(llmbo_objective_name(o), "toy") == 0 &&
              strcmp(llmbo_objective_description(o), "a toy") == 0,
          "external object: %s", err.msg);
    if (o) {
        const llmbo_space *s = llmbo_objective_space(o);
        CHECK(llmbo_space_param(s, 1)->type == LLMBO_PARAM_INTEGER &&
                  llmbo_space_param(s, 2)->type == LLMBO_PARAM_LOG &&
                  llmbo_space_param(s, 3)->type == LLMBO_PARAM_CATEGORICAL &&
                  strcmp(llmbo_space_param(s, 0)->unit, "s") == 0,
              "parameter types and units");
        double xe[4] = {2.5, 3, 0.1, 1}, y;
        CHECK_OK(llmbo_objective_eval(o, xe, &y, &err));
        CHECK(y == 1.25, "external evaluates: %g", y);
    }
    llmbo_objective_free(o);
}

static void test_errors(void)
{
    struct {
        const char *json, *msg;
    } bad[] = {
        {"\"brannin\"", WHERE ": unknown objective \"brannin\" (did you mean \"branin\"?)"},
        {"42", WHERE ": expected a name string (\"branin\", \"ackley:5\") or an object"},
        {"\"branin:3\"", WHERE ": objective \"branin:3\": branin is defined in dimension 2 only"},
        {"{\"name\": \"ackley\", \"dim\": 2.5}", WHERE ".dim: expected an integer in [1, 1000]"},
        {"{\"name\": \"ackley:3\", \"dim\": 4}",
         WHERE ".dim: the dimension is already given in name \"ackley:3\""},
        {"{\"name\": \"ackley\", \"nosie_std\": 0.1}",
         WHERE ": unknown key \"nosie_std\"; expected one of type, name, dim, noise_std"},
        {"{\"name\": \"ackley\", \"noise_std\": -1}",
         WHERE ".noise_std: expected a finite number >= 0"},
        {"{\"dim\": 3}",
         WHERE ": expected \"name\" (a built-in objective) or \"type\": \"external\""},
        {"{\"name\": 5}", WHERE ".name: expected a string"},
        {"{\"name\": \"sphere\", \"name\": \"levy\"}", WHERE ": duplicate key \"name\""},
        {"{\"type\": \"extrenal\"}",
         WHERE ".type: unknown value \"extrenal\"; expected one of builtin, external"},
        {"{\"type\": \"external\", \"parameters\": [{\"name\": \"a\", \"bounds\": [0, 1]}]}",
         WHERE ".command: expected a non-empty string (run by /bin/sh -c)"},
        {"{\"type\": \"external\", \"command\": \"f\"}",
         WHERE ".parameters: expected a non-empty array of parameter objects"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": []}",
         WHERE ".parameters: expected a non-empty array of parameter objects"},
        {"{\"type\": \"external\", \"command\": \"f\", \"timeout\": 0, \"parameters\": "
         "[{\"name\": \"a\", \"bounds\": [0, 1]}]}",
         WHERE ".timeout: expected a number of seconds > 0"},
        {"{\"type\": \"external\", \"command\": \"f\", \"maximize\": 1, \"parameters\": "
         "[{\"name\": \"a\", \"bounds\": [0, 1]}]}",
         WHERE ".maximize: expected true or false"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"bounds\": [0, 1]}, {\"name\": \"b\", \"bounds\": [0, 1]}, {\"name\": \"c\", "
         "\"bounds\": [0]}]}",
         WHERE ".parameters[2].bounds: expected an array of two numbers"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"bounds\": [1, 0]}]}",
         WHERE ".parameters[0].bounds: expected finite [lo, hi] with lo < hi (got [1, 0])"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"bounds\": [0.1, 0.1]}]}",
         WHERE ".parameters[0].bounds: lo = hi = 0.10000000000000001 leaves nothing to optimise; a "
               "value that stays fixed is not a parameter: leave it out of parameters"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"bounds\": [-1.7e308, 1.7e308]}]}",
         WHERE ".parameters[0].bounds: the width hi - lo overflows a double (got [-1.7e+308, "
               "1.7e+308])"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"type\": \"integer\", \"bounds\": [-1e30, 1e30]}]}",
         WHERE ".parameters[0].bounds: an integer parameter needs bounds within +-2^53 = "
               "+-9007199254740992 (got [-1e+30, 1e+30])"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"type\": \"log\", \"bounds\": [0, 1]}]}",
         WHERE ".parameters[0].bounds: a log parameter needs lo > 0 (got 0)"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"type\": \"integer\", \"bounds\": [0, 2.5]}]}",
         WHERE ".parameters[0].bounds: an integer parameter needs whole-number bounds (got [0, "
               "2.5])"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"type\": \"float\", \"bounds\": [0, 1]}]}",
         WHERE ".parameters[0].type: unknown value \"float\"; expected one of continuous, integer, "
               "log, categorical"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"type\": \"categorical\", \"choices\": []}]}",
         WHERE ".parameters[0].choices: expected a non-empty array of strings"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"type\": \"categorical\", \"choices\": [\"x\", \"x\"]}]}",
         WHERE ".parameters[0].choices[1]: duplicate choice \"x\""},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"type\": \"categorical\", \"choices\": [\"x\"], \"bounds\": [0, 1]}]}",
         WHERE ".parameters[0].bounds: not allowed for a categorical parameter (use \"choices\")"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"bounds\": [0, 1], \"choices\": [\"x\"]}]}",
         WHERE ".parameters[0].choices: only allowed for a categorical parameter"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"bounds\": [0, 1]}, {\"name\": \"a\", \"bounds\": [0, 1]}]}",
         WHERE ".parameters[1].name: duplicate parameter name \"a\""},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"bounds\": [0, 1]}]}",
         WHERE ".parameters[0].name: expected a non-empty string"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [{\"name\": \"a\", "
         "\"bounds\": [0, 1], \"units\": \"m\"}]}",
         WHERE ".parameters[0]: unknown key \"units\"; expected one of name, type, bounds, "
               "choices, unit, "
               "description"},
        {"{\"type\": \"external\", \"command\": \"f\", \"parameters\": [3]}",
         WHERE ".parameters[0]: expected an object with \"name\" and \"bounds\" or \"choices\""},
        {"{\"type\": \"external\", \"command\": \"f\", \"dim\": 2, \"parameters\": [{\"name\": "
         "\"a\", \"bounds\": [0, 1]}]}",
         WHERE ": unknown key \"dim\"; expected one of type, name, command, parameters, timeout, "
               "maximize, "
               "description, noise_std"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmbo_objective *o = NULL;
        llmbo_error err;
        llmbo_status st = parse(bad[i].json, &o, &err);
        CHECK(st == LLMBO_ERR_CONFIG && o == NULL && strcmp(err.msg, bad[i].msg) == 0,
              "config %zu -> %d \"%s\"", i, (int)st, err.msg);
    }
    llmbo_objective *o = NULL;
    llmbo_error err;
    CHECK(llmbo_objective_from_json(NULL, WHERE, 1, &o, &err) == LLMBO_ERR_CONFIG &&
              strcmp(err.msg, WHERE ": missing") == 0,
          "missing objective: %s", err.msg);
    llmbo_space *sp = NULL;
    cJSON *v = cJSON_Parse("{}");
    CHECK(llmbo_space_from_json(v, "p.json: params", &sp, &err) == LLMBO_ERR_CONFIG &&
              strcmp(err.msg, "p.json: params: expected a non-empty array of parameter objects") ==
                  0,
          "space_from_json on an object: %s", err.msg);
    cJSON_Delete(v);
}

static void test_alloc_sweep(void)
{
    const char *texts[] = {external_ok, "{\"name\": \"rastrigin\", \"dim\": 4, \"noise_std\": 0.1}",
                           "\"reaction\""};
    for (int t = 0; t < 3; t++) {
        cJSON *v = cJSON_Parse(texts[t]);
        int failures = 0, other = 0, done = 0;
        for (long k = 1; k < 300 && !done; k++) {
            llmbo_objective *o = NULL;
            llmbo_error err;
            llmbo_test_fail_after(k);
            llmbo_status st = llmbo_objective_from_json(v, WHERE, 3, &o, &err);
            long used = llmbo_test_alloc_count();
            llmbo_test_fail_after(0);
            if (st == LLMBO_OK) {
                done = used < k;
                llmbo_objective_free(o);
            } else if (st == LLMBO_ERR_NOMEM && o == NULL) {
                failures++;
            } else {
                other++;
                printf("  unexpected: %s\n", err.msg);
            }
        }
        CHECK(done && failures > 0 && other == 0,
              "from_json %d: %d injected allocation failures gave NOMEM (%d other)", t, failures,
              other);
        cJSON_Delete(v);
    }
}

/* The key list of an "unknown key" message, as a sorted comma-joined set. */
static void sorted_keys_of_message(const char *msg, char *out, size_t n)
{
    const char *p = strstr(msg, "expected one of ");
    char buf[512], *names[32];
    int k = 0;
    snprintf(buf, sizeof buf, "%s", p ? p + 16 : "");
    for (char *t = strtok(buf, ", "); t && k < 32; t = strtok(NULL, ", "))
        names[k++] = t;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *tmp = names[j];
            names[j] = names[j - 1];
            names[j - 1] = tmp;
        }
    out[0] = '\0';
    for (int i = 0; i < k; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "", names[i]);
}

static void sorted_keys_of_schema(const cJSON *def, char *out, size_t n)
{
    const char *names[32];
    int k = 0;
    for (const cJSON *c = cJSON_GetObjectItem(def, "properties")->child; c && k < 32; c = c->next)
        names[k++] = c->string;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *tmp = names[j];
            names[j] = names[j - 1];
            names[j - 1] = tmp;
        }
    out[0] = '\0';
    for (int i = 0; i < k; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "", names[i]);
}

/* docs/objective.schema.json declares exactly the keys the parser accepts. */
static void test_schema(void)
{
    const char *src = getenv("LLMBO_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/objective.schema.json", src ? src : ".");
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "open %s", path);
    if (!f)
        return;
    static char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *schema = cJSON_Parse(text);
    CHECK(schema != NULL, "schema is valid JSON");
    if (!schema)
        return;
    const cJSON *defs = cJSON_GetObjectItem(schema, "$defs");
    struct {
        const char *def, *config;
    } cases[] = {
        {"builtin", "{\"name\": \"branin\", \"zz\": 1}"},
        {"external", "{\"type\": \"external\", \"zz\": 1}"},
        {"parameter", "{\"type\": \"external\", \"command\": \"f\", \"parameters\": "
                      "[{\"name\": \"a\", \"zz\": 1}]}"},
    };
    for (int i = 0; i < 3; i++) {
        llmbo_objective *o = NULL;
        llmbo_error err;
        parse(cases[i].config, &o, &err);
        char a[512], b[512];
        sorted_keys_of_message(err.msg, a, sizeof a);
        sorted_keys_of_schema(cJSON_GetObjectItem(defs, cases[i].def), b, sizeof b);
        CHECK(strcmp(a, b) == 0, "schema %s keys {%s} = parser keys {%s}", cases[i].def, b, a);
    }
    cJSON_Delete(schema);
}

int main(void)
{
    llmbo_init();
    test_schema();
    test_valid();
    test_errors();
    test_alloc_sweep();
    return check_summary();
}
