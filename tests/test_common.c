/* test_common.c: common/: the string buffer (growth, printf, allocation failure), whole-file
 * reading and the atomic write (content, no temporary left behind, errors naming the path),
 * mkdir -p, JSON getters and key checks (messages name the key path), exact number printing
 * (every double reads back bit for bit) and the advisor cost record (write, read back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "llmbo_common.h"
#include "strbuf.h"
#include "fileio.h"
#include "json.h"
#include "names.h"

static void test_strbuf(void)
{
    llmbo_strbuf b = LLMBO_STRBUF_INIT;
    for (int i = 0; i < 1000; i++)
        llmbo_strbuf_printf(&b, "%d,", i);
    size_t want = 0;
    for (int i = 0; i < 1000; i++)
        want += (size_t)snprintf(NULL, 0, "%d,", i);
    CHECK(!b.oom && b.len == want && strlen(b.s) == want, "1000 printf appends: %zu bytes", b.len);
    CHECK(strncmp(b.s, "0,1,2,", 6) == 0 && strcmp(b.s + want - 4, "999,") == 0, "text in order");
    llmbo_strbuf_add(&b, "ab\0cd", 5);
    CHECK(b.len == want + 5 && memcmp(b.s + want, "ab\0cd", 5) == 0 && b.s[b.len] == '\0',
          "add copies n bytes (NUL included) and terminates");
    llmbo_strbuf_free(&b);
    CHECK(!b.s && b.len == 0 && b.cap == 0, "free empties the buffer");

    /* every allocation failure leaves oom set and the text a prefix, never a crash */
    int failures = 0;
    for (long k = 1; k < 20; k++) {
        llmbo_strbuf f = LLMBO_STRBUF_INIT;
        llmbo_test_fail_after(k);
        for (int i = 0; i < 300; i++)
            llmbo_strbuf_puts(&f, "2.385 ");
        llmbo_test_fail_after(0);
        failures += f.oom;
        if (f.oom && f.s)
            CHECK(strlen(f.s) == f.len, "after a failure the text is still terminated");
        llmbo_strbuf_free(&f);
    }
    CHECK(failures > 0, "injected allocation failures set oom (%d of 19)", failures);
}

static int count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void test_fileio(void)
{
    char dir[] = "/tmp/llmbo_test_common.XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temporary directory");
    char deep[256], path[300];
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    CHECK_OK(llmbo_mkdir_p(deep, NULL));
    struct stat sb;
    CHECK(stat(deep, &sb) == 0 && S_ISDIR(sb.st_mode), "mkdir -p made %s", deep);
    CHECK_OK(llmbo_mkdir_p(deep, NULL)); /* already there */

    snprintf(path, sizeof path, "%s/f.txt", deep);
    llmbo_error err;

    /* a text larger than the reader's first buffer, written twice (the second replaces) */
    char *big = malloc(10000);
    for (int i = 0; i < 9999; i++)
        big[i] = (char)('a' + i % 26);
    big[9999] = '\0';
    CHECK_OK(llmbo_write_file_atomic(path, "first", NULL));
    CHECK_OK(llmbo_write_file_atomic(path, big, NULL));
    size_t len = 0;
    char *t = llmbo_read_file(path, &len, &err);
    CHECK(t && len == 9999 && strcmp(t, big) == 0, "read back the 9999 bytes written");
    llmbo_free(t);
    CHECK(count_tmp(deep) == 0, "no temporary file left beside the target");
    CHECK(llmbo_path_exists(path) && !llmbo_path_exists("/no/such/llmbo/path"), "path_exists");

    /* a regular file where a directory is wanted, and a missing file to read */
    CHECK(llmbo_mkdir_p(path, &err) == LLMBO_ERR_IO && strstr(err.msg, "f.txt"),
          "mkdir -p over a file: %s", err.msg);
    snprintf(path, sizeof path, "%s/missing.json", dir);
    CHECK(!llmbo_read_file(path, NULL, &err) && err.status == LLMBO_ERR_IO &&
              strstr(err.msg, "missing.json: cannot open"),
          "missing file: %s", err.msg);
    snprintf(path, sizeof path, "%s/nodir/x.json", dir);
    CHECK(llmbo_write_file_atomic(path, "{}", &err) == LLMBO_ERR_IO &&
              strstr(err.msg, "nodir/x.json.tmp."),
          "write into a missing directory names the temporary: %s", err.msg);
    snprintf(path, sizeof path, "%s/bad.json", dir);
    CHECK_OK(llmbo_write_file_atomic(path, "{\"a\": [1, 2,]}", NULL));
    CHECK(!llmbo_json_read_file(path, &err) && err.status == LLMBO_ERR_PARSE &&
              strstr(err.msg, "bad.json: invalid JSON near byte"),
          "invalid JSON: %s", err.msg);
    free(big);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "clean up");
}

