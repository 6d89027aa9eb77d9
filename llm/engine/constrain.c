/* constrain.c: the answer automaton. The format is compiled into a list of segments, literals and
 * number slots; the state walks them byte by byte. A number prefix is accepted only if some
 * completion within the length limits lands in the slot's bounds: with k more integer digits the
 * reachable magnitudes of prefix I form [I*10^k, (I+1)*10^k - g] (g the last fraction step), after
 * the point [V, V + 10^-nF - g]; the prefix is viable if one of these intervals meets the bounds on
 * the grid of step g (and, for rankings, holds an index not used yet). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "constrain.h"
#include "strbuf.h"
#include "llmbo_common.h"

#define MAX_FRAC 6

typedef struct seg {
    int is_num;
    char *text; /* literal */
    size_t len;
    double lo, hi; /* number slot */
    int integer, rank, max_int, max_frac;
    char **choice; /* (n_choice) JSON string literals of a categorical slot, quotes included */
    int n_choice;
} seg;

struct llmbo_cons {
    seg *segs;
    int n_segs;
};

/* ----------------------------------------------------------------------------------------------
 * Building the segment list
 * -------------------------------------------------------------------------------------------- */

/* A JSON string literal with quotes, escaping what JSON requires. */
static void sb_json_string(llmbo_strbuf *b, const char *s)
{
    llmbo_strbuf_puts(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            llmbo_strbuf_add(b, esc, 2);
        } else if (ch < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            llmbo_strbuf_add(b, esc, 6);
        } else {
            llmbo_strbuf_add(b, (const char *)&ch, 1);
        }
    }
    llmbo_strbuf_puts(b, "\"");
}

static int digits_of(double x)
{
    double m = fabs(x);
    int d = 1;
    while (m >= 10.0 && d < 15) {
        m /= 10.0;
        d++;
    }
    return d;
}

/* Appends the pending literal (if any) and then a number slot. */
static llmbo_status push_seg(llmbo_cons *c, int *cap, llmbo_strbuf *lit, const seg *num)
{
    for (int k = 0; k < 2; k++) {
        seg s;
        if (k == 0) {
            if (!lit->len)
                continue;
            memset(&s, 0, sizeof s);
            s.text = lit->s;
            s.len = lit->len;
            *lit = (llmbo_strbuf)LLMBO_STRBUF_INIT;
        } else {
            if (!num)
                continue;
            s = *num;
        }
        if (c->n_segs == *cap) {
            int nc = *cap ? 2 * *cap : 16;
            seg *q = llmbo_realloc(c->segs, (size_t)nc, sizeof *q);
            if (!q) {
                llmbo_free(s.text);
                for (int i = 0; i < s.n_choice; i++)
                    llmbo_free(s.choice[i]);
                llmbo_free(s.choice);
                return LLMBO_ERR_NOMEM;
            }
            c->segs = q;
            *cap = nc;
        }
        c->segs[c->n_segs++] = s;
    }
    return LLMBO_OK;
}

static seg num_slot(double lo, double hi, int integer, int rank)
{
    seg s;
    memset(&s, 0, sizeof s);
    s.is_num = 1;
    s.lo = lo;
    s.hi = hi;
    s.integer = integer;
    s.rank = rank;
    s.max_int = digits_of(fabs(lo) > fabs(hi) ? lo : hi);
    s.max_frac = integer ? 0 : MAX_FRAC;
    return s;
}

/* A categorical slot: its choices as JSON string literals. */
static llmbo_status choice_slot(seg *s, const char *const *names, int n, llmbo_error *err)
{
    s->is_num = 2;
    s->choice = llmbo_calloc((size_t)n, sizeof *s->choice);
    if (!s->choice)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    s->n_choice = n;
    for (int k = 0; k < n; k++) {
        llmbo_strbuf b = LLMBO_STRBUF_INIT;
        sb_json_string(&b, names[k] ? names[k] : "");
        s->choice[k] = b.s;
        if (b.oom || !b.s || b.len + 1 >= LLMBO_CONS_MAX_NUM) {
            for (int i = 0; i <= k; i++)
                llmbo_free(s->choice[i]);
            llmbo_free(s->choice);
            s->choice = NULL;
            s->n_choice = 0;
            return llmbo_error_set(err, b.oom ? LLMBO_ERR_NOMEM : LLMBO_ERR_INVALID,
                                   "categorical choice %d is too long for the answer format", k);
        }
    }
    return LLMBO_OK;
}

