/* test_report.c: bench aggregation against hand-computed values. The statistics (type-7
 * quantiles, average ranks with ties, Pareto fronts, normalised log-regret AUC) are checked on
 * small inputs, then a synthetic bench directory (3 strategies x 2 objectives x 4 seeds, journals
 * written here with chosen regret curves) goes through llmbo_report_generate and summary.csv is
 * compared with values worked out by hand in the comments. Bench configs: parsing, errors with
 * key paths, cell configs and shards. The SVG files are parsed by Python's XML parser when
 * LLMBO_PYTHON is set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>
#include "check.h"
#include "llmbo_common.h"
#include "grid.h"
#include "report.h"
#include "svg.h"
#include "utf8.h"

static void test_quantiles(void)
{
    double v[4] = {4.0, 1.0, 3.0, 2.0};
    llmbo_sort_doubles(v, 4);
    CHECK(v[0] == 1.0 && v[3] == 4.0, "sorted");
    CHECK_NEAR(llmbo_quantile_sorted(v, 4, 0.5), 2.5, 0, 1e-15);
    CHECK_NEAR(llmbo_quantile_sorted(v, 4, 0.25), 1.75, 0, 1e-15);
    CHECK_NEAR(llmbo_quantile_sorted(v, 4, 0.75), 3.25, 0, 1e-15);
    CHECK_NEAR(llmbo_quantile_sorted(v, 4, 0.0), 1.0, 0, 0);
    CHECK_NEAR(llmbo_quantile_sorted(v, 4, 1.0), 4.0, 0, 0);
    double one = 2.385;
    CHECK_NEAR(llmbo_quantile_sorted(&one, 1, 0.25), 2.385, 0, 0);
    CHECK(isnan(llmbo_quantile_sorted(v, 0, 0.5)), "empty -> NaN");
    /* five values: h = 4 * 0.25 = 1 exactly: the second order statistic */
    double w[5] = {0.1, 0.7, 2.9, 3.3, 10.0};
    CHECK_NEAR(llmbo_quantile_sorted(w, 5, 0.25), 0.7, 0, 1e-15);
    CHECK_NEAR(llmbo_quantile_sorted(w, 5, 0.6), 2.9 + 0.4 * 0.4, 1e-14, 0);
    /* infinity (a run with no successful evaluation) counts as worst */
    double x[4] = {1.0, 2.0, INFINITY, INFINITY};
    CHECK(llmbo_quantile_sorted(x, 4, 0.5) == INFINITY, "median with two infinities is inf");
    CHECK_NEAR(llmbo_quantile_sorted(x, 4, 0.25), 1.75, 0, 1e-15);
    double y[3] = {NAN, 2.0, INFINITY};
    llmbo_sort_doubles(y, 3);
    CHECK(y[0] == 2.0 && isinf(y[1]) && isnan(y[2]), "NaN sorts last");
}

static void test_ranks(void)
{
    double v[5] = {0.3, 0.1, 0.3, NAN, 0.05};
    double r[5];
    llmbo_average_ranks(v, 5, r);
    CHECK_NEAR(r[4], 1.0, 0, 0);
    CHECK_NEAR(r[1], 2.0, 0, 0);
    CHECK_NEAR(r[0], 3.5, 0, 0); /* tie over ranks 3 and 4 */
    CHECK_NEAR(r[2], 3.5, 0, 0);
    CHECK(isnan(r[3]), "NaN gets no rank");
    double t[3] = {7.0, 7.0, 7.0};
    llmbo_average_ranks(t, 3, r);
    CHECK(r[0] == 2.0 && r[1] == 2.0 && r[2] == 2.0, "three-way tie: rank 2 each");
}

