/* scheduler.c: the process scheduler behind `llmbo bench`. Runs every cell of a bench grid
 * (grid.h) that belongs to this shard as a separate `llmbo run` process (fork + exec of
 * /proc/self/exe, so it runs inside the llmbo binary), at most N at a time. A cell whose
 * summary.json exists is skipped; one with a journal but no summary is resumed
 * (`llmbo run --resume`), so a killed bench continues where it stopped. Runs that use an advisor
 * also take one of advisor_concurrency slot locks (flock on DIR/locks/advisor-K), held by the run
 * process for its lifetime, so benches and shards sharing DIR on one machine never exceed the
 * limit together. See docs/bench.md. */
#define _GNU_SOURCE /* fallocate(FALLOC_FL_KEEP_SIZE): run.log's reserve on a full disk */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "fileio.h"
#include "json.h"
#include "journal.h"
#include "config.h"
#include "grid.h"
#include "scheduler.h"

typedef enum cell_state { CELL_PENDING, CELL_RUNNING, CELL_DONE, CELL_FAILED } cell_state;

typedef struct cell {
    int index;      /* in the whole grid */
    char dir[2048]; /* OUT/runs/OBJ/STRATEGY/seed-N */
    int advisor;    /* uses an advisor: needs a slot */
    cell_state state;
    pid_t pid;
    int resumed;
    double started;
    double tokens, dollars;     /* last known cumulative advisor cost */
    long adv_asked, adv_failed; /* advisor requests (each ends in one outcome), and those that
                                   gave no advice (fallback or error), as last journalled */
    long budget;                /* evaluations the run will make (its resolved config's budget) */
    long lines_at_start;        /* journal lines when this invocation began (for the ETA) */
    llmbo_journal_tally tally;  /* the journal read so far: evaluations, failed ones */
} cell;

static volatile sig_atomic_t bench_stop;

static void on_signal(int sig)
{
    bench_stop = sig;
}

void llmbo_bench_options_default(llmbo_bench_options *o)
{
    memset(o, 0, sizeof *o);
    o->out = "bench-out";
    o->jobs = 1;
    o->shard = 1;
    o->n_shards = 1;
}

static void fmt_hms(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%02ld:%02ld", t / 60, t % 60);
}

/* Reads the advisor cost of a cell so far (summary.json if present, else the journal's last
 * complete line) and counts the evaluations its journal holds. */
static void cell_read_cost(cell *c)
{
    char journal[2200];
    snprintf(journal, sizeof journal, "%s/journal.jsonl", c->dir);
    llmbo_journal_tally_update(journal, &c->tally);
    llmbo_cost cost;
    if (llmbo_journal_last_cost(c->dir, &cost) == LLMBO_OK) {
        c->tokens = (double)cost.prompt_tokens + (double)cost.completion_tokens;
        c->dollars = cost.dollars;
        c->adv_failed = llmbo_cost_failed(&cost, &c->adv_asked);
    }
}

/* Takes a free advisor slot: returns an fd holding an exclusive flock, or -1 if all are busy. */
static int slot_take(const char *out, int n_slots)
{
    for (int k = 0; k < n_slots; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/locks/advisor-%d", out, k);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        close(fd);
    }
    return -1;
}

/* Bytes of disk reserved for each run.log when its run starts. */
#define RUN_LOG_RESERVE (64 * 1024)

/* Starts `llmbo run` for a cell; its output goes to the cell's run.log. The slot fd (or -1) is
 * inherited, so the run holds the advisor slot until it exits. */