void llmbo_cons_free(llmbo_cons *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_segs; i++) {
        llmbo_free(c->segs[i].text);
        for (int k = 0; k < c->segs[i].n_choice; k++)
            llmbo_free(c->segs[i].choice[k]);
        llmbo_free(c->segs[i].choice);
    }
    llmbo_free(c->segs);
    llmbo_free(c);
}

llmbo_status llmbo_cons_create(const llmbo_cons_spec *sp, llmbo_cons **out, llmbo_error *err)
{
    *out = NULL;
    if (sp->kind == LLMBO_CONS_POINTS) {
        if (sp->n_points < 1 || sp->dim < 1 || !sp->names || !sp->lo || !sp->hi)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "points format needs n_points >= 1, dim >= 1, names, bounds");
        for (int j = 0; j < sp->dim; j++)
            if (!sp->names[j] || !(sp->lo[j] <= sp->hi[j]) || !isfinite(sp->lo[j]) ||
                !isfinite(sp->hi[j]) || fabs(sp->lo[j]) >= 1e15 || fabs(sp->hi[j]) >= 1e15)
                return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                       "points format: coordinate %d has no name or bad bounds", j);
    } else if (sp->kind == LLMBO_CONS_RANKING) {
        if (sp->n_rank < 1 || sp->n_choose < 1 || sp->n_choose > sp->n_rank || sp->n_choose > 64)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "ranking format needs 1 <= n_choose <= min(n_rank, 64)");
    } else {
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "unknown answer format kind %d", sp->kind);
    }
    llmbo_cons *c = llmbo_calloc(1, sizeof *c);
    if (!c)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    int cap = 0;
    llmbo_strbuf lit = LLMBO_STRBUF_INIT;
    llmbo_status st = LLMBO_OK;
    if (sp->kind == LLMBO_CONS_POINTS) {
        llmbo_strbuf_puts(&lit, "{\"points\": [");
        for (int p = 0; p < sp->n_points && !st; p++) {
            llmbo_strbuf_puts(&lit, p ? ", {" : "{");
            for (int j = 0; j < sp->dim && !st; j++) {
                if (j)
                    llmbo_strbuf_puts(&lit, ", ");
                sb_json_string(&lit, sp->names[j]);
                llmbo_strbuf_puts(&lit, ": ");
                if (lit.oom)
                    break;
                seg n = num_slot(sp->lo[j], sp->hi[j], sp->integer && sp->integer[j], 0);
                if (sp->n_choices && sp->n_choices[j] > 0 &&
                    (st = choice_slot(&n, sp->choices[j], sp->n_choices[j], err)))
                    break;
                st = push_seg(c, &cap, &lit, &n);
            }
            llmbo_strbuf_puts(&lit, "}");
        }
        llmbo_strbuf_puts(&lit, "]}");
    } else {
        llmbo_strbuf_puts(&lit, "{\"ranking\": [");
        for (int k = 0; k < sp->n_choose && !st; k++) {
            if (k)
                llmbo_strbuf_puts(&lit, ", ");
            if (lit.oom)
                break;
            seg n = num_slot(0, sp->n_rank - 1, 1, 1);
            st = push_seg(c, &cap, &lit, &n);
        }
        llmbo_strbuf_puts(&lit, "]}");
    }
    if (!st && !lit.oom)
        st = push_seg(c, &cap, &lit, NULL);
    if (st || lit.oom) {
        llmbo_strbuf_free(&lit);
        llmbo_cons_free(c);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the answer format");
    }
    *out = c;
    return LLMBO_OK;
}

/* ----------------------------------------------------------------------------------------------
 * Number slots
 * -------------------------------------------------------------------------------------------- */

typedef struct nparse {
    int neg, n_int, dot, n_frac;
    double ival, fval; /* integer digits as a number; fraction digits as an integer */
} nparse;