static void test_pareto(void)
{
    /* points (cost, regret): a (0, 0.5) b (0, 0.2) c (1, 0.1) d (2, 0.1) e (3, 0.01) f (3, 0.01)
     * g (0.5, NaN). b beats a (same cost, less regret); c beats d (same regret, cheaper); e and f
     * tie exactly and neither dominates the other. Front: b, c, e, f. */
    double cost[7] = {0, 0, 1, 2, 3, 3, 0.5};
    double reg[7] = {0.5, 0.2, 0.1, 0.1, 0.01, 0.01, NAN};
    int f[7];
    int n = llmbo_pareto_front(cost, reg, 7, f);
    CHECK(n == 4, "front size %d == 4", n);
    CHECK(!f[0] && f[1] && f[2] && !f[3] && f[4] && f[5] && !f[6],
          "front membership a..g = %d%d%d%d%d%d%d", f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
}

static void test_auc(void)
{
    /* r_ref 1: terms 1, 7/8, 6/8, 4/8 -> 25/32 */
    double r[4] = {1.0, 0.1, 0.01, 1e-4};
    CHECK_NEAR(llmbo_log_regret_auc(r, 4, 1.0), 25.0 / 32.0, 1e-14, 0);
    /* clamps: above r_ref counts 1, below 1e-8 r_ref and exact zero count 0, NaN counts 1 */
    double s[4] = {100.0, 1e-12, 0.0, NAN};
    CHECK_NEAR(llmbo_log_regret_auc(s, 4, 1.0), 0.5, 1e-14, 0);
    /* scale invariance: the same curve times 2.385 with r_ref times 2.385 */
    double u[4];
    for (int i = 0; i < 4; i++)
        u[i] = 2.385 * r[i];
    CHECK_NEAR(llmbo_log_regret_auc(u, 4, 2.385), 25.0 / 32.0, 1e-13, 0);
    CHECK(isnan(llmbo_log_regret_auc(r, 4, 0.0)), "r_ref 0 -> NaN");
    CHECK(isnan(llmbo_log_regret_auc(r, 0, 1.0)), "n 0 -> NaN");
}

static void test_ticks(void)
{
    double t[64], step;
    int n = llmbo_nice_ticks(0.0, 30.0, 8, t, &step);
    CHECK(step == 5.0 && n == 7 && t[0] == 0.0 && t[6] == 30.0, "ticks 0..30 by %g (%d)", step, n);
    n = llmbo_nice_ticks(0.013, 0.087, 6, t, &step);
    CHECK(fabs(step - 0.02) < 1e-15 && n <= 6 && t[0] <= 0.013 && t[n - 1] >= 0.087,
          "ticks 0.013..0.087: step %g, %d ticks from %g to %g", step, n, t[0], t[n - 1]);
}

/* ---- synthetic bench directory ---- */

static char tmpdir[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

typedef struct run_spec {
    const double *best;   /* (4) best-so-far values */
    const double *regret; /* (4) or NULL when the optimum is unknown */
    int maximize;
    double dollars;
    long calls, prompt, completion;
} run_spec;

static void write_run(const char *obj, const char *strat, int seed, const run_spec *rs,
                      int with_summary, int truncate_tail)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/runs/%s/%s/seed-%d", tmpdir, obj, strat, seed);
    llmbo_error err;
    CHECK_OK(llmbo_mkdir_p(dir, &err));
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 4; i++) {
        /* the advisor's cost grows linearly to its final value */
        double frac = (i + 1) / 4.0;
        char reg[64];
        if (rs->regret)
            snprintf(reg, sizeof reg, "%.17g", rs->regret[i]);
        else
            snprintf(reg, sizeof reg, "null");
        fprintf(f,
                "{\"iter\":%d,\"id\":%d,\"x\":{\"x0\":0.5},\"xv\":[0.5],\"y\":%.17g,\"status\":"
                "\"ok\",\"error\":null,\"source\":\"%s\",\"best\":%.17g,\"regret\":%s,"
                "\"t_eval\":0.25,\"t_wall\":%d.5,\"advisor\":{\"calls\":%ld,\"retries\":0,"
                "\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"reasoning_tokens\":0,"
                "\"cached_tokens\":0,\"dollars\":%.17g,\"seconds\":1.5,\"cpu_seconds\":0,"
                "\"cpu_dollars\":0,\"valid\":%ld,\"repaired\":0,\"fallback\":0,\"errors\":0}}",
                i, i, rs->best[i], i ? "gp" : "init", rs->best[i], reg, i, (long)(rs->calls * frac),
                (long)(rs->prompt * frac), (long)(rs->completion * frac), rs->dollars * frac,
                (long)(rs->calls * frac));
        if (!(truncate_tail && i == 3))
            fputc('\n', f);
    }
    fclose(f);
    if (rs->calls > 0) {
        /* the call log's first line names the price source (only it is read) */
        snprintf(path, sizeof path, "%s/advisor.jsonl", dir);
        f = fopen(path, "wb");
        fprintf(f, "{\"call\":0,\"price_source\":\"prices.json (built in): m-1 (read "
                   "2031-07)\"}\n{\"call\":1,\"price_source\":\"other\"}\n");
        fclose(f);
    }
    if (!with_summary)
        return;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    f = fopen(path, "wb");
    fprintf(f,
            "{\"llmbo_version\":\"0.1.0\",\"objective\":\"%s\",\"strategy\":\"gp\",\"seed\":%d,"
            "\"budget\":4,\"evaluations\":4,\"failed\":0,\"maximize\":%s,\"optimal_value\":%s,"
            "\"best_y\":%.17g,\"final_regret\":null,\"wall_seconds\":4.0,\"advisor\":{\"calls\":"
            "%ld,\"retries\":0,\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
            "\"reasoning_tokens\":0,\"cached_tokens\":0,\"dollars\":%.17g,\"seconds\":1.5,"
            "\"cpu_seconds\":0,\"cpu_dollars\":0,\"valid\":%ld,\"repaired\":0,\"fallback\":0,"
            "\"errors\":0},\"complete\":true}\n",
            obj, seed, rs->maximize ? "true" : "false", rs->regret ? "0" : "null", rs->best[3],
            rs->calls, rs->prompt, rs->completion, rs->dollars, rs->calls);
    fclose(f);
}