static void test_getters(void)
{
    cJSON *o = cJSON_Parse("{\"n\": 7, \"f\": 2.5, \"x\": 2.385, \"b\": true, \"s\": \"hi\", "
                           "\"e\": \"\", \"z\": null}");
    llmbo_error err;
    int n = -1, b = -1;
    double f = -1;
    const char *s = NULL;
    char *d = NULL;
    CHECK(llmbo_json_get_int(o, "cfg", "n", 0, 10, &n, NULL) == LLMBO_OK && n == 7, "int 7");
    n = 3;
    CHECK(llmbo_json_get_int(o, "cfg", "absent", 0, 10, &n, NULL) == LLMBO_OK && n == 3,
          "an absent key keeps the default");
    CHECK(llmbo_json_get_int(o, "cfg", "f", 0, 10, &n, &err) == LLMBO_ERR_CONFIG &&
              strcmp(err.msg, "cfg.f: expected a whole number in [0, 10]") == 0 && n == 3,
          "2.5 is not an int: %s", err.msg);
    CHECK(llmbo_json_get_int(o, "cfg", "n", 8, 10, &n, &err) == LLMBO_ERR_CONFIG, "7 < 8");
    CHECK(llmbo_json_get_number(o, "cfg", "x", 0, 3, &f, NULL) == LLMBO_OK && f == 2.385,
          "number 2.385");
    CHECK(llmbo_json_get_number(o, "cfg", "s", 0, 3, &f, &err) == LLMBO_ERR_CONFIG &&
              strcmp(err.msg, "cfg.s: expected a number in [0, 3]") == 0,
          "%s", err.msg);
    CHECK(llmbo_json_get_bool(o, "cfg", "b", &b, NULL) == LLMBO_OK && b == 1, "bool");
    CHECK(llmbo_json_get_bool(o, "cfg", "z", &b, &err) == LLMBO_ERR_CONFIG &&
              strcmp(err.msg, "cfg.z: expected true or false") == 0,
          "%s", err.msg);
    CHECK(llmbo_json_get_string(o, "cfg", "e", &s, NULL) == LLMBO_OK && s && !s[0], "empty ok");
    CHECK(llmbo_json_get_nonempty(o, "cfg", "e", &s, &err) == LLMBO_ERR_CONFIG &&
              strcmp(err.msg, "cfg.e: expected a non-empty string") == 0,
          "%s", err.msg);
    CHECK(llmbo_json_dup_string(o, "cfg", "absent", "dflt", &d, NULL) == LLMBO_OK && d &&
              strcmp(d, "dflt") == 0,
          "dup_string default");
    llmbo_free(d);
    CHECK(llmbo_json_dup_string(o, "cfg", "s", NULL, &d, NULL) == LLMBO_OK && strcmp(d, "hi") == 0,
          "dup_string copy");
    llmbo_free(d);

    static const char *const keys[] = {"n", "f", "x", "b", "s", "e", NULL};
    CHECK(llmbo_json_check_keys(o, "cfg.sub", keys, &err) == LLMBO_ERR_CONFIG &&
              strcmp(err.msg, "cfg.sub: unknown key \"z\"; expected one of n, f, x, b, s, e") == 0,
          "%s", err.msg);
    cJSON *dup = cJSON_Parse("{\"n\": 1, \"f\": 2, \"n\": 3}");
    CHECK(llmbo_json_check_keys(dup, "", keys, &err) == LLMBO_ERR_CONFIG &&
              strcmp(err.msg, "duplicate key \"n\"") == 0,
          "%s", err.msg);
    cJSON_Delete(dup);
    cJSON_Delete(o);
}

