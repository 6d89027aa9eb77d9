/* constrain.h: a character-level automaton for the advisor's JSON answer formats, used to mask
 * tokens during decoding. The answer is laid out canonically as literal text and number slots:
 *   points:  {"points": [{"x1": N, "x2": N}, {"x1": N, "x2": N}]}
 *   ranking: {"ranking": [I, I, I]}
 * A number slot accepts -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 6 fraction digits (none for
 * integer slots) and only prefixes that can still complete to a value within the slot's bounds
 * (ranking slots: an index not used yet), so every accepted prefix extends to a valid answer.
 * A categorical slot accepts one of its choice names as a JSON string. */
#ifndef LLMBO_CONSTRAIN_H
#define LLMBO_CONSTRAIN_H

#include <stddef.h>
#include "llmbo.h"

#define LLMBO_CONS_MAX_NUM 128 /* longest number or choice string (quotes included) */

typedef enum llmbo_cons_kind { LLMBO_CONS_POINTS = 1, LLMBO_CONS_RANKING = 2 } llmbo_cons_kind;

/* What the answer must look like. names/lo/hi/integer are (dim) arrays, copied at create. */
typedef struct llmbo_cons_spec {
    llmbo_cons_kind kind;
    int n_points, dim;                 /* POINTS */
    const char *const *names;          /* (dim) parameter names */
    const double *lo, *hi;             /* (dim) inclusive bounds */
    const int *integer;                /* (dim) 1: whole numbers only; may be NULL */
    const int *n_choices;              /* (dim) > 0: a categorical slot; may be NULL */
    const char *const *const *choices; /* (dim) its choice names (JSON strings) */
    int n_rank, n_choose;              /* RANKING: indices 0..n_rank-1, n_choose distinct */
} llmbo_cons_spec;

typedef struct llmbo_cons llmbo_cons;

/* Where the automaton is: segment index, offset in a literal, the number text so far, and the
 * ranking indices already used. Plain data: copy it to explore. */
typedef struct llmbo_cons_state {
    int seg, pos;
    char num[LLMBO_CONS_MAX_NUM];
    int num_len;
    int n_used;
    int used[64];
} llmbo_cons_state;

llmbo_status llmbo_cons_create(const llmbo_cons_spec *spec, llmbo_cons **out, llmbo_error *err);
void llmbo_cons_free(llmbo_cons *c);
void llmbo_cons_start(const llmbo_cons *c, llmbo_cons_state *s);
/* Advances s by one byte if the format allows it; returns 1 if accepted (s updated), else 0. */
int llmbo_cons_accept(const llmbo_cons *c, llmbo_cons_state *s, char ch);
/* Advances over n bytes; 1 if all were accepted (s updated), 0 if not (s unchanged). */
int llmbo_cons_accept_str(const llmbo_cons *c, llmbo_cons_state *s, const char *p, size_t n);
/* 1 when the whole answer has been produced. */
int llmbo_cons_done(const llmbo_cons *c, const llmbo_cons_state *s);
/* The text that must come next whatever is chosen (the rest of a literal; empty inside a number
 * or when done). Points into the automaton; *len set. */
const char *llmbo_cons_forced(const llmbo_cons *c, const llmbo_cons_state *s, size_t *len);

#endif
