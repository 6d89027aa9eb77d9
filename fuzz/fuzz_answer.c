/* fuzz_answer.c: an LLM's answer text: reasoning blocks cut out, the JSON found, then read as
 * proposed points (in a space of every parameter type, against a history) and as a ranking. */
#include <cJSON.h>
#include "fuzz.h"
#include "llm_impl.h"

static llmbo_space *space;

static llmbo_space *make_space(void)
{
    static const char *const colours[] = {"red", "green", "blue"};
    llmbo_param p[4];
    memset(p, 0, sizeof p);
    p[0].name = "slider";
    p[0].type = LLMBO_PARAM_CONTINUOUS;
    p[0].lo = -5;
    p[0].hi = 10;
    p[1].name = "layers";
    p[1].type = LLMBO_PARAM_INTEGER;
    p[1].lo = 1;
    p[1].hi = 12;
    p[2].name = "colour";
    p[2].type = LLMBO_PARAM_CATEGORICAL;
    p[2].choices = colours;
    p[2].n_choices = 3;
    p[3].name = "lr";
    p[3].type = LLMBO_PARAM_LOG;
    p[3].lo = 1e-5;
    p[3].hi = 1e-1;
    llmbo_space *s = llmbo_space_create();
    for (int i = 0; i < 4; i++)
        if (!s || llmbo_space_add(s, &p[i], NULL) != LLMBO_OK)
            abort();
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!space) {
        fuzz_scratch();
        space = make_space();
    }
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    cJSON *j = NULL;
    char *think = NULL;
    int n_think = 0;
    llmbo_error err;
    llmbo_answer_extract(text, &j, &think, &n_think, &err);
    if (j) {
        static const double hist[] = {1.25, 3, 0, 1e-3, -2.5, 7, 2, 5e-2};
        double x[4 * 5];
        int n_x = 0, n_extra = 0, order[6], n_order = 0;
        llmbo_answer_points(j, space, 5, hist, 2, x, &n_x, &n_extra, &err);
        llmbo_answer_ranking(j, 6, 3, order, &n_order, &err);
    }
    cJSON_Delete(j);
    llmbo_free(think);
    free(text);
    return 0;
}