static pid_t cell_start(cell *c, int slot_fd)
{
    char config[2200], journal[2200], resolved[2200], log[2200];
    snprintf(config, sizeof config, "%s/run.json", c->dir);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", c->dir);
    snprintf(resolved, sizeof resolved, "%s/config.json", c->dir);
    snprintf(log, sizeof log, "%s/run.log", c->dir);
    /* A run that wrote its resolved config has started: resume it, even if no evaluation was
     * journalled yet. */
    c->resumed = llmbo_path_exists(journal) && llmbo_path_exists(resolved);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* child */
    if (slot_fd >= 0) {
        int flags = fcntl(slot_fd, F_GETFD);
        if (flags >= 0)
            fcntl(slot_fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    /* run.log is the run's stderr alone, so its last line is the run's last word (the bench
     * quotes it when the run fails); the summary the run prints on stdout is in summary.json. */
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
#ifdef FALLOC_FL_KEEP_SIZE
        /* Blocks reserved past the end, so the run's last words (say "journal.jsonl: write
         * failed: No space left on device") still reach run.log when its disk fills up. */
        struct stat sb;
        if (fstat(fd, &sb) == 0)
            (void)fallocate(fd, FALLOC_FL_KEEP_SIZE, sb.st_size, RUN_LOG_RESERVE);
#endif
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    fprintf(stderr, "llmbo bench: %s run %s\n", c->resumed ? "resuming" : "starting", c->dir);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        if (devnull > STDERR_FILENO)
            close(devnull);
    }
    /* One BLAS thread per run: -j N already uses N cores, and a fixed thread count keeps the
     * floating-point results independent of the machine's core count. */
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    setenv("OMP_NUM_THREADS", "1", 0);
    char *argv[8];
    int a = 0;
    argv[a++] = (char *)"llmbo";
    argv[a++] = (char *)"run";
    if (c->resumed) {
        argv[a++] = (char *)"--resume";
        argv[a++] = c->dir;
    } else {
        argv[a++] = config;
        argv[a++] = (char *)"--out";
        argv[a++] = c->dir;
    }
    argv[a++] = (char *)"-q";
    argv[a] = NULL;
    execv("/proc/self/exe", argv);
    fprintf(stderr, "llmbo bench: cannot execute /proc/self/exe: %s\n", strerror(errno));
    _exit(127);
}

typedef struct progress {
    int tty, quiet;
    double t0, last_draw;
    int total, skipped, done, failed, running;
    int jobs;
} progress;

/* Evaluations over the cells: journalled, failed, still to come, and journalled by this
 * invocation (the ETA's rate). */
typedef struct eval_counts {
    long lines, failed, remaining, here;
} eval_counts;

static eval_counts count_evals(const cell *cells, int n)
{
    eval_counts e = {0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        const cell *c = &cells[i];
        e.lines += c->tally.lines;
        e.failed += c->tally.failed;
        e.here += c->tally.lines - c->lines_at_start;
        if ((c->state == CELL_PENDING || c->state == CELL_RUNNING) && c->budget > c->tally.lines)
            e.remaining += c->budget - c->tally.lines;
    }
    return e;
}

static void progress_draw(progress *p, cell *cells, int n, int force)
{
    if (!p->tty || p->quiet)
        return;
    double now = llmbo_now();
    if (!force && now - p->last_draw < 0.5)
        return;
    p->last_draw = now;
    double tokens = 0, dollars = 0;
    for (int i = 0; i < n; i++) {
        if (cells[i].state == CELL_RUNNING)
            cell_read_cost(&cells[i]);
        tokens += cells[i].tokens;
        dollars += cells[i].dollars;
    }
    double elapsed = now - p->t0;
    /* The ETA counts evaluations, read from the running cells' journals, so it appears after
     * the first evaluation rather than after the first whole run. */
    eval_counts e = count_evals(cells, n);
    double eta = NAN;
    if (e.here > 0)
        eta = elapsed / (double)e.here * (double)e.remaining;
    char e1[32], e2[32];
    fmt_hms(e1, sizeof e1, elapsed);
    fmt_hms(e2, sizeof e2, e.remaining == 0 ? 0.0 : eta);
    fprintf(stderr,
            "\r\033[Kbench: %ld/%ld evaluations, %ld failed | runs %d/%d done, %d running, "
            "%d failed | %s elapsed, ETA %s | %.0f tokens, $%.4f",
            e.lines, e.lines + e.remaining, e.failed, p->done, p->total, p->running, p->failed, e1,
            e2, tokens, dollars);
    fflush(stderr);
}

/* Writes bench.json, or checks that an existing one describes the same bench. */
static int write_manifest(const llmbo_bench *b, const char *out)
{
    cJSON *m = llmbo_bench_manifest(b);
    char *text = m ? cJSON_Print(m) : NULL;
    cJSON_Delete(m);
    if (!text) {
        fprintf(stderr, "llmbo bench: out of memory\n");
        return LLMBO_BENCH_FAILED;
    }
    size_t len = strlen(text);
    char *full = llmbo_malloc(len + 2, 1);
    if (!full) {
        cJSON_free(text);
        fprintf(stderr, "llmbo bench: out of memory\n");
        return LLMBO_BENCH_FAILED;
    }
    memcpy(full, text, len);
    full[len] = '\n';
    full[len + 1] = '\0';
    cJSON_free(text);
    char path[4096];
    snprintf(path, sizeof path, "%s/bench.json", out);
    int rc = LLMBO_BENCH_OK;
    llmbo_error err;
    llmbo_error_clear(&err);
    if (llmbo_path_exists(path)) {
        char *old = llmbo_read_file(path, NULL, &err);
        if (!old) {
            fprintf(stderr, "llmbo bench: %s\n", err.msg);
            rc = LLMBO_BENCH_FAILED;
        } else if (strcmp(old, full) != 0) {
            fprintf(stderr,
                    "llmbo bench: %s describes a different bench (other config or llmbo "
                    "version); use another --out, or remove the directory to start over\n",
                    path);
            rc = LLMBO_BENCH_BAD_CONFIG;
        }
        llmbo_free(old);
    } else if (llmbo_write_file_atomic(path, full, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo bench: %s\n", err.msg);
        rc = LLMBO_BENCH_FAILED;
    }
    llmbo_free(full);
    return rc;
}

/* 1 if the run in dir finished: its summary.json exists and does not say "complete": false (a
 * run that stopped on failures writes one too, and is resumed like an interrupted run). */
static int run_finished(const char *dir)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (!llmbo_path_exists(path))
        return 0;
    cJSON *j = llmbo_json_read_file(path, NULL);
    int done = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "complete"));
    cJSON_Delete(j);
    return done;
}

