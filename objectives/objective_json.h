/* objective_json.h: objectives and parameter spaces from a config's JSON (cJSON). The keys and
 * the exact error messages are documented in docs/objectives.md. Every error names the key path
 * after `where` (e.g. "run.json: objective.parameters[2].bounds: expected an array of two
 * numbers"); unknown and duplicate keys are errors. */
#ifndef LLMBO_OBJECTIVE_JSON_H
#define LLMBO_OBJECTIVE_JSON_H

#include <stdint.h>
#include <cJSON.h>
#include "llmbo.h"

/* Creates the objective described by v, the config's "objective" value: a string ("branin",
 * "ackley:5"), an object {"name", "dim", "noise_std"} for a built-in, or {"type": "external",
 * "command", "parameters", "timeout", "maximize", "description", "name", "noise_std"}. where
 * prefixes messages ("run.json: objective"; NULL means "objective"). seed seeds the observation
 * noise when noise_std > 0. Returns LLMBO_ERR_CONFIG for malformed input, LLMBO_ERR_NOMEM. */
llmbo_status llmbo_objective_from_json(const cJSON *v, const char *where, uint64_t seed,
                                       llmbo_objective **out, llmbo_error *err);

/* Creates a space from a JSON array of parameter objects {"name", "type" (continuous, integer,
 * log or categorical; default continuous), "bounds": [lo, hi] or "choices": [...], "unit",
 * "description"}. where names the array ("run.json: objective.parameters"). */
llmbo_status llmbo_space_from_json(const cJSON *arr, const char *where, llmbo_space **out,
                                   llmbo_error *err);

/* x (d, original units) as {"NAME": value, ...} in space's parameter order, the one writer of a
 * named point: a categorical as its choice name ("?" for an index outside its choices), any
 * other value made by number (a journal line, a summary and `llmbo ask` print exactly with
 * llmbo_json_number; an external objective's input line keeps cJSON_CreateNumber's printing).
 * NULL on allocation failure. */
cJSON *llmbo_space_point_to_json(const llmbo_space *space, const double *x,
                                 cJSON *(*number)(double));

#endif