/* A table in the shape of the acquisition, design and strategy tables: the name first. */
typedef struct named_row {
    const char *name;
    int payload;
} named_row;

static void test_names(void)
{
    static const named_row rows[] = {{"alpha", 17}, {"be+ta", 23}, {"gamma", 29}};
    static const char *const plain[] = {"kb", "cl_min"};
    const llmbo_names t = LLMBO_NAMES_OF(rows), p = LLMBO_NAMES_OF(plain);
    char buf[64];
    CHECK(t.n == 3 && t.stride == sizeof(named_row) && p.n == 2, "table sizes %d, %d", t.n, p.n);
    CHECK(strcmp(llmbo_names_get(&t, 0), "alpha") == 0 &&
              strcmp(llmbo_names_get(&t, 2), "gamma") == 0 &&
              strcmp(llmbo_names_get(&t, 3), "unknown") == 0 &&
              strcmp(llmbo_names_get(&t, -1), "unknown") == 0 &&
              strcmp(llmbo_names_get(&p, 1), "cl_min") == 0,
          "names by row, \"unknown\" outside");
    CHECK(llmbo_names_parse(&t, "be+ta") == 1 &&
              rows[llmbo_names_parse(&t, "gamma")].payload == 29 &&
              llmbo_names_parse(&t, "Alpha") == -1 && llmbo_names_parse(&t, "alph") == -1 &&
              llmbo_names_parse(&t, NULL) == -1 && llmbo_names_parse(&p, "kb") == 0,
          "parse: exact names only");
    CHECK(strcmp(llmbo_names_list(&t, buf, sizeof buf), "alpha, be+ta, gamma") == 0, "list: %s",
          buf);
    CHECK(strcmp(llmbo_names_list(&t, buf, 10), "alpha, be") == 0, "list cut at 10 bytes: %s", buf);
    buf[0] = 'x';
    CHECK(llmbo_names_list(&t, buf, 0) == buf && buf[0] == 'x', "list into 0 bytes writes nothing");
    static const char *const none[] = {NULL}, *const two[] = {"kb", "cl_min", NULL};
    CHECK(strcmp(llmbo_json_key_list(none, buf, sizeof buf), "") == 0 &&
              strcmp(llmbo_json_key_list(two, buf, sizeof buf), "kb, cl_min") == 0,
          "key lists stop at NULL: \"%s\"", buf);
}

static void test_numbers_and_cost(void)
{
    /* values whose 15-digit rendering reads back differently */
    const double v[] = {
        0.1, 1.0 / 3.0, 2.385, 1e-300, 123456789.123456789, -0.0, 5e-324, 1.7976931348623157e308};
    int exact = 1;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        cJSON *x = llmbo_json_number(v[i]);
        char *t = cJSON_PrintUnformatted(x);
        exact &= strtod(t, NULL) == v[i];
        free(t);
        cJSON_Delete(x);
    }
    CHECK(exact, "every number reads back bit for bit");
    cJSON *x = llmbo_json_number(0.1);
    char *t = cJSON_PrintUnformatted(x);
    CHECK(strcmp(t, "0.1") == 0, "shortest exact rendering: %s", t);
    free(t);
    cJSON_Delete(x);
    x = llmbo_json_number(NAN);
    CHECK(cJSON_IsNull(x), "NaN becomes null");
    cJSON_Delete(x);

    llmbo_cost c = {.calls = 13,
                    .retries = 2,
                    .prompt_tokens = 123457,
                    .completion_tokens = 2385,
                    .reasoning_tokens = 77,
                    .cached_tokens = 1000,
                    .dollars = 0.1 + 0.2,
                    .seconds = 1.0 / 3.0,
                    .cpu_seconds = 2.385e-3,
                    .cpu_dollars = 1e-9,
                    .valid = 11,
                    .repaired = 1,
                    .fallback = 1,
                    .errors = 1};
    cJSON *j = llmbo_cost_to_json(&c);
    char *txt = cJSON_PrintUnformatted(j);
    cJSON *back = cJSON_Parse(txt);
    llmbo_cost r;
    llmbo_cost_from_json(back, &r);
    CHECK(memcmp(&r, &c, sizeof c) == 0, "cost record round trip is exact: %s", txt);
    CHECK(strstr(txt, "{\"calls\":13,\"retries\":2,\"prompt_tokens\":123457,") == txt,
          "keys in the documented order");
    free(txt);
    cJSON_Delete(back);
    cJSON_Delete(j);
    llmbo_cost_from_json(NULL, &r);
    CHECK(r.calls == 0 && r.dollars == 0, "a missing record reads as zero cost");
}

