/* fuzz_journal.c: a run's journal.jsonl on `llmbo run --resume`: read, checked line by line,
 * replayed into the loop, and the run finished (a 6-evaluation random search on branin, so a
 * resumed run is cheap). */
#include <sys/stat.h>
#include "fuzz.h"
#include "run.h"

static const char config[] = "{\"objective\": \"branin\", \"budget\": 6, \"strategy\": \"random\", "
                             "\"seed\": 3}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *scratch = fuzz_scratch();
    char dir[400];
    snprintf(dir, sizeof dir, "%s/run", scratch);
    mkdir(dir, 0700);
    char path[512];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/asked.jsonl", dir); /* the journal alone: made up from it */
    remove(path);
    fuzz_write(0, dir, "config.json", config, sizeof config - 1);
    fuzz_write(1, dir, "journal.jsonl", data, size);
    llmbo_run_args a;
    memset(&a, 0, sizeof a);
    a.resume_dir = dir;
    int user_error = 0;
    llmbo_error err;
    llmbo_run_exec(&a, &user_error, &err);
    return 0;
}
