/* prompt.c: the advisor's prompts. A prompt is a template with named placeholders ({{history}},
 * {{candidates}}, ...) filled from the plain advice request: the problem description, each
 * parameter (name, type, bounds, unit, description), the history in original units (all, or the
 * best/latest N) with numbers at a fixed number of significant digits, the best value so far,
 * the remaining budget, and the answer format. Built-in templates can be replaced by files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llmbo_common.h"
#include "llm_impl.h"

static const char builtin_system[] =
    "You advise a Bayesian optimisation loop that searches for the best value of an expensive "
    "black-box function. Use what the problem description tells you about the function, the "
    "evaluations so far and the remaining budget. Reply with a single JSON object in the "
    "requested format; any reasoning must come before it.";

#define COMMON_HEAD                                                                                \
    "{{problem}}\n\nGoal: {{goal}} the objective.\n\nParameters ({{dim}}):\n{{parameters}}\n\n"
#define COMMON_HIST                                                                                \
    "Evaluations so far ({{history_note}}):\n{{history}}\n\nBest so far: {{best}}\nBudget: "       \
    "{{iteration}} of {{budget}} evaluations used, {{remaining}} remaining.\n\n"

static const char builtin_rank[] = COMMON_HEAD COMMON_HIST
    "A Gaussian-process model suggests these {{n_candidates}} candidates. For each it gives its "
    "predicted mean and standard deviation of the objective and the acquisition value (larger "
    "means more promising to the model):\n{{candidates}}\n\n"
    "Task: rank the candidates from most to least promising to evaluate next, using your "
    "understanding of the problem as well as the model's predictions. List at least {{n_want}} of "
    "the candidate indices.\n\n{{answer_format}}\n";

static const char builtin_propose[] = COMMON_HEAD COMMON_HIST
    "Task: propose {{n_want}} new point(s) to evaluate next, chosen to improve on the best value "
    "while balancing exploration and exploitation. Stay within the bounds and do not repeat an "
    "evaluated point.\n\n{{answer_format}}\n";

static const char builtin_pool[] = COMMON_HEAD COMMON_HIST
    "A Gaussian-process model already considers these {{n_candidates}} candidates (predicted "
    "mean, standard deviation, acquisition value):\n{{candidates}}\n\n"
    "Task: propose {{n_want}} further point(s) worth considering. They join the model's "
    "candidates and its acquisition function decides. Stay within the bounds and do not repeat "
    "an evaluated point.\n\n{{answer_format}}\n";

static const char builtin_warmstart[] =
    COMMON_HEAD "Nothing has been evaluated yet; the budget is {{budget}} evaluations.\n\n"
                "Task: propose {{n_want}} initial point(s) to evaluate first: points you expect "
                "to be good, spread out enough to teach a surrogate model about the whole "
                "space.\n\n{{answer_format}}\n";

static const char builtin_repair[] =
    "Your previous answer could not be used: {{error}}\n\nAnswer again with a single JSON "
    "object in the requested format.";

static const char *const placeholders[] = {
    "problem",      "goal",       "dim",          "parameters", "history",
    "history_note", "n_history",  "best",         "iteration",  "budget",
    "remaining",    "candidates", "n_candidates", "n_want",     "answer_format",
    "error",        "mean_step",  "progress",     "step_scale", NULL};

void llmbo_prompt_options_default(llmbo_prompt_options *o)
{
    memset(o, 0, sizeof *o);
    o->history = LLMBO_HISTORY_ALL;
    o->history_n = 30;
    o->digits = 6;
}

const char *llmbo_prompt_builtin_system(void)
{
    return builtin_system;
}

const char *llmbo_prompt_builtin_template(llmbo_advice_mode mode)
{
    switch (mode) {
    case LLMBO_ADVICE_RANK:
        return builtin_rank;
    case LLMBO_ADVICE_PROPOSE:
        return builtin_propose;
    case LLMBO_ADVICE_POOL:
        return builtin_pool;
    case LLMBO_ADVICE_WARMSTART:
        return builtin_warmstart;
    }
    return builtin_propose;
}

const char *llmbo_prompt_builtin_repair(void)
{
    return builtin_repair;
}

llmbo_status llmbo_template_check(const char *text, const char *where, llmbo_error *err)
{
    const char *p = text;
    while ((p = strstr(p, "{{")) != NULL) {
        const char *e = strstr(p + 2, "}}");
        if (!e)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s: \"{{\" at byte %zu is never closed by \"}}\"", where,
                                   (size_t)(p - text));
        size_t n = (size_t)(e - p - 2);
        int known = 0;
        for (int i = 0; placeholders[i] && !known; i++)
            known = strlen(placeholders[i]) == n && strncmp(placeholders[i], p + 2, n) == 0;
        if (!known)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s: unknown placeholder {{%.*s}} at byte %zu (known: problem, "
                                   "goal, dim, parameters, history, history_note, n_history, "
                                   "best, iteration, budget, remaining, candidates, "
                                   "n_candidates, n_want, answer_format, error, mean_step, "
                                   "progress, step_scale)",
                                   where, (int)(n > 40 ? 40 : n), p + 2, (size_t)(p - text));
        p = e + 2;
    }
    return LLMBO_OK;
}

/* ---- text building ----------------------------------------------------------------------- */