/* Column value of the row (objective, strategy) in summary.csv; NAN if empty. */
static double csv_get(const char *csv, const char *obj, const char *strat, const char *col)
{
    char head[4096];
    const char *nl = strchr(csv, '\n');
    snprintf(head, sizeof head, "%.*s", (int)(nl - csv), csv);
    int idx = -1, k = 0;
    for (char *tok = strtok(head, ","); tok; tok = strtok(NULL, ","), k++)
        if (strcmp(tok, col) == 0)
            idx = k;
    if (idx < 0)
        return NAN;
    char key[256];
    snprintf(key, sizeof key, "\n%s,%s,", obj, strat);
    const char *row = strstr(csv, key);
    if (!row)
        return NAN;
    row++;
    for (int i = 0; i < idx; i++) {
        row = strchr(row, ',');
        if (!row)
            return NAN;
        row++;
    }
    if (*row == ',' || *row == '\n')
        return NAN;
    return strtod(row, NULL);
}

static char *slurp(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return llmbo_read_file(path, NULL, NULL);
}

static void make_bench_dir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/llmbo_test_report_%ld", (long)getpid());
    llmbo_error err;
    CHECK_OK(llmbo_mkdir_p(tmpdir, &err));
    const char *cfg = "{\"name\": \"synthetic\", \"budget\": 4, \"seeds\": 4,"
                      " \"objectives\": [\"alpha\", {\"objective\": \"beta\"}],"
                      " \"strategies\": [{\"name\": \"A\", \"strategy\": \"random\"},"
                      "  {\"name\": \"B\", \"strategy\": \"gp\", \"acquisition\": \"ei\"},"
                      "  {\"name\": \"C\", \"strategy\": \"gp+llm\", \"advisor\": "
                      "{\"backend\": \"replay\", \"model\": \"m-1\"}}]}";
    cJSON *root = cJSON_Parse(cfg);
    llmbo_bench *b = NULL;
    CHECK_OK(llmbo_bench_parse(root, "synthetic.json", &b, &err));
    cJSON_Delete(root);
    cJSON *m = llmbo_bench_manifest(b);
    char *text = cJSON_Print(m);
    char path[512];
    snprintf(path, sizeof path, "%s/bench.json", tmpdir);
    write_file(path, text);
    cJSON_free(text);
    cJSON_Delete(m);
    llmbo_bench_free(b);

    /* alpha: minimised, optimum 0, regret = best. */
    static const double a_curves[4][4] = {
        {1, .1, .1, .1}, {1, 1, .01, .01}, {1, .1, .001, .001}, {1, 1, 1, 1e-4}};
    static const double b_curve[4] = {1, .5, .5, .5};
    static const double c_curve[4] = {1, 1e-6, 1e-9, 0};
    for (int s = 0; s < 4; s++) {
        run_spec ra = {a_curves[s], a_curves[s], 0, 0, 0, 0, 0};
        run_spec rb = {b_curve, b_curve, 0, 0, 0, 0, 0};
        run_spec rc = {c_curve, c_curve, 0, 0.02, 3, 1000, 200};
        write_run("alpha", "A", s, &ra, 1, 0);
        write_run("alpha", "B", s, &rb, 1, 0);
        write_run("alpha", "C", s, &rc, 1, 0);
    }
    /* beta: maximised, optimum unknown; best over all runs is 7 */
    static const double ab[4] = {1, 3, 5, 5}, bb[4] = {1, 7, 7, 7}, cb[4] = {2, 7, 7, 7};
    for (int s = 0; s < 4; s++) {
        run_spec ra = {ab, NULL, 1, 0, 0, 0, 0};
        run_spec rb = {bb, NULL, 1, 0, 0, 0, 0};
        run_spec rc = {cb, NULL, 1, 0.02, 3, 1000, 200};
        write_run("beta", "A", s, &ra, 1, 0);
        write_run("beta", "B", s, &rb, 1, 0);
        write_run("beta", "C", s, &rc, 1, 0);
    }
}