/* The budget of a cell's run config text; 0 if it cannot be read (no ETA then). */
static long config_budget(const char *text)
{
    llmbo_run_config cfg;
    llmbo_error err;
    llmbo_error_clear(&err);
    long budget = llmbo_run_config_parse(text, "run.json", &cfg, &err) == LLMBO_OK ? cfg.budget : 0;
    llmbo_run_config_free(&cfg);
    return budget;
}

/* Creates the cell directories and their run.json; marks finished cells done. */
static int prepare_cells(const llmbo_bench *b, const char *out, int shard, int n_shards,
                         cell **cells_out, int *n_out)
{
    int total = llmbo_bench_n_cells(b), n = 0;
    for (int i = 0; i < total; i++)
        n += llmbo_bench_cell_in_shard(i, shard, n_shards);
    cell *cells = llmbo_calloc((size_t)n + 1, sizeof *cells);
    if (!cells) {
        fprintf(stderr, "llmbo bench: out of memory\n");
        return LLMBO_BENCH_FAILED;
    }
    llmbo_error err;
    llmbo_error_clear(&err);
    int k = 0;
    for (int i = 0; i < total; i++) {
        if (!llmbo_bench_cell_in_shard(i, shard, n_shards))
            continue;
        cell *c = &cells[k++];
        char rel[1024];
        llmbo_bench_cell_path(b, i, rel, sizeof rel);
        c->index = i;
        snprintf(c->dir, sizeof c->dir, "%s/%s", out, rel);
        c->advisor = llmbo_bench_cell_uses_advisor(b, i);
        char path[2200];
        cell_read_cost(c);
        c->lines_at_start = c->tally.lines;
        if (run_finished(c->dir)) {
            c->state = CELL_DONE;
            continue;
        }
        cJSON *cfg = llmbo_bench_cell_config(b, i);
        char *text = cfg ? cJSON_Print(cfg) : NULL;
        cJSON_Delete(cfg);
        int ok = text != NULL;
        if (ok)
            c->budget = config_budget(text);
        if (ok && llmbo_mkdir_p(c->dir, &err) != LLMBO_OK)
            ok = 0;
        if (ok) {
            size_t len = strlen(text);
            char *full = llmbo_malloc(len + 2, 1);
            ok = full != NULL;
            if (full) {
                memcpy(full, text, len);
                memcpy(full + len, "\n", 2);
                snprintf(path, sizeof path, "%s/run.json", c->dir);
                ok = llmbo_write_file_atomic(path, full, &err) == LLMBO_OK;
                llmbo_free(full);
            }
        }
        cJSON_free(text);
        if (!ok) {
            fprintf(stderr, "llmbo bench: %s\n", err.msg[0] ? err.msg : "out of memory");
            llmbo_free(cells);
            return LLMBO_BENCH_FAILED;
        }
    }
    *cells_out = cells;
    *n_out = n;
    return LLMBO_BENCH_OK;
}

/* The scheduler's state: this shard's cells and the counters the progress line shows. */
typedef struct sched {
    const llmbo_bench_options *o;
    cell *cells; /* (n) */
    int n;
    int slots;           /* advisor_concurrency (0: unlimited) */
    int next;            /* scan position over pending cells */
    int advisor_running; /* running cells that use an advisor */
    int adv_failed_runs; /* runs of this invocation whose advisor failed (sched_reap's lines) */
    progress pg;
} sched;