/* Parses a number prefix; 0 if it is not a prefix of the accepted syntax within the limits. */
static int parse_prefix(const seg *sg, const char *t, int n, nparse *r)
{
    memset(r, 0, sizeof *r);
    int i = 0;
    if (i < n && t[i] == '-') {
        if (!(sg->lo < 0))
            return 0;
        r->neg = 1;
        i++;
    }
    for (; i < n && t[i] >= '0' && t[i] <= '9'; i++) {
        if (r->n_int == 1 && r->ival == 0)
            return 0; /* no leading zeros */
        r->ival = r->ival * 10 + (t[i] - '0');
        if (++r->n_int > sg->max_int)
            return 0;
    }
    if (i < n && t[i] == '.') {
        if (!r->n_int || !sg->max_frac)
            return 0;
        r->dot = 1;
        i++;
        for (; i < n && t[i] >= '0' && t[i] <= '9'; i++) {
            r->fval = r->fval * 10 + (t[i] - '0');
            if (++r->n_frac > sg->max_frac)
                return 0;
        }
    }
    return i == n;
}

static int rank_used(const llmbo_cons_state *s, long v)
{
    for (int k = 0; k < s->n_used; k++)
        if (s->used[k] == v)
            return 1;
    return 0;
}

/* Does [a, b] (magnitudes) contain a grid point within the slot's bounds (and unused)? */
static int interval_ok(const seg *sg, const llmbo_cons_state *s, int neg, double a, double b)
{
    double g = pow(10.0, -sg->max_frac);
    double mlo = neg ? -sg->hi : sg->lo, mhi = neg ? -sg->lo : sg->hi;
    if (neg && mlo < g)
        mlo = g; /* a negative number has a non-zero magnitude */
    double lo = a > mlo ? a : mlo, hi = b < mhi ? b : mhi;
    double eps = 1e-9;
    double k0 = ceil(lo / g - eps), k1 = floor(hi / g + eps);
    if (k0 > k1)
        return 0;
    if (!sg->rank)
        return 1;
    for (double k = k0; k <= k1 && k - k0 < 100000; k++)
        if (!rank_used(s, (long)k))
            return 1;
    return 0;
}

static int viable(const seg *sg, const llmbo_cons_state *s, const nparse *r)
{
    double g = pow(10.0, -sg->max_frac);
    if (r->dot) {
        double v = r->ival + r->fval * pow(10.0, -r->n_frac);
        double w = r->n_frac == sg->max_frac ? 0 : pow(10.0, -r->n_frac) - g;
        if (r->n_frac == 0)
            return interval_ok(sg, s, r->neg, v, v + 1 - g);
        return interval_ok(sg, s, r->neg, v, v + w);
    }
    if (r->n_int == 0)
        return interval_ok(sg, s, r->neg, 0, pow(10.0, sg->max_int) - g);
    if (r->ival == 0)
        return interval_ok(sg, s, r->neg, 0, sg->max_frac ? 1 - g : 0);
    for (int k = 0; k <= sg->max_int - r->n_int; k++) {
        double p = pow(10.0, k);
        if (interval_ok(sg, s, r->neg, r->ival * p, (r->ival + 1) * p - g))
            return 1;
    }
    return 0;
}

static int complete(const seg *sg, const llmbo_cons_state *s, double *val)
{
    nparse r;
    if (!s->num_len || !parse_prefix(sg, s->num, s->num_len, &r) || !r.n_int ||
        (r.dot && !r.n_frac))
        return 0;
    double v = r.ival + (r.dot ? r.fval * pow(10.0, -r.n_frac) : 0);
    if (r.neg)
        v = -v;
    double tol = 1e-12 * (1 + fabs(v));
    if (v < sg->lo - tol || v > sg->hi + tol || (r.neg && v == 0))
        return 0;
    if (sg->rank && rank_used(s, (long)v))
        return 0;
    *val = v;
    return 1;
}

/* ----------------------------------------------------------------------------------------------
 * Walking
 * -------------------------------------------------------------------------------------------- */