static void test_report_synthetic(void)
{
    make_bench_dir();
    llmbo_report_options opt;
    llmbo_report_options_default(&opt);
    opt.png = 0;
    opt.quiet = 1;
    llmbo_error err;
    llmbo_error_clear(&err);
    llmbo_status st = llmbo_report_generate(tmpdir, &opt, &err);
    CHECK(st == LLMBO_OK, "report generated: %s", err.msg);
    char *csv = slurp("summary.csv");
    CHECK(csv != NULL, "summary.csv written");
    if (!csv)
        return;
    /* alpha / A: finals .1 .01 .001 1e-4 -> median (0.001+0.01)/2, q25 1e-4 + .75 (1e-3 - 1e-4),
     * q75 0.01 + .25 (0.1 - 0.01) */
    CHECK_NEAR(csv_get(csv, "alpha", "A", "final_median"), 0.0055, 1e-12, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "A", "final_q25"), 7.75e-4, 1e-9, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "A", "final_q75"), 0.0325, 1e-9, 0);
    /* r_ref = 1 (every run starts at regret 1). AUC per seed: 29/32, 28/32, 25/32, 28/32 ->
     * median 28/32, q25 (25 + .75 * 3)/32, q75 (28 + .25)/32 */
    CHECK_NEAR(csv_get(csv, "alpha", "A", "auc_median"), 28.0 / 32, 1e-9, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "A", "auc_q25"), 27.25 / 32, 1e-9, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "A", "auc_q75"), 28.25 / 32, 1e-9, 0);
    /* B: constant 0.5 after the first evaluation: (1 + 3 (1 - log10(2)/8)) / 4 */
    CHECK_NEAR(csv_get(csv, "alpha", "B", "auc_median"), (1 + 3 * (1 - log10(2.0) / 8)) / 4, 1e-9,
               0);
    CHECK_NEAR(csv_get(csv, "alpha", "B", "final_median"), 0.5, 1e-12, 0);
    /* C: 1, 1e-6, 1e-9, 0 -> terms 1, 0.25, 0, 0 */
    CHECK_NEAR(csv_get(csv, "alpha", "C", "auc_median"), 0.3125, 1e-9, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "C", "final_median"), 0.0, 0, 0);
    /* ranks on alpha: C 1, A 2, B 3; Pareto (dollars, regret): A (0, .0055), B (0, .5),
     * C (.02, 0) -> A and C */
    CHECK_NEAR(csv_get(csv, "alpha", "C", "rank"), 1.0, 0, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "A", "rank"), 2.0, 0, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "B", "rank"), 3.0, 0, 0);
    CHECK(csv_get(csv, "alpha", "A", "pareto") == 1 && csv_get(csv, "alpha", "B", "pareto") == 0 &&
              csv_get(csv, "alpha", "C", "pareto") == 1,
          "alpha Pareto front is {A, C}");
    /* beta: gaps to the best value 7: A 6 4 2 2, B 6 0 0 0, C 5 0 0 0; r_ref = 6 */
    CHECK_NEAR(csv_get(csv, "beta", "A", "final_median"), 2.0, 0, 0);
    CHECK_NEAR(csv_get(csv, "beta", "A", "best_median"), 5.0, 0, 0);
    CHECK_NEAR(csv_get(csv, "beta", "A", "auc_median"),
               (1 + (1 + log10(4.0 / 6) / 8) + 2 * (1 + log10(2.0 / 6) / 8)) / 4, 1e-9, 0);
    CHECK_NEAR(csv_get(csv, "beta", "C", "auc_median"), (1 + log10(5.0 / 6) / 8) / 4, 1e-9, 0);
    CHECK_NEAR(csv_get(csv, "beta", "B", "auc_median"), 0.25, 1e-9, 0);
    /* B and C tie at gap 0: rank 1.5 each; A 3 */
    CHECK_NEAR(csv_get(csv, "beta", "B", "rank"), 1.5, 0, 0);
    CHECK_NEAR(csv_get(csv, "beta", "C", "rank"), 1.5, 0, 0);
    CHECK_NEAR(csv_get(csv, "beta", "A", "rank"), 3.0, 0, 0);
    /* Pareto beta: B (0, 0) dominates A (0, 2) and C (.02, 0) */
    CHECK(csv_get(csv, "beta", "A", "pareto") == 0 && csv_get(csv, "beta", "B", "pareto") == 1 &&
              csv_get(csv, "beta", "C", "pareto") == 0,
          "beta Pareto front is {B}");
    /* average ranks: A 2.5, B 2.25, C 1.25; overall front (cost, rank): B (0, 2.25) beats
     * A (0, 2.5); C (.02, 1.25) is the only cheaper-rank trade: {B, C} */
    CHECK_NEAR(csv_get(csv, "beta", "A", "avg_rank"), 2.5, 0, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "B", "avg_rank"), 2.25, 0, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "C", "avg_rank"), 1.25, 0, 0);
    CHECK(csv_get(csv, "alpha", "A", "pareto_overall") == 0 &&
              csv_get(csv, "alpha", "B", "pareto_overall") == 1 &&
              csv_get(csv, "alpha", "C", "pareto_overall") == 1,
          "overall Pareto front is {B, C}");
    /* costs per run from the summaries */
    CHECK_NEAR(csv_get(csv, "alpha", "C", "dollars"), 0.02, 1e-12, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "C", "calls"), 3, 0, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "C", "prompt_tokens"), 1000, 0, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "C", "cost_per_run"), 0.02, 1e-12, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "A", "runs"), 4, 0, 0);
    CHECK(strstr(csv, ",dollars,") != NULL, "cost metric is dollars (some run spent money)");
    llmbo_free(csv);

    char *md = slurp("report.md");
    CHECK(md && strstr(md, "`m-1`") && strstr(md, "`replay`"), "report names model and backend");
    CHECK(md && strstr(md, ": `prices.json (built in): m-1 (read 2031-07)`\n"),
          "report names the price table and its date");
    CHECK(md && strstr(md, "regret-alpha.svg") && strstr(md, "pareto-overall.svg") &&
              strstr(md, "(cost-alpha.svg)") && strstr(md, "(cost-beta.svg)") &&
              strstr(md, "regret against cumulative dollars"),
          "report links the plots, the cost plots on a dollar axis");
    CHECK(md && strstr(md, "| alpha | 4 | 0 (min) | simple regret |"), "alpha's row in inputs");
    CHECK(md && strstr(md, "| beta | 4 | unknown | gap to the best value found |"),
          "beta's row in inputs");
    char *timing = slurp("timing.csv");
    /* objective seconds: 4 evaluations x 0.25 s */
    CHECK(timing && strstr(timing, "alpha,A,4,1,1.5,0,0,4\n"), "timing.csv row of alpha/A%s",
          timing ? "" : " (no file)");
    llmbo_free(timing);

    /* A second report gives the same bytes (nothing depends on time or directory order). */
    CHECK_OK(llmbo_report_generate(tmpdir, &opt, &err));
    char *md2 = slurp("report.md");
    CHECK(md && md2 && strcmp(md, md2) == 0, "report.md is reproducible");
    llmbo_free(md2);
    llmbo_free(md);

    /* The SVGs are well-formed XML (checked by Python's parser when available). */
    const char *py = getenv("LLMBO_PYTHON");
    if (py && *py) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "%s -c \"import sys,glob,os,xml.etree.ElementTree as E; d='%s'; "
                 "fs=sorted(os.path.basename(f) for f in glob.glob(d+'/*.svg')); "
                 "[E.parse(d+'/'+f) for f in fs]; sys.exit(0 if fs==['cost-alpha.svg', "
                 "'cost-beta.svg','pareto-alpha.svg','pareto-beta.svg','pareto-overall.svg',"
                 "'regret-alpha.svg','regret-beta.svg'] else 1)\"",
                 py, tmpdir);
        CHECK(system(cmd) == 0,
              "7 SVG plots parse as XML: regret, pareto and cost (strategy C spent dollars) per "
              "objective, and the overall pareto");
    } else {
        printf("note: LLMBO_PYTHON unset, XML check of the SVGs not run\n");
    }
    char *svg = slurp("regret-alpha.svg");
    CHECK(svg && strstr(svg, "<polygon") && strstr(svg, "<polyline") &&
              strstr(svg, ">evaluations</text>") && strstr(svg, "simple regret"),
          "regret plot has bands, lines and axis labels");
    /* log ticks of a regret axis from 1 down to the floor: 10^0 and a negative power */
    CHECK(svg && strstr(svg, ">1</text>") && strstr(svg, "font-size=\"9.0\">-"),
          "log y ticks with superscript exponents");
    llmbo_free(svg);

    /* An interrupted run: no summary and a journal whose last line was cut. It is listed and
     * left out: alpha/A has 3 runs, and the statistics change accordingly (finals .1 .01 .001
     * -> median .01). */
    static const double a0[4] = {1, .1, .1, .1};
    char path[512];
    snprintf(path, sizeof path, "%s/runs/alpha/A/seed-3/summary.json", tmpdir);
    remove(path);
    static const double a3[4] = {1, 1, 1, 1e-4};
    run_spec r3 = {a3, a3, 0, 0, 0, 0, 0};
    write_run("alpha", "A", 3, &r3, 0, 1);
    (void)a0;
    CHECK_OK(llmbo_report_generate(tmpdir, &opt, &err));
    csv = slurp("summary.csv");
    CHECK_NEAR(csv_get(csv, "alpha", "A", "runs"), 3, 0, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "A", "incomplete"), 1, 0, 0);
    CHECK_NEAR(csv_get(csv, "alpha", "A", "final_median"), 0.01, 1e-12, 0);
    llmbo_free(csv);
    md = slurp("report.md");
    CHECK(md && strstr(md, "runs/alpha/A/seed-3: interrupted"), "interrupted run listed");
    llmbo_free(md);

    /* A corrupt line inside a finished run's journal is an error naming file and line. */
    snprintf(path, sizeof path, "%s/runs/beta/B/seed-2/journal.jsonl", tmpdir);
    FILE *f = fopen(path, "ab");
    fputs("{\"iter\": 4, oops\n", f);
    fclose(f);
    st = llmbo_report_generate(tmpdir, &opt, &err);
    CHECK(st == LLMBO_ERR_FORMAT && strstr(err.msg, "beta/B/seed-2/journal.jsonl: line 5"),
          "corrupt journal: %s", err.msg);

    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0, "cleanup");
}