/* A journal line parsed back and printed again (asked.jsonl rewritten on resume): cJSON's own
 * printing gives 0.632478534244001 for 0.6324785342440009, another double. */
static void test_exact_numbers(void)
{
    const char *text = "{\"id\":31,\"xv\":[0.6324785342440009,0.9523438438773155,2.385],"
                       "\"x\":{\"x1\":0.6324785342440009,\"s\":\"0.1\"},\"told\":[],"
                       "\"deep\":[[1e-300,{\"d\":-0.1324785342440009}]],\"t\":true,"
                       "\"n\":null,\"last\":0.21863758843392134}";
    cJSON *lossy = cJSON_Parse(text), *o = cJSON_Parse(text);
    char *l = cJSON_PrintUnformatted(lossy);
    CHECK(strstr(l, "0.632478534244001,") != NULL, "cJSON alone prints a parsed number lossily: %s",
          l);
    CHECK(llmbo_json_exact_numbers(o) == 1, "exact_numbers succeeds");
    char *t = cJSON_PrintUnformatted(o);
    cJSON *back = cJSON_Parse(t);
    /* Every number of the printing reads back as the double the original text reads as (strtod),
     * and everything else is unchanged. */
    const char *want[] = {
        "31",     "0.6324785342440009",  "0.9523438438773155", "2.385", "0.6324785342440009",
        "1e-300", "-0.1324785342440009", "0.21863758843392134"};
    const cJSON *got[] = {
        cJSON_GetObjectItem(back, "id"),
        cJSON_GetArrayItem(cJSON_GetObjectItem(back, "xv"), 0),
        cJSON_GetArrayItem(cJSON_GetObjectItem(back, "xv"), 1),
        cJSON_GetArrayItem(cJSON_GetObjectItem(back, "xv"), 2),
        cJSON_GetObjectItem(cJSON_GetObjectItem(back, "x"), "x1"),
        cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(back, "deep"), 0), 0),
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(back, "deep"), 0), 1), "d"),
        cJSON_GetObjectItem(back, "last")};
    int exact = 1;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        exact &= cJSON_IsNumber(got[i]) && got[i]->valuedouble == strtod(want[i], NULL);
    CHECK(exact, "every number reads back bit for bit, keys kept: %s", t);
    const char *expect = "{\"id\":31,\"xv\":[0.6324785342440009,0.9523438438773155,2.385],"
                         "\"x\":{\"x1\":0.6324785342440009,\"s\":\"0.1\"},\"told\":[],"
                         "\"deep\":[[1e-300,{\"d\":-0.1324785342440009}]],\"t\":true,"
                         "\"n\":null,\"last\":0.21863758843392134}";
    CHECK(strcmp(t, expect) == 0, "the printing is the original text (exact printing wrote it)");
    free(l);
    free(t);
    cJSON_Delete(lossy);
    cJSON_Delete(o);
    cJSON_Delete(back);
    CHECK(llmbo_json_exact_numbers(NULL) == 1, "NULL tree: nothing to do");
}

int main(void)
{
    test_strbuf();
    test_fileio();
    test_getters();
    test_names();
    test_numbers_and_cost();
    test_exact_numbers();
    return check_summary();
}