/* Checks that the bench may write into out: absent, empty, an llmbo bench directory (it holds
 * bench.json: resumed, or refused by write_manifest if it is another bench), or one that holds
 * only what a bench creates before bench.json (another shard starting at the same moment).
 * Anything else belongs to the user and is never written over. */
static int check_out_dir(const char *out)
{
    DIR *d = opendir(out);
    if (!d) {
        if (errno == ENOENT)
            return LLMBO_BENCH_OK;
        fprintf(stderr, "llmbo bench: --out %s: %s\n", out, strerror(errno));
        return LLMBO_BENCH_FAILED;
    }
    char found[300] = "";
    int n_foreign = 0, manifest = 0, run = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, "locks") == 0 ||
            strcmp(n, "runs") == 0 || strncmp(n, "bench.json.tmp.", 15) == 0)
            continue;
        if (strcmp(n, "bench.json") == 0) {
            manifest = 1;
            continue;
        }
        run |= strcmp(n, ".llmbo-run") == 0;
        if (n_foreign++ < 4) {
            size_t l = strlen(found);
            snprintf(found + l, sizeof found - l, "%s%s", l ? ", " : "", n);
        }
    }
    closedir(d);
    if (run && !manifest) {
        fprintf(stderr,
                "llmbo bench: --out %s holds a run of llmbo run, not a bench; choose another "
                "--out\n",
                out);
        return LLMBO_BENCH_BAD_CONFIG;
    }
    if (n_foreign && !manifest) {
        fprintf(stderr,
                "llmbo bench: --out %s: the directory holds files llmbo did not write (%s%s); "
                "llmbo writes a bench only into a new or empty directory or one of its own bench "
                "directories (to resume it), so nothing of yours is overwritten: choose another "
                "--out\n",
                out, found, n_foreign > 4 ? ", ..." : "");
        return LLMBO_BENCH_BAD_CONFIG;
    }
    return LLMBO_BENCH_OK;
}