static void test_bench_config(void)
{
    llmbo_error err;
    llmbo_bench *b = NULL;
    const char *good = "{\"budget\": 20, \"init\": {\"n\": 5}, \"seeds\": [3, 9],"
                       " \"objectives\": [\"branin\", {\"objective\": \"ackley:3\", \"budget\": 40,"
                       " \"init\": {\"design\": \"lhs\"}}],"
                       " \"strategies\": [{\"name\": \"rs\", \"strategy\": \"random\"},"
                       " {\"name\": \"gp-ei\", \"strategy\": \"gp\", \"acquisition\": \"ei\","
                       " \"budget\": 10, \"init\": {\"n\": 7}}]}";
    cJSON *root = cJSON_Parse(good);
    CHECK_OK(llmbo_bench_parse(root, "b.json", &b, &err));
    cJSON_Delete(root);
    if (!b)
        return;
    CHECK(llmbo_bench_n_cells(b) == 8, "2 x 2 x 2 cells");
    CHECK(strcmp(b->obj[1].dir, "ackley-3") == 0, "directory label of ackley:3");
    CHECK(b->obj[0].budget == 20 && b->obj[1].budget == 40, "budgets 20 and 40");
    /* cell 7 = ackley:3 / gp-ei / seed 9: the objective's budget (40) wins over the strategy's
     * (10); init merges key by key: n from the strategy, method from the objective */
    cJSON *c = llmbo_bench_cell_config(b, 7);
    char *txt = cJSON_PrintUnformatted(c);
    CHECK(txt && strcmp(txt, "{\"objective\":\"ackley:3\",\"seed\":9,\"budget\":40,\"init\":"
                             "{\"n\":7,\"design\":\"lhs\"},\"strategy\":\"gp\","
                             "\"acquisition\":\"ei\"}") == 0,
          "cell 7 config: %s", txt ? txt : "(null)");
    cJSON_free(txt);
    cJSON_Delete(c);
    char p[256];
    llmbo_bench_cell_path(b, 7, p, sizeof p);
    CHECK(strcmp(p, "runs/ackley-3/gp-ei/seed-9") == 0, "cell path %s", p);
    llmbo_bench_cell_path(b, 2, p, sizeof p);
    CHECK(strcmp(p, "runs/branin/gp-ei/seed-3") == 0, "cell path %s", p);
    /* shards partition the grid */
    int count[3] = {0, 0, 0}, covered = 0;
    for (int i = 0; i < 8; i++) {
        int in = 0;
        for (int s = 1; s <= 3; s++)
            if (llmbo_bench_cell_in_shard(i, s, 3)) {
                count[s - 1]++;
                in++;
            }
        covered += in == 1;
    }
    CHECK(covered == 8 && count[0] == 3 && count[1] == 3 && count[2] == 2,
          "3 shards partition 8 cells as 3/3/2");
    CHECK(!llmbo_bench_cell_uses_advisor(b, 0), "random uses no advisor");
    llmbo_bench_free(b);

    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"[]", "b.json: expected a JSON object"},
        /* F9: a second "name" leaked the first; duplicate keys are errors as in a run config. */
        {"{\"name\": \"x\", \"name\": \"y\", \"objectives\": [\"branin\"], \"strategies\": "
         "[{\"name\": \"a\"}], \"seeds\": 2}",
         "b.json: duplicate key \"name\""},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\"}]}",
         "b.json: seeds: missing"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\"}], \"seeds\": 2, "
         "\"acquisiton\": \"ei\"}",
         "b.json: acquisiton: unknown key"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\", \"acquisiton\": 1}], "
         "\"seeds\": 2}",
         "b.json: strategies[0].acquisiton: unknown key"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a/b\"}], \"seeds\": 2}",
         "b.json: strategies[0].name: \"a/b\" must be non-empty and use only letters, digits, "
         "'.', '_' and '-' (it names a directory)"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\"}, {\"name\": \"a\"}], "
         "\"seeds\": 2}",
         "b.json: strategies[1].name: \"a\" is already the name of strategies[0]"},
        {"{\"objectives\": [\"branin\", \"branin\"], \"strategies\": [{\"name\": \"a\"}], "
         "\"seeds\": 2}",
         "b.json: objectives[1]: objective \"branin\" appears twice (as objectives[0]); give one "
         "a different \"name\""},
        {"{\"objectives\": [{\"objective\": \"branin\", \"budget\": 0}], \"strategies\": "
         "[{\"name\": \"a\"}], \"seeds\": 2}",
         "b.json: objectives[0].budget: expected a positive integer number of evaluations, at "
         "most 10000000"},
        {"{\"objectives\": [{\"objective\": \"branin\", \"seed\": 1}], \"strategies\": "
         "[{\"name\": \"a\"}], \"seeds\": 2}",
         "b.json: objectives[0].seed: not allowed in an objective entry (set it per strategy or "
         "with seeds)"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\"}], \"seeds\": [1, 1]}",
         "b.json: seeds[1]: 1 is already seeds[0]"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\"}], \"seeds\": -2}",
         "b.json: seeds: expected a positive count or a non-empty array of non-negative integers"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\"}], \"seeds\": 2, "
         "\"seed\": 4}",
         "b.json: seed: a bench config uses \"seeds\""},
        {"{\"objectives\": [{\"objective\": {\"command\": \"./f\"}}], \"strategies\": "
         "[{\"name\": \"a\"}], \"seeds\": 2}",
         "b.json: objectives[0].name: required when objective is an object"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\", \"objective\": "
         "\"x\"}], \"seeds\": 2}",
         "b.json: strategies[0].objective: not allowed in a strategy (objectives and seeds are "
         "the grid's other axes)"},
        {"{\"objectives\": [\"branin\"], \"strategies\": [{\"name\": \"a\"}], \"seeds\": 2, "
         "\"advisor_concurrency\": 1.5}",
         "b.json: advisor_concurrency: expected a non-negative integer (0: no limit)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        root = cJSON_Parse(bad[i].json);
        llmbo_error_clear(&err);
        llmbo_status st = llmbo_bench_parse(root, "b.json", &b, &err);
        CHECK(st == LLMBO_ERR_CONFIG && b == NULL && strcmp(err.msg, bad[i].msg) == 0,
              "bad config %zu: \"%s\"", i, err.msg);
        cJSON_Delete(root);
    }
}

