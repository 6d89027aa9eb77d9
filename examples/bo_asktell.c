/* bo_asktell.c: driving the BO loop by ask/tell through llmbo.h only, with an LLM advisor. The
 * program stays in control: it asks for a batch of two points, evaluates them itself (here a
 * made-up "yield" of a process with a temperature, a log-scale catalyst amount and an integer
 * number of stages, to be maximised), tells the results back in any order, and reports the best
 * point and what the advisor cost. The advisor ranks the GP's top candidates; by default it is a
 * replay of recorded answers (examples/advisors/cassettes/asktell-rank.jsonl, recorded against
 * llmbo's scripted test server, not a real LLM), so the program runs offline from the source
 * tree. Any advisor object may be given instead as the first argument, e.g.
 *   example_bo_asktell '{"backend": "openai", "model": "gpt-4o-mini", "mode": "rank"}'
 * Build: cc bo_asktell.c $(pkg-config --cflags --libs llmbo). */
#include <math.h>
#include <stdio.h>
#include "llmbo.h"

/* The user's own evaluation; fails (returns 0) in a corner, as real experiments do. */
static int yield(const double *x, double *y)
{
    double t = x[0], c = log10(x[1]), stages = x[2];
    if (t > 95 && c > -1)
        return 0; /* the reactor trips */
    *y = 80 * exp(-pow((t - 72) / 15, 2) - pow(c + 2.2, 2)) + 3 * stages - 0.4 * stages * stages;
    return 1;
}

static const char *const replay_advisor =
    "{\"backend\": \"replay\", \"cassette\": \"examples/advisors/cassettes/asktell-rank.jsonl\", "
    "\"model\": \"loopback-ranker\", \"mode\": \"rank\", \"n_candidates\": 4, "
    "\"price\": {\"input\": 0.15, \"output\": 0.6}}";

int main(int argc, char **argv)
{
    llmbo_error err;
    if (llmbo_init() != LLMBO_OK)
        return 1;
    llmbo_advisor *adv = NULL;
    if (llmbo_advisor_create_json(argc > 1 ? argv[1] : replay_advisor, "advisor", NULL, &adv,
                                  &err) != LLMBO_OK ||
        llmbo_advisor_preflight(adv, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    llmbo_space *space = llmbo_space_create();
    llmbo_param p[3] = {
        {"temperature", LLMBO_PARAM_CONTINUOUS, 20, 100, 0, NULL, "degC", "reactor temperature"},
        {"catalyst", LLMBO_PARAM_LOG, 1e-4, 1, 0, NULL, "mol/L", "catalyst concentration"},
        {"stages", LLMBO_PARAM_INTEGER, 1, 8, 0, NULL, NULL, "number of stages"},
    };
    for (int i = 0; i < 3; i++)
        if (llmbo_space_add(space, &p[i], &err) != LLMBO_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }

    llmbo_bo_options opt;
    llmbo_bo_options_default(&opt);
    opt.maximize = 1;
    opt.budget = 30;
    opt.seed = 42;
    llmbo_advisor_get_hook(adv, &opt.advisor); /* consulted as the schedule says */
    llmbo_advisor_get_schedule(adv, &opt.schedule);
    llmbo_bo *bo = NULL;
    if (llmbo_bo_create(space, &opt, &bo, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    llmbo_space_free(space); /* the loop keeps its own copy */

    for (int round = 0; round < 15; round++) {
        int64_t ids[2];
        double X[2 * 3];
        llmbo_source src[2];
        if (llmbo_bo_ask(bo, 2, ids, X, src, &err) != LLMBO_OK) {
            fprintf(stderr, "ask: %s\n", err.msg);
            break;
        }
        /* Tell the second point first: results may come back in any order. */
        for (int k = 1; k >= 0; k--) {
            double y = 0;
            int ok = yield(X + 3 * k, &y);
            llmbo_bo_tell(bo, ids[k], y, !ok, &err);
            printf("%2lld %-6s T=%6.2f c=%.2e n=%g -> %s%.3f\n", (long long)ids[k],
                   llmbo_source_name(src[k]), X[3 * k], X[3 * k + 1], X[3 * k + 2],
                   ok ? "" : "failed ", ok ? y : 0.0);
        }
    }
    double best[3], y;
    if (llmbo_bo_best(bo, best, &y, NULL) == LLMBO_OK)
        printf("best %.4f at T=%.2f c=%.3e n=%g (%ld evaluations, %ld failed)\n", y, best[0],
               best[1], best[2], llmbo_bo_n_told(bo), llmbo_bo_n_failed(bo));
    llmbo_cost c;
    llmbo_advisor_get_cost(adv, &c);
    printf("advisor %s (%s): %ld calls, %ld prompt + %ld completion tokens, $%.6f; %ld valid, "
           "%ld repaired, %ld fallbacks, %ld errors\n",
           llmbo_advisor_model(adv), llmbo_advisor_backend_name(adv), c.calls, c.prompt_tokens,
           c.completion_tokens, c.dollars, c.valid, c.repaired, c.fallback, c.errors);
    llmbo_bo_free(bo);
    llmbo_advisor_free(adv); /* after the loop that uses its hook */
    return 0;
}
