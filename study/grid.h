/* grid.h: benchmark grids (llmbo bench). A bench config names objectives, strategies (named
 * variants of run-config keys) and seeds; every (objective, strategy, seed) cell is one run whose
 * config is the deep merge defaults < strategy < objective entry, plus objective and seed. Cells
 * are numbered objective-major ((o * S + s) * R + r); shard I of N (1-based) holds the cells with
 * index mod N == I - 1. The keys are documented in docs/bench.md. Module-internal (study/). */
#ifndef LLMBO_GRID_H
#define LLMBO_GRID_H

#include <cJSON.h>
#include "llmbo.h"
#include "fileio.h"

typedef struct llmbo_bench_objective {
    char *name;   /* display name: "name" key, or the objective string ("ackley:3"), or NAME:DIM
                     of an objective object {"name": NAME, "dim": DIM} */
    char *dir;    /* directory-safe label: name with characters outside [A-Za-z0-9._-] as '-' */
    int budget;   /* resolved budget, or 0 if the bench leaves it to the run's default */
    cJSON *entry; /* owned: the run-config keys this entry sets (objective included) */
} llmbo_bench_objective;

typedef struct llmbo_bench_strategy {
    char *name;   /* unique, directory-safe */
    cJSON *entry; /* owned: the run-config keys of this variant ("name" removed) */
} llmbo_bench_strategy;

typedef struct llmbo_bench {
    cJSON *config;   /* owned copy of the bench config as given */
    cJSON *defaults; /* owned: top-level run-config keys */
    char *title;     /* "name" key or NULL */
    int n_obj, n_strat, n_seed;
    llmbo_bench_objective *obj;  /* (n_obj) */
    llmbo_bench_strategy *strat; /* (n_strat) */
    long *seeds;                 /* (n_seed) distinct, >= 0 */
    int advisor_concurrency;     /* max runs using an advisor at once; 0: no limit beyond -j */
} llmbo_bench;

/* Parses and validates a bench config. where ("bench.json") prefixes error messages, which name
 * the key path ("bench.json: strategies[2].acquisiton: unknown key"). */
llmbo_status llmbo_bench_parse(const cJSON *root, const char *where, llmbo_bench **out,
                               llmbo_error *err);
/* Checks every objective (llmbo_objective_from_json) and the run config of every (objective,
 * strategy) pair (llmbo_run_config_parse, the checks of `llmbo run`) before anything runs, so a
 * typo fails the bench at once with its key path. LLMBO_ERR_CONFIG. */
llmbo_status llmbo_bench_validate(const llmbo_bench *bench, const char *where, llmbo_error *err);
/* Reads and parses a bench config file. */
llmbo_status llmbo_bench_load(const char *path, llmbo_bench **out, llmbo_error *err);
void llmbo_bench_free(llmbo_bench *bench);

int llmbo_bench_n_cells(const llmbo_bench *bench);
/* Objective, strategy and seed indices of cell i. */
void llmbo_bench_cell_index(const llmbo_bench *bench, int cell, int *o, int *s, int *r);
/* 1 if cell belongs to shard (1-based) of n_shards. */
int llmbo_bench_cell_in_shard(int cell, int shard, int n_shards);
/* The cell's run config (new object, caller frees with cJSON_Delete); NULL on allocation
 * failure. */
cJSON *llmbo_bench_cell_config(const llmbo_bench *bench, int cell);
/* 1 if the cell's run config uses an advisor (an "advisor" key and a strategy other than random
 * and gp). */
int llmbo_bench_cell_uses_advisor(const llmbo_bench *bench, int cell);
/* "runs/OBJDIR/STRATEGY/seed-N" relative to the bench directory, into buf. */
void llmbo_bench_cell_path(const llmbo_bench *bench, int cell, char *buf, size_t n);
/* The manifest written to DIR/bench.json: version, the config as given and the resolved grid.
 * Independent of shard and -j, so every shard writes the same bytes. */
cJSON *llmbo_bench_manifest(const llmbo_bench *bench);
/* Recreates the bench from a manifest (DIR/bench.json). */
llmbo_status llmbo_bench_from_manifest(const cJSON *manifest, const char *where, llmbo_bench **out,
                                       llmbo_error *err);

#endif