/* Whole-grid validation with the checks of `llmbo run` and of the objectives, before any run. */
static void test_bench_validate(void)
{
    static const struct {
        const char *json, *prefix, *detail;
    } cases[] = {
        {"{\"seeds\": 1, \"budget\": 10, \"objectives\": [\"brannin\"], \"strategies\": "
         "[{\"name\": \"a\", \"strategy\": \"random\"}]}",
         "v.json: objectives[0] (brannin): objective: ", "brannin"},
        {"{\"seeds\": 1, \"budget\": 10, \"objectives\": [\"branin\"], \"strategies\": "
         "[{\"name\": \"a\", \"gp\": {\"kernl\": \"se\"}}]}",
         "v.json: run config of objective branin, strategy a: gp: ", "kernl"},
        {"{\"seeds\": 1, \"budget\": 10, \"objectives\": [{\"objective\": {\"name\": "
         "\"ackley\", \"dim\": 4}}], \"strategies\": [{\"name\": \"a\", \"strategy\": "
         "\"random\", \"advisor\": {\"backend\": \"replay\"}}]}",
         "v.json: run config of objective ackley:4, strategy a: advisor: ", "random"},
        {"{\"seeds\": 1, \"objectives\": [\"branin\"], \"strategies\": [{\"name\": "
         "\"a\"}]}",
         "v.json: run config of objective branin, strategy a: budget: ", "missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *root = cJSON_Parse(cases[i].json);
        llmbo_bench *b = NULL;
        llmbo_error err;
        llmbo_error_clear(&err);
        llmbo_status st = llmbo_bench_parse(root, "v.json", &b, &err);
        CHECK(st == LLMBO_OK, "case %zu parses: %s", i, err.msg);
        if (b) {
            st = llmbo_bench_validate(b, "v.json", &err);
            CHECK(st == LLMBO_ERR_CONFIG &&
                      strncmp(err.msg, cases[i].prefix, strlen(cases[i].prefix)) == 0 &&
                      strstr(err.msg + strlen(cases[i].prefix), cases[i].detail),
                  "validation %zu: \"%s\"", i, err.msg);
        }
        llmbo_bench_free(b);
        cJSON_Delete(root);
    }
    const char *good = "{\"seeds\": 2, \"budget\": 10, \"objectives\": [\"branin\", "
                       "{\"objective\": {\"name\": \"ackley\", \"dim\": 3}}], \"strategies\": "
                       "[{\"name\": \"rs\", \"strategy\": \"random\"}, {\"name\": \"g\", "
                       "\"strategy\": \"gp\", \"acquisition\": \"ucb\"}]}";
    cJSON *root = cJSON_Parse(good);
    llmbo_bench *b = NULL;
    llmbo_error err;
    CHECK_OK(llmbo_bench_parse(root, "v.json", &b, &err));
    if (b) {
        CHECK(strcmp(b->obj[1].name, "ackley:3") == 0 && strcmp(b->obj[1].dir, "ackley-3") == 0,
              "objective object named %s", b->obj[1].name);
        CHECK_OK(llmbo_bench_validate(b, "v.json", &err));
    }
    llmbo_bench_free(b);
    cJSON_Delete(root);
}

static void test_alloc_failures(void)
{
#ifdef LLMBO_TESTING
    /* Every allocation of parsing and manifest writing may fail: no crash, no leak, a NOMEM. */
    const char *cfg = "{\"seeds\": 3, \"objectives\": [\"branin\", {\"objective\": \"ackley:3\","
                      " \"budget\": 40}], \"strategies\": [{\"name\": \"rs\", \"strategy\":"
                      " \"random\"}]}";
    cJSON *root = cJSON_Parse(cfg);
    int fails = 0, ok = 0;
    for (long k = 1; k < 200; k++) {
        llmbo_bench *b = NULL;
        llmbo_error err;
        llmbo_test_fail_after(k);
        llmbo_status st = llmbo_bench_parse(root, "b.json", &b, &err);
        llmbo_test_fail_after(0);
        if (st == LLMBO_OK) {
            ok = 1;
            llmbo_bench_free(b);
            break;
        }
        fails += st == LLMBO_ERR_NOMEM;
    }
    cJSON_Delete(root);
    CHECK(ok && fails > 3, "allocation-failure sweep of bench parsing (%d failures, then ok)",
          fails);
#endif
}

/* F10 of issue 12: invalid UTF-8 in an objective's display name made the SVGs ill-formed XML.
 * Stray bytes and forbidden control characters become U+FFFD; the XML specials are escaped. */
static void test_svg_text_escaping(void)
{
    llmbo_svg *svg = llmbo_svg_create(200, 100);
    if (!svg)
        return;
    llmbo_svg_text(svg, 10, 20, "start", 10, 0, "br\xff\xfein \x01<&>\"\xc3\xa9");
    const char *doc = llmbo_svg_finish(svg);
    CHECK(doc && llmbo_utf8_valid(doc, strlen(doc)) &&
              strstr(doc, "br\xEF\xBF\xBD\xEF\xBF\xBDin \xEF\xBF\xBD&lt;&amp;&gt;&quot;\xc3\xa9"),
          "SVG text: stray bytes and \\x01 as U+FFFD, specials escaped, UTF-8 kept");
    llmbo_svg_free(svg);
}

/* Label placement: labels of the same point, of points in a row and around a fixed obstacle
 * (a legend) end in boxes that overlap neither each other nor the obstacle and stay inside the
 * frame; checked pairwise from the boxes returned. */
static void test_label_placement(void)
{
    enum { N = 13 };
    llmbo_label l[N + 1];
    for (int pass = 0; pass < 3; pass++) {
        memset(l, 0, sizeof l);
        /* l[0]: a legend box at the top right, an obstacle */
        l[0].bx = 560;
        l[0].by = 48;
        l[0].bw = 150;
        l[0].bh = 80;
        for (int i = 1; i <= N; i++) {
            /* pass 0: all at one point (identical curves ending together); 1: a tight diagonal;
             * 2: under the legend, at the frame's right edge */
            l[i].x = pass == 0 ? 400.25 : pass == 1 ? 300 + 2.385 * i : 735;
            l[i].y = pass == 0 ? 200.5 : pass == 1 ? 150 + 1.5 * i : 90 + 0.5 * i;
            l[i].w = 6.6 * (3 + i % 7);
            l[i].h = 14;
        }
        int bad = llmbo_labels_place(l, 1, N + 1, 80, 42, 734, 422);
        int overlaps = 0, outside = 0;
        for (int i = 1; i <= N; i++) {
            outside +=
                l[i].bx < 80 || l[i].bx + l[i].bw > 734 || l[i].by < 42 || l[i].by + l[i].bh > 422;
            for (int j = 0; j < i; j++)
                overlaps += l[i].bx < l[j].bx + l[j].bw && l[j].bx < l[i].bx + l[i].bw &&
                            l[i].by < l[j].by + l[j].bh && l[j].by < l[i].by + l[i].bh;
        }
        CHECK(bad == 0 && overlaps == 0 && outside == 0,
              "labels pass %d: %d unplaced, %d overlapping pairs, %d outside the frame", pass, bad,
              overlaps, outside);
    }
}

int main(void)
{
    test_quantiles();
    test_ranks();
    test_pareto();
    test_auc();
    test_ticks();
    test_bench_config();
    test_bench_validate();
    test_report_synthetic();
    test_svg_text_escaping();
    test_label_placement();
    test_alloc_failures();
    return check_summary();
}