/* Loads and checks the bench, writes bench.json and the cells' run.json files. */
static int sched_setup(sched *S)
{
    const llmbo_bench_options *o = S->o;
    llmbo_error err;
    llmbo_error_clear(&err);
    llmbo_bench *b = NULL;
    if (llmbo_bench_load(o->config, &b, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo bench: %s\n", err.msg);
        return err.status == LLMBO_ERR_IO || err.status == LLMBO_ERR_NOMEM ? LLMBO_BENCH_FAILED
                                                                           : LLMBO_BENCH_BAD_CONFIG;
    }
    if (llmbo_bench_validate(b, o->config, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo bench: %s\n", err.msg);
        llmbo_bench_free(b);
        return err.status == LLMBO_ERR_NOMEM ? LLMBO_BENCH_FAILED : LLMBO_BENCH_BAD_CONFIG;
    }
    int rc = check_out_dir(o->out);
    if (rc != LLMBO_BENCH_OK) {
        llmbo_bench_free(b);
        return rc;
    }
    char locks[4096];
    snprintf(locks, sizeof locks, "%s/locks", o->out);
    if (llmbo_mkdir_p(o->out, &err) != LLMBO_OK || llmbo_mkdir_p(locks, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo bench: %s\n", err.msg);
        llmbo_bench_free(b);
        return LLMBO_BENCH_FAILED;
    }
    rc = write_manifest(b, o->out);
    if (rc == LLMBO_BENCH_OK)
        rc = prepare_cells(b, o->out, o->shard, o->n_shards, &S->cells, &S->n);
    S->slots = b->advisor_concurrency;
    llmbo_bench_free(b);
    return rc;
}

/* Starts pending cells while there is room; a cell waiting for an advisor slot does not block
 * classical cells behind it. */
static void sched_launch(sched *S)
{
    progress *pg = &S->pg;
    for (int i = S->next; i < S->n && pg->running < S->o->jobs && !bench_stop; i++) {
        cell *c = &S->cells[i];
        if (c->state != CELL_PENDING)
            continue;
        int slot_fd = -1;
        if (c->advisor && S->slots > 0) {
            if (S->advisor_running >= S->slots || (slot_fd = slot_take(S->o->out, S->slots)) < 0)
                continue;
        }
        c->started = llmbo_now();
        c->pid = cell_start(c, slot_fd);
        if (slot_fd >= 0)
            close(slot_fd);
        if (c->pid < 0) {
            fprintf(stderr, "%sllmbo bench: fork failed: %s\n", pg->tty && !S->o->quiet ? "\n" : "",
                    strerror(errno));
            c->state = CELL_FAILED;
            pg->failed++;
            continue;
        }
        c->state = CELL_RUNNING;
        pg->running++;
        S->advisor_running += c->advisor;
    }
    while (S->next < S->n && S->cells[S->next].state != CELL_PENDING)
        S->next++;
}

/* A line of the cell's run.log into buf (empty if none): the last non-empty one, or with
 * prefix set the first that starts with it. Only the log's first and last 64 KiB are read. */
static void log_line(const cell *c, const char *prefix, char *buf, size_t n)
{
    char path[2200], text[65536];
    buf[0] = '\0';
    snprintf(path, sizeof path, "%s/run.log", c->dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    if (!prefix && fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        fseek(f, size > (long)sizeof text - 1 ? size - (long)sizeof text + 1 : 0, SEEK_SET);
    }
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    const char *best = NULL;
    size_t best_len = 0;
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (prefix ? strncmp(p, prefix, strlen(prefix)) == 0 : l > 0) {
            best = p;
            best_len = l;
            if (prefix)
                break;
        }
        p += l + (nl != NULL);
    }
    if (best)
        snprintf(buf, n, "%.*s", (int)(best_len < n ? best_len : n - 1), best);
}

/* Gives back what run.log did not use of its reserve (a truncation to its own size frees the
 * blocks kept past the end). */
static void log_release(const cell *c)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/run.log", c->dir);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0)
        return;
    if (fstat(fd, &sb) == 0)
        (void)ftruncate(fd, sb.st_size);
    close(fd);
}

/* Records the end of the run process pid (wait status status). */
static void sched_reap(sched *S, pid_t pid, int status)
{
    progress *pg = &S->pg;
    for (int i = 0; i < S->n; i++) {
        cell *c = &S->cells[i];
        if (c->state != CELL_RUNNING || c->pid != pid)
            continue;
        pg->running--;
        S->advisor_running -= c->advisor;
        log_release(c);
        cell_read_cost(c);
        const char *cr = pg->tty && !S->o->quiet ? "\r\033[K" : "";
        char path[2200], line[1024];
        snprintf(path, sizeof path, "%s/summary.json", c->dir);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && llmbo_path_exists(path)) {
            c->state = CELL_DONE;
            pg->done++;
            /* A run whose advisor failed: said for the first few such runs, with the first
             * reason (the run's own line), since the run itself completes; sched_finish counts
             * them all. */
            if (c->adv_failed > 0 && ++S->adv_failed_runs <= 3) {
                log_line(c, "llmbo: evaluation ", line, sizeof line);
                fprintf(stderr,
                        "%sllmbo bench: run %s: %ld of %ld advisor requests failed (the loop "
                        "used its fallback)%s%s\n",
                        cr, c->dir, c->adv_failed, c->adv_asked, line[0] ? "; the first: " : "",
                        line[0] ? line + strlen("llmbo: ") : "");
            }
            /* A run that finished with some failed evaluations: its first reason, once. */
            if (c->tally.failed > 0) {
                log_line(c, "llmbo run: evaluation ", line, sizeof line);
                fprintf(stderr, "%sllmbo bench: run %s: %ld of %ld evaluations failed%s%s\n", cr,
                        c->dir, c->tally.failed, c->tally.lines, line[0] ? "; the first: " : "",
                        line[0] ? line + strlen("llmbo run: ") : "");
            }
        } else {
            c->state = CELL_FAILED;
            pg->failed++;
            char why[64];
            if (WIFSIGNALED(status))
                snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
            else
                snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
            /* The run's own last word, so the reason is on the bench's terminal, not only in a
             * file the user has to find. */
            if (pg->failed > 3) { /* a count, not a flood: the progress line counts the rest */
                fprintf(stderr, "%sllmbo bench: run %s failed (%s); see %s/run.log\n", cr, c->dir,
                        why, c->dir);
                break;
            }
            log_line(c, NULL, line, sizeof line);
            if (!line[0]) {
                /* Nothing reached run.log: say whether its disk is full. */
                struct statvfs fs;
                if (statvfs(c->dir, &fs) == 0 &&
                    (double)fs.f_bavail * (double)fs.f_frsize < RUN_LOG_RESERVE)
                    snprintf(line, sizeof line,
                             "run.log is empty, and its file system is full (%.0f KiB free): "
                             "No space left on device",
                             (double)fs.f_bavail * (double)fs.f_frsize / 1024.0);
                else
                    snprintf(line, sizeof line, "run.log is empty");
            }
            fprintf(stderr,
                    "%sllmbo bench: run %s failed (%s; %ld of %ld evaluations failed): %s\n"
                    "  (whole log: %s/run.log)\n",
                    cr, c->dir, why, c->tally.failed, c->tally.lines, line, c->dir);
        }
        break;
    }
}

/* Runs the cells until all have ended or a signal asks to stop (then the runs in flight get
 * SIGTERM and are waited for; they resume next time). */
static void sched_loop(sched *S)
{
    for (;;) {
        if (bench_stop) {
            for (int i = 0; i < S->n; i++)
                if (S->cells[i].state == CELL_RUNNING)
                    kill(S->cells[i].pid, SIGTERM);
            for (int i = 0; i < S->n; i++)
                if (S->cells[i].state == CELL_RUNNING)
                    waitpid(S->cells[i].pid, NULL, 0);
            return;
        }
        sched_launch(S);
        if (S->pg.running == 0 && S->next >= S->n)
            return;
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            progress_draw(&S->pg, S->cells, S->n, 0);
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        sched_reap(S, pid, status);
        progress_draw(&S->pg, S->cells, S->n, 1);
    }
}

/* The closing line and the outcome. */
static int sched_finish(sched *S)
{
    progress *pg = &S->pg;
    progress_draw(pg, S->cells, S->n, 1);
    if (pg->tty && !S->o->quiet)
        fprintf(stderr, "\n");
    char el[32];
    fmt_hms(el, sizeof el, llmbo_now() - pg->t0);
    if (bench_stop) {
        fprintf(stderr,
                "llmbo bench: interrupted by signal %d after %s; %d of %d runs done. Run the same "
                "command again to resume.\n",
                (int)bench_stop, el, pg->done, pg->total);
        return LLMBO_BENCH_FAILED;
    }
    eval_counts e = count_evals(S->cells, S->n);
    if (!S->o->quiet || pg->failed || e.failed)
        fprintf(stderr,
                "llmbo bench: %d of %d runs done (%d were already done), %d failed, in %s; "
                "%ld of %ld evaluations failed; next: llmbo report %s\n",
                pg->done, pg->total, pg->skipped, pg->failed, el, e.failed, e.lines, S->o->out);
    if (e.lines > 0 && e.failed == e.lines)
        fprintf(stderr,
                "llmbo bench: no evaluation succeeded in any run: the objective fails (see the "
                "reasons above); fix it, then run the same command again to resume\n");
    long calls = 0, failed = 0;
    int runs = 0;
    for (int i = 0; i < S->n; i++)
        if (S->cells[i].state == CELL_DONE) {
            calls += S->cells[i].adv_asked;
            failed += S->cells[i].adv_failed;
            runs += S->cells[i].adv_failed > 0;
        }
    if (failed > 0 && failed >= calls)
        fprintf(stderr,
                "llmbo bench: WARNING: every advisor request failed (%ld of %ld, in %d runs): no "
                "point came from an advisor; those strategies ran on the loop's fallback (see "
                "the reasons above; llmbo report lists them)\n",
                failed, calls, runs);
    else if (failed > 0)
        fprintf(stderr,
                "llmbo bench: %ld of %ld advisor requests failed, in %d runs; the loop made those "
                "decisions itself (llmbo report lists them by strategy)\n",
                failed, calls, runs);
    return pg->failed ? LLMBO_BENCH_FAILED : LLMBO_BENCH_OK;
}

int llmbo_bench_run(const llmbo_bench_options *o)
{
    sched S;
    memset(&S, 0, sizeof S);
    S.o = o;
    int rc = sched_setup(&S);
    if (rc != LLMBO_BENCH_OK)
        return rc;
    S.pg.tty = isatty(STDERR_FILENO);
    S.pg.quiet = o->quiet;
    S.pg.t0 = llmbo_now();
    S.pg.total = S.n;
    S.pg.jobs = o->jobs;
    for (int i = 0; i < S.n; i++)
        if (S.cells[i].state == CELL_DONE) {
            S.pg.done++;
            S.pg.skipped++;
        }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sched_loop(&S);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    rc = sched_finish(&S);
    llmbo_free(S.cells);
    return rc;
}
