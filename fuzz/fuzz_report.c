/* fuzz_report.c: the run directories `llmbo report` reads. The input is one run's summary.json,
 * a NUL byte, then its journal.jsonl; the harness places it beside a fixed, valid run of another
 * strategy and generates the report (Markdown, CSV, SVG plots). */
#include <sys/stat.h>
#include "fuzz.h"
#include "report.h"

static const char good_summary[] =
    "{\"llmbo_version\": \"0.1.0\", \"name\": null, \"objective\": \"branin\", \"strategy\": "
    "\"gp\", \"acquisition\": \"logei\", \"model\": null, \"seed\": 0, \"budget\": 2, "
    "\"evaluations\": 2, \"failed\": 0, \"maximize\": false, \"optimal_value\": "
    "0.3978873577297384, \"best_y\": 2.5, \"best_x\": {\"x1\": 1, \"x2\": 2}, \"best_xv\": [1, 2], "
    "\"final_regret\": 2.1, \"wall_seconds\": 0.5, \"advisor\": {\"calls\": 0, \"dollars\": 0}, "
    "\"complete\": true}\n";
static const char good_journal[] =
    "{\"iter\":0,\"id\":0,\"x\":{\"x1\":1,\"x2\":2},\"xv\":[1,2],\"y\":3.5,\"status\":\"ok\","
    "\"error\":null,\"source\":\"init\",\"best\":3.5,\"regret\":3.1,\"t_eval\":0.1,\"t_wall\":0.2,"
    "\"advisor\":{\"calls\":0,\"dollars\":0},\"theta\":null}\n"
    "{\"iter\":1,\"id\":1,\"x\":{\"x1\":1,\"x2\":2.5},\"xv\":[1,2.5],\"y\":2.5,\"status\":\"ok\","
    "\"error\":null,\"source\":\"gp\",\"best\":2.5,\"regret\":2.1,\"t_eval\":0.1,\"t_wall\":0.4,"
    "\"advisor\":{\"calls\":0,\"dollars\":0},\"theta\":null}\n";

static void mk(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0700);
            *p = '/';
        }
    mkdir(buf, 0700);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *scratch = fuzz_scratch();
    char bench[400], a[512], b[512];
    snprintf(bench, sizeof bench, "%s/bench", scratch);
    snprintf(a, sizeof a, "%s/runs/branin/gp/seed-0", bench);
    snprintf(b, sizeof b, "%s/runs/branin/random/seed-0", bench);
    mk(a);
    mk(b);
    fuzz_write(0, a, "summary.json", good_summary, sizeof good_summary - 1);
    fuzz_write(1, a, "journal.jsonl", good_journal, sizeof good_journal - 1);
    const uint8_t *nul = memchr(data, 0, size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    fuzz_write(2, b, "summary.json", data, n1);
    fuzz_write(3, b, "journal.jsonl", nul ? nul + 1 : data, nul ? size - n1 - 1 : 0);
    llmbo_report_options opt;
    llmbo_report_options_default(&opt);
    opt.png = 0;
    opt.quiet = 1;
    llmbo_error err;
    llmbo_report_generate(bench, &opt, &err);
    return 0;
}