static void sb_str(llmbo_strbuf *b, const char *s)
{
    llmbo_strbuf_add(b, s, strlen(s));
}

static void sb_printf(llmbo_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(llmbo_strbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    llmbo_strbuf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A number at the configured significant digits ("%.*g"), with -0 printed as 0. */
static void sb_num(llmbo_strbuf *b, double v, int digits)
{
    if (v == 0)
        v = 0;
    sb_printf(b, "%.*g", digits, v);
}

static void sb_value(llmbo_strbuf *b, const llmbo_param *p, double v, int digits)
{
    if (p->type == LLMBO_PARAM_CATEGORICAL) {
        int c = (int)v;
        if (c >= 0 && c < p->n_choices)
            sb_printf(b, "\"%s\"", p->choices[c]);
        else
            sb_str(b, "?");
    } else if (p->type == LLMBO_PARAM_INTEGER) {
        sb_printf(b, "%.0f", v);
    } else {
        sb_num(b, v, digits);
    }
}

static void sb_point(llmbo_strbuf *b, const llmbo_space *sp, const double *x, int digits)
{
    int d = llmbo_space_dim(sp);
    for (int j = 0; j < d; j++) {
        const llmbo_param *p = llmbo_space_param(sp, j);
        sb_printf(b, "%s%s=", j ? ", " : "", p->name);
        sb_value(b, p, x[j], digits);
    }
}

static void build_parameters(llmbo_strbuf *b, const llmbo_space *sp, int digits)
{
    int d = llmbo_space_dim(sp);
    for (int j = 0; j < d; j++) {
        const llmbo_param *p = llmbo_space_param(sp, j);
        sb_printf(b, "%s- %s: ", j ? "\n" : "", p->name);
        switch (p->type) {
        case LLMBO_PARAM_CATEGORICAL:
            sb_str(b, "categorical, one of ");
            for (int c = 0; c < p->n_choices; c++)
                sb_printf(b, "%s\"%s\"", c ? ", " : "", p->choices[c]);
            break;
        case LLMBO_PARAM_INTEGER:
            sb_printf(b, "integer in [%.0f, %.0f]", p->lo, p->hi);
            break;
        case LLMBO_PARAM_LOG:
            sb_str(b, "continuous (log scale) in [");
            sb_num(b, p->lo, digits);
            sb_str(b, ", ");
            sb_num(b, p->hi, digits);
            sb_str(b, "]");
            break;
        case LLMBO_PARAM_CONTINUOUS:
            sb_str(b, "continuous in [");
            sb_num(b, p->lo, digits);
            sb_str(b, ", ");
            sb_num(b, p->hi, digits);
            sb_str(b, "]");
            break;
        }
        if (p->unit && p->unit[0])
            sb_printf(b, ", unit %s", p->unit);
        if (p->description && p->description[0]) {
            sb_str(b, ". ");
            sb_str(b, p->description);
        }
    }
}

static int better(double a, double b, int maximize)
{
    return maximize ? a > b : a < b;
}

int llmbo_prompt_best_index(const llmbo_advice_request *r)
{
    int bi = -1;
    for (int i = 0; i < r->n_hist; i++) {
        if ((r->hist_failed && r->hist_failed[i]) || !isfinite(r->hist_y[i]))
            continue;
        if (bi < 0 || better(r->hist_y[i], r->hist_y[bi], r->maximize))
            bi = i;
    }
    return bi;
}

typedef struct rank_item {
    int i;
    double y;
    int ok;
    int maximize;
} rank_item;

static int cmp_rank(const void *a, const void *b)
{
    const rank_item *x = a, *y = b;
    if (x->ok != y->ok)
        return x->ok ? -1 : 1;
    if (x->ok && x->y != y->y)
        return better(x->y, y->y, x->maximize) ? -1 : 1;
    return x->i - y->i;
}

/* Marks which history entries are shown; returns the count, or -1 on no memory. */
static int select_history(const llmbo_prompt_options *o, const llmbo_advice_request *r,
                          unsigned char *show)
{
    int n = r->n_hist, k = 0;
    memset(show, 0, (size_t)(n ? n : 1));
    if (o->history == LLMBO_HISTORY_ALL || o->history_n >= n) {
        memset(show, 1, (size_t)n);
        return n;
    }
    if (o->history == LLMBO_HISTORY_LATEST) {
        for (int i = n - o->history_n; i < n; i++)
            show[i] = 1;
        return o->history_n;
    }
    rank_item *it = llmbo_malloc((size_t)n, sizeof *it);
    if (!it)
        return -1;
    for (int i = 0; i < n; i++) {
        it[i].i = i;
        it[i].y = r->hist_y[i];
        it[i].ok = !(r->hist_failed && r->hist_failed[i]) && isfinite(r->hist_y[i]);
        it[i].maximize = r->maximize;
    }
    qsort(it, (size_t)n, sizeof *it, cmp_rank);
    for (; k < o->history_n; k++)
        show[it[k].i] = 1;
    llmbo_free(it);
    return k;
}

static void build_history(llmbo_strbuf *b, llmbo_strbuf *note, const llmbo_prompt_options *o,
                          const llmbo_advice_request *r, const unsigned char *show, int shown)
{
    const llmbo_space *sp = r->space;
    int d = llmbo_space_dim(sp);
    if (r->n_hist == 0)
        sb_str(b, "(none yet)");
    for (int i = 0, first = 1; i < r->n_hist; i++) {
        if (!show[i])
            continue;
        sb_printf(b, "%s#%d: ", first ? "" : "\n", i);
        first = 0;
        sb_point(b, sp, r->hist_x + (size_t)i * (size_t)d, o->digits);
        if ((r->hist_failed && r->hist_failed[i]) || !isfinite(r->hist_y[i]))
            sb_str(b, " -> failed");
        else {
            sb_str(b, " -> y=");
            sb_num(b, r->hist_y[i], o->digits);
        }
    }
    if (shown == r->n_hist)
        sb_printf(note, "all %d", r->n_hist);
    else if (o->history == LLMBO_HISTORY_BEST)
        sb_printf(note, "the %d best of %d, in evaluation order", shown, r->n_hist);
    else
        sb_printf(note, "the latest %d of %d", shown, r->n_hist);
}

/* The mean of the shown successful evaluations in the unit box into m (d); returns how many
 * were averaged (0: m is zero). */
static int shown_mean_unit(const llmbo_advice_request *r, const unsigned char *show, double *m,
                           double *u)
{
    const llmbo_space *sp = r->space;
    int d = llmbo_space_dim(sp), n = 0;
    memset(m, 0, (size_t)d * sizeof *m);
    for (int i = 0; i < r->n_hist; i++) {
        if (!show[i] || (r->hist_failed && r->hist_failed[i]) || !isfinite(r->hist_y[i]))
            continue;
        llmbo_space_to_unit(sp, r->hist_x + (size_t)i * (size_t)d, u);
        for (int j = 0; j < d; j++)
            m[j] += u[j];
        n++;
    }
    for (int j = 0; n && j < d; j++)
        m[j] /= n;
    return n;
}

int llmbo_prompt_mean_unit(const llmbo_prompt_options *o, const llmbo_advice_request *r, double *m)
{
    int d = llmbo_space_dim(r->space);
    unsigned char *show = llmbo_malloc((size_t)(r->n_hist ? r->n_hist : 1), 1);
    double *u = llmbo_malloc((size_t)d, sizeof *u);
    int n = -1;
    if (show && u && select_history(o, r, show) >= 0)
        n = shown_mean_unit(r, show, m, u);
    llmbo_free(show);
    llmbo_free(u);
    return n;
}

/* {{mean_step}}: the mean of the shown successful evaluations as a step from the best point, in
 * fractions of each range (the frame of "answer": "step"/"unit"; log-scale parameters in the
 * logarithm), 4 decimals as a step answer writes them, so that a small model copies a move
 * towards that mean instead of computing it (perf/results/distill.md round 7); with "answer":
 * "anchored" it is the origin a step {"from": "mean", ...} starts from. Integer and categorical
 * parameters show the best point's value, as a step answer keeps them absolute. */
static void build_mean_step(llmbo_strbuf *b, const llmbo_prompt_options *o,
                            const llmbo_advice_request *r, const unsigned char *show)
{
    const llmbo_space *sp = r->space;
    int d = llmbo_space_dim(sp), bi = llmbo_prompt_best_index(r), n = 0;
    if (bi < 0) {
        sb_str(b, "none yet");
        return;
    }
    double *u = llmbo_malloc((size_t)d, sizeof *u), *m = llmbo_calloc((size_t)d, sizeof *m),
           *ub = llmbo_malloc((size_t)d, sizeof *ub);
    if (!u || !m || !ub) {
        b->oom = 1;
        goto done;
    }
    n = shown_mean_unit(r, show, m, u);
    llmbo_space_to_unit(sp, r->hist_x + (size_t)bi * (size_t)d, ub);
    for (int j = 0; j < d; j++) {
        const llmbo_param *p = llmbo_space_param(sp, j);
        sb_printf(b, "%s%s=", j ? ", " : "", p->name);
        if (p->type != LLMBO_PARAM_CONTINUOUS && p->type != LLMBO_PARAM_LOG) {
            sb_value(b, p, r->hist_x[(size_t)bi * (size_t)d + (size_t)j], o->digits);
            continue;
        }
        char t[32];
        snprintf(t, sizeof t, "%.4f", n ? m[j] - ub[j] : 0.0);
        size_t k = strlen(t); /* trailing zeros and point dropped; -0 as 0 */
        while (k > 0 && t[k - 1] == '0')
            t[--k] = 0;
        if (k > 0 && t[k - 1] == '.')
            t[--k] = 0;
        sb_str(b, strcmp(t, "-0") == 0 || k == 0 ? "0" : t);
    }
done:
    llmbo_free(u);
    llmbo_free(m);
    llmbo_free(ub);
}

static void build_candidates(llmbo_strbuf *b, const llmbo_prompt_options *o,
                             const llmbo_advice_request *r)
{
    int d = llmbo_space_dim(r->space);
    for (int i = 0; i < r->n_cand; i++) {
        sb_printf(b, "%s%d: ", i ? "\n" : "", i);
        sb_point(b, r->space, r->cand_x + (size_t)i * (size_t)d, o->digits);
        if (r->cand_mean) {
            sb_str(b, " | mean=");
            sb_num(b, r->cand_mean[i], o->digits);
        }
        if (r->cand_std) {
            sb_str(b, ", std=");
            sb_num(b, r->cand_std[i], o->digits);
        }
        if (r->cand_acq) {
            sb_str(b, ", acq=");
            sb_num(b, r->cand_acq[i], o->digits);
        }
    }
    if (r->n_cand == 0)
        sb_str(b, "(none)");
}

int llmbo_prompt_step_answer(const llmbo_prompt_options *o, const llmbo_advice_request *r)
{
    if (!o->step || r->mode == LLMBO_ADVICE_RANK)
        return 0;
    if (llmbo_prompt_best_index(r) >= 0)
        return r->mode == LLMBO_ADVICE_PROPOSE || r->mode == LLMBO_ADVICE_POOL;
    return o->step >= 2 ? 2 : 0;
}

static void build_answer_format(llmbo_strbuf *b, const llmbo_prompt_options *o,
                                const llmbo_advice_request *r)
{
    if (r->mode == LLMBO_ADVICE_RANK) {
        int need = r->n_want < r->n_cand ? r->n_want : r->n_cand;
        sb_printf(b,
                  "Answer format: a JSON object {\"ranking\": [i, j, ...]} listing candidate "
                  "indices (0 to %d), most promising first, at least %d of them, each at most "
                  "once.",
                  r->n_cand - 1, need < 1 ? 1 : need);
        return;
    }
    int d = llmbo_space_dim(r->space);
    int kind = llmbo_prompt_step_answer(o, r), anchored = kind == 1 && o->step == 3;
    sb_str(b, "Answer format: a JSON object {\"points\": [{");
    if (anchored)
        sb_str(b, "\"from\": \"best\" or \"mean\", ");
    for (int j = 0; j < d; j++) {
        const llmbo_param *p = llmbo_space_param(r->space, j);
        sb_printf(b, "%s\"%s\": ", j ? ", " : "", p->name);
        if (p->type == LLMBO_PARAM_CATEGORICAL)
            sb_printf(b, "\"%s\"", p->n_choices > 0 ? p->choices[0] : "choice");
        else if (p->type == LLMBO_PARAM_INTEGER)
            sb_str(b, "<integer>");
        else
            sb_str(b, "<number>");
    }
    sb_printf(b,
              "}, ...]} with exactly %d point%s. Values must lie within the bounds; integer "
              "parameters take whole numbers and categorical parameters a choice name.",
              r->n_want, r->n_want == 1 ? "" : "s");
    if (kind == 2)
        sb_str(b, " The value of a continuous parameter is not the coordinate itself but its "
                  "position as a fraction of the parameter's range, from 0 (lower bound) to 1 "
                  "(upper bound); log-scale parameters in the logarithm.");
    else if (kind == 1)
        sb_str(b, " The value of a continuous parameter is not the coordinate itself but a step "
                  "from the best point so far, as a fraction of the parameter's range (the point "
                  "evaluated is best + step x (upper - lower); log-scale parameters step in the "
                  "logarithm), such that the point stays within the bounds.");
    if (anchored)
        sb_str(b, " \"from\" names the point the step starts from instead of the best point: "
                  "\"best\", or \"mean\", the mean of the shown evaluations (in the same "
                  "fractions); a point beyond a bound is moved onto it.");
}

typedef struct slot {
    const char *name;
    const char *value;
} slot;

static void render(llmbo_strbuf *out, const char *tmpl, const slot *slots, int n_slots)
{
    const char *p = tmpl;
    for (;;) {
        const char *o = strstr(p, "{{");
        const char *e = o ? strstr(o + 2, "}}") : NULL;
        if (!o || !e) {
            sb_str(out, p);
            return;
        }
        llmbo_strbuf_add(out, p, (size_t)(o - p));
        size_t n = (size_t)(e - o - 2);
        const char *val = NULL;
        for (int i = 0; i < n_slots && !val; i++)
            if (strlen(slots[i].name) == n && strncmp(slots[i].name, o + 2, n) == 0)
                val = slots[i].value;
        if (val)
            sb_str(out, val);
        else
            llmbo_strbuf_add(out, o, (size_t)(e + 2 - o)); /* checked at load time; kept verbatim */
        p = e + 2;
    }
}

llmbo_status llmbo_prompt_build(const llmbo_prompt_options *o, const llmbo_advice_request *r,
                                char **system, char **user, llmbo_error *err)
{
    *system = *user = NULL;
    if (!r->space || llmbo_space_dim(r->space) < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "prompt: the request has no space");
    unsigned char *show = llmbo_malloc((size_t)(r->n_hist ? r->n_hist : 1), 1);
    if (!show)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "prompt: out of memory");
    int shown = select_history(o, r, show);
    llmbo_strbuf params = {0}, hist = {0}, note = {0}, cands = {0}, fmt = {0}, best = {0},
                 mstep = {0}, sys = {0}, usr = {0};
    char dim[16], nh[16], it[16], bud[16], rem[16], nc[16], nw[16], prog[16], sscale[32];
    if (shown >= 0) {
        build_parameters(&params, r->space, o->digits);
        build_history(&hist, &note, o, r, show, shown);
        build_candidates(&cands, o, r);
        build_answer_format(&fmt, o, r);
        build_mean_step(&mstep, o, r, show);
        int bi = llmbo_prompt_best_index(r);
        if (bi < 0)
            sb_str(&best, "none yet");
        else {
            sb_str(&best, "y=");
            sb_num(&best, r->hist_y[bi], o->digits);
            sb_printf(&best, " at #%d (", bi);
            sb_point(&best, r->space, r->hist_x + (size_t)bi * (size_t)llmbo_space_dim(r->space),
                     o->digits);
            sb_str(&best, ")");
        }
        snprintf(dim, sizeof dim, "%d", llmbo_space_dim(r->space));
        snprintf(nh, sizeof nh, "%d", r->n_hist);
        snprintf(it, sizeof it, "%d", r->iteration);
        snprintf(bud, sizeof bud, "%d", r->budget);
        snprintf(rem, sizeof rem, "%d",
                 r->budget - r->iteration > 0 ? r->budget - r->iteration : 0);
        /* {{progress}}: the share of the budget used in whole percent, rounded down, 0-100 */
        long pct = r->budget > 0 ? 100L * r->iteration / r->budget : 100;
        snprintf(prog, sizeof prog, "%ld", pct < 0 ? 0 : pct > 100 ? 100 : pct);
        /* {{step_scale}}: the step scale of distill/policy.py's teacher, scale(used, budget) with
         * its defaults s0 = 0.3, s1 = 0.01: s0 (s1 / s0)^t, t = iteration / max(budget, 1)
         * clipped to [0, 1]; 4 decimals, the precision of the steps the student writes */
        double st = (double)r->iteration / (double)(r->budget > 1 ? r->budget : 1);
        st = st < 0 ? 0 : st > 1 ? 1 : st;
        snprintf(sscale, sizeof sscale, "%.4f", 0.3 * pow(0.01 / 0.3, st));
        snprintf(nc, sizeof nc, "%d", r->n_cand);
        snprintf(nw, sizeof nw, "%d", r->n_want);
        slot slots[] = {
            {"problem", r->problem && r->problem[0]
                            ? r->problem
                            : "The objective is an expensive black-box function of the "
                              "parameters below."},
            {"goal", r->maximize ? "maximise" : "minimise"},
            {"dim", dim},
            {"parameters", params.s ? params.s : ""},
            {"history", hist.s ? hist.s : ""},
            {"history_note", note.s ? note.s : ""},
            {"n_history", nh},
            {"best", best.s ? best.s : ""},
            {"iteration", it},
            {"budget", bud},
            {"remaining", rem},
            {"candidates", cands.s ? cands.s : ""},
            {"n_candidates", nc},
            {"n_want", nw},
            {"answer_format", fmt.s ? fmt.s : ""},
            {"mean_step", mstep.s ? mstep.s : ""},
            {"progress", prog},
            {"step_scale", sscale},
        };
        int ns = (int)(sizeof slots / sizeof slots[0]);
        const char *ut =
            o->templates[r->mode] ? o->templates[r->mode] : llmbo_prompt_builtin_template(r->mode);
        render(&sys, o->system ? o->system : builtin_system, slots, ns);
        render(&usr, ut, slots, ns);
    }
    int oom = shown < 0 || params.oom || hist.oom || note.oom || cands.oom || fmt.oom || best.oom ||
              mstep.oom || sys.oom || usr.oom || !sys.s || !usr.s;
    llmbo_free(show);
    llmbo_free(params.s);
    llmbo_free(hist.s);
    llmbo_free(note.s);
    llmbo_free(cands.s);
    llmbo_free(fmt.s);
    llmbo_free(best.s);
    llmbo_free(mstep.s);
    if (oom) {
        llmbo_free(sys.s);
        llmbo_free(usr.s);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "prompt: out of memory");
    }
    *system = sys.s;
    *user = usr.s;
    return LLMBO_OK;
}

char *llmbo_prompt_repair(const llmbo_prompt_options *o, const char *error)
{
    llmbo_strbuf out = {0};
    slot s[] = {{"error", error}};
    render(&out, o->repair ? o->repair : builtin_repair, s, 1);
    if (out.oom) {
        llmbo_free(out.s);
        return NULL;
    }
    return out.s;
}
