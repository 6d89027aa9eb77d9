/* json.h: cJSON helpers shared by every module: typed getters and key checks whose messages
 * name the key's path ("WHERE.KEY: expected ..."), exact number printing, JSON files. A getter
 * leaves *out unchanged when the key is absent (the caller's default stays) and fails with
 * LLMBO_ERR_CONFIG when it is present with the wrong type or out of range. Never installed. */
#ifndef LLMBO_JSON_H
#define LLMBO_JSON_H

#include <stddef.h>
#include <cJSON.h>
#include "llmbo.h"

/* 1 if v is a finite whole number in [lo, hi]. */
int llmbo_json_is_int(const cJSON *v, double lo, double hi);
/* A short rendering of v for "got ..." messages: numbers, strings quoted and cut at 40 bytes,
 * true/false/null, "an array", "an object". Returns buf. */
const char *llmbo_json_describe(const cJSON *v, char *buf, size_t n);

/* "WHERE.KEY: expected a whole number in [LO, HI]" */
llmbo_status llmbo_json_get_int(const cJSON *obj, const char *where, const char *key, int lo,
                                int hi, int *out, llmbo_error *err);
/* "WHERE.KEY: expected a number in [LO, HI]" (finite) */
llmbo_status llmbo_json_get_number(const cJSON *obj, const char *where, const char *key, double lo,
                                   double hi, double *out, llmbo_error *err);
/* "WHERE.KEY: expected true or false" */
llmbo_status llmbo_json_get_bool(const cJSON *obj, const char *where, const char *key, int *out,
                                 llmbo_error *err);
/* "WHERE.KEY: expected a string"; *out points into obj. */
llmbo_status llmbo_json_get_string(const cJSON *obj, const char *where, const char *key,
                                   const char **out, llmbo_error *err);
/* "WHERE.KEY: expected a non-empty string"; *out points into obj. */
llmbo_status llmbo_json_get_nonempty(const cJSON *obj, const char *where, const char *key,
                                     const char **out, llmbo_error *err);
/* As llmbo_json_get_string, but *out is an owned copy of the value, or of def (may be NULL)
 * when the key is absent. */
llmbo_status llmbo_json_dup_string(const cJSON *obj, const char *where, const char *key,
                                   const char *def, char **out, llmbo_error *err);

/* Every key of obj is in allowed (NULL-terminated) and appears once: "WHERE: unknown key "K";
 * expected one of A, B, C" or "WHERE: duplicate key "K"". where may be NULL or "" (top level). */
llmbo_status llmbo_json_check_keys(const cJSON *obj, const char *where, const char *const *allowed,
                                   llmbo_error *err);
/* allowed joined with ", " into buf (cut at n bytes). Returns buf. */
const char *llmbo_json_key_list(const char *const *allowed, char *buf, size_t n);

/* Exact number printing: the shortest of 15, 16 or 17 significant digits that reads back as the
 * same double (cJSON's own printing stops at 15 digits whenever that is "close", which loses
 * the last bits); a non-finite value becomes null. NULL on allocation failure. */
cJSON *llmbo_json_number(double v);
cJSON *llmbo_json_number_array(const double *v, int n);
/* Replaces every number in tree (and its descendants) by its exact printing, in place: a value
 * parsed from a file (a number there, which cJSON would print back with 15 digits) then prints
 * as the same double it was read as. 1 on success, 0 on allocation failure (some numbers may
 * then be replaced, none is lost). */
int llmbo_json_exact_numbers(cJSON *tree);
/* Adds key: llmbo_json_number(v) to o; returns the item or NULL on allocation failure. */
cJSON *llmbo_json_add_number(cJSON *o, const char *key, double v);
/* Adds key: v to o and takes v: 1 on success; 0 when v is NULL (a failed constructor) or the add
 * fails, v then deleted. Lets a whole record be built as one chain of &&. */
int llmbo_json_add(cJSON *o, const char *key, cJSON *v);

/* Reads and parses a JSON file: NULL with err ("PATH: invalid JSON near byte N", or the read
 * error) on failure. */
cJSON *llmbo_json_read_file(const char *path, llmbo_error *err);

/* The advisor cost record: the "advisor" object of journal lines and summaries
 * (docs/formats.md), written and read here only. Keys in llmbo_cost's order, numbers printed
 * exactly (llmbo_json_number), so a resumed or replayed run reproduces the recorded cost to the
 * last bit. NULL on allocation failure. */
cJSON *llmbo_cost_to_json(const llmbo_cost *c);
/* Fills c from a cost record; absent or non-numeric members (and a non-object o) read as 0. */
void llmbo_cost_from_json(const cJSON *o, llmbo_cost *c);
/* The advisor's requests that gave no usable advice (fallback + errors), and in *asked all its
 * requests: each ends in one of the four outcomes (an advisor unreachable at start with
 * "on_unreachable": "fallback" counts errors without calls, so calls is not the count). */
long llmbo_cost_failed(const llmbo_cost *c, long *asked);

#endif