void llmbo_cons_start(const llmbo_cons *c, llmbo_cons_state *s)
{
    (void)c;
    memset(s, 0, sizeof *s);
}

int llmbo_cons_done(const llmbo_cons *c, const llmbo_cons_state *s)
{
    return s->seg >= c->n_segs;
}

int llmbo_cons_accept(const llmbo_cons *c, llmbo_cons_state *s, char ch)
{
    if (s->seg >= c->n_segs)
        return 0;
    const seg *sg = &c->segs[s->seg];
    if (!sg->is_num) {
        if (sg->text[s->pos] != ch)
            return 0;
        if ((size_t)++s->pos == sg->len) {
            s->seg++;
            s->pos = 0;
        }
        return 1;
    }
    if (sg->is_num == 2) { /* categorical: extend towards a choice, or end after a whole one */
        if (s->num_len + 1 < LLMBO_CONS_MAX_NUM) {
            s->num[s->num_len] = ch;
            for (int k = 0; k < sg->n_choice; k++)
                if (strlen(sg->choice[k]) > (size_t)s->num_len &&
                    memcmp(sg->choice[k], s->num, (size_t)s->num_len + 1) == 0) {
                    s->num_len++;
                    return 1;
                }
        }
        int whole = 0;
        for (int k = 0; k < sg->n_choice && !whole; k++)
            whole = strlen(sg->choice[k]) == (size_t)s->num_len &&
                    memcmp(sg->choice[k], s->num, (size_t)s->num_len) == 0;
        if (!whole || s->seg + 1 >= c->n_segs || c->segs[s->seg + 1].text[0] != ch)
            return 0;
        s->seg++;
        s->num_len = 0;
        s->pos = 0;
        return llmbo_cons_accept(c, s, ch);
    }
    /* Extend the number? */
    if (s->num_len + 1 < LLMBO_CONS_MAX_NUM) {
        nparse r;
        s->num[s->num_len] = ch;
        if (parse_prefix(sg, s->num, s->num_len + 1, &r) && viable(sg, s, &r)) {
            s->num_len++;
            return 1;
        }
    }
    /* Or end it, with ch the first byte of the literal that follows. */
    double v;
    if (!complete(sg, s, &v) || s->seg + 1 >= c->n_segs || c->segs[s->seg + 1].text[0] != ch)
        return 0;
    if (sg->rank && s->n_used < 64)
        s->used[s->n_used++] = (int)v;
    s->seg++;
    s->num_len = 0;
    s->pos = 0;
    return llmbo_cons_accept(c, s, ch);
}

int llmbo_cons_accept_str(const llmbo_cons *c, llmbo_cons_state *s, const char *p, size_t n)
{
    llmbo_cons_state t = *s;
    for (size_t i = 0; i < n; i++)
        if (!llmbo_cons_accept(c, &t, p[i]))
            return 0;
    *s = t;
    return 1;
}

const char *llmbo_cons_forced(const llmbo_cons *c, const llmbo_cons_state *s, size_t *len)
{
    *len = 0;
    if (s->seg >= c->n_segs)
        return "";
    const seg *sg = &c->segs[s->seg];
    if (sg->is_num == 2) {
        /* A categorical slot whose typed prefix fits one choice only: the rest of that choice is
         * forced, and once it is whole, the literal that follows. */
        int hit = -1, n_hit = 0;
        for (int k = 0; k < sg->n_choice; k++)
            if (strlen(sg->choice[k]) >= (size_t)s->num_len &&
                memcmp(sg->choice[k], s->num, (size_t)s->num_len) == 0) {
                hit = k;
                n_hit++;
            }
        if (n_hit != 1)
            return "";
        size_t full = strlen(sg->choice[hit]);
        if (full > (size_t)s->num_len) {
            *len = full - (size_t)s->num_len;
            return sg->choice[hit] + s->num_len;
        }
        *len = c->segs[s->seg + 1].len;
        return c->segs[s->seg + 1].text;
    }
    if (sg->is_num)
        return "";
    *len = c->segs[s->seg].len - (size_t)s->pos;
    return c->segs[s->seg].text + s->pos;
}
