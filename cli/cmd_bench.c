/* cmd_bench.c: llmbo bench CONFIG.json [-j N] [--shard I/N] [--out DIR] [-q]. Runs every cell of
 * a bench grid (bo/bench.h) that belongs to this shard as a separate `llmbo run` process
 * (fork + exec of /proc/self/exe), at most N at a time. A cell whose summary.json exists is
 * skipped; one with a journal but no summary is resumed (`llmbo run --resume`), so a killed bench
 * continues where it stopped. Runs that use an advisor also take one of advisor_concurrency slot
 * locks (flock on DIR/locks/advisor-K), held by the run process for its lifetime, so benches and
 * shards sharing DIR on one machine never exceed the limit together. See docs/bench.md. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cJSON.h>
#include "bench.h"
#include "json.h"
#include "cli.h"
#include "llmbo_common.h"

typedef enum cell_state { CELL_PENDING, CELL_RUNNING, CELL_DONE, CELL_FAILED } cell_state;

typedef struct cell {
    int index;      /* in the whole grid */
    char dir[2048]; /* OUT/runs/OBJ/STRATEGY/seed-N */
    int advisor;    /* uses an advisor: needs a slot */
    cell_state state;
    pid_t pid;
    int resumed;
    double started;
    double tokens, dollars; /* last known cumulative advisor cost */
} cell;

static volatile sig_atomic_t bench_stop;

static void on_signal(int sig)
{
    bench_stop = sig;
}

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: llmbo bench CONFIG.json [-j N] [--shard I/N] [--out DIR] [-q]\n\n"
            "Runs every (objective, strategy, seed) cell of the bench config as one `llmbo run`\n"
            "process writing DIR/runs/OBJECTIVE/STRATEGY/seed-N/. Finished cells are skipped and\n"
            "interrupted ones resumed, so re-running the same command continues a killed bench.\n\n"
            "  -j N         run N cells at once (default 1)\n"
            "  --shard I/N  run only cells whose index mod N is I-1 (1 <= I <= N); shards may\n"
            "               write into the same DIR; `llmbo report DIR` merges them\n"
            "  --out DIR    output directory (default bench-out)\n"
            "  -q           no progress display\n\n"
            "Then: llmbo report DIR. Config keys: docs/bench.md.\n");
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
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

/* Cumulative advisor tokens and dollars from a cost record ("advisor" object). */
static void cost_from(const cJSON *adv, double *tokens, double *dollars)
{
    llmbo_cost c;
    llmbo_cost_from_json(adv, &c);
    *tokens = (double)c.prompt_tokens + (double)c.completion_tokens;
    *dollars = c.dollars;
}

/* Reads the advisor cost of a cell: summary.json if present, else the journal's last line. */
static void cell_read_cost(cell *c)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/summary.json", c->dir);
    if (llmbo_path_exists(path)) {
        char *t = llmbo_read_file(path, NULL, NULL);
        cJSON *j = t ? cJSON_Parse(t) : NULL;
        if (j)
            cost_from(cJSON_GetObjectItemCaseSensitive(j, "advisor"), &c->tokens, &c->dollars);
        cJSON_Delete(j);
        llmbo_free(t);
        return;
    }
    snprintf(path, sizeof path, "%s/journal.jsonl", c->dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char buf[16384];
    long size = 0;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    long from = size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0;
    size_t n = 0;
    if (size > 0 && fseek(f, from, SEEK_SET) == 0)
        n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the last complete line */
    while (n > 0 && buf[n - 1] != '\n')
        buf[--n] = '\0';
    if (n > 0)
        buf[--n] = '\0';
    char *line = strrchr(buf, '\n');
    line = line ? line + 1 : buf;
    cJSON *j = cJSON_Parse(line);
    if (j)
        cost_from(cJSON_GetObjectItemCaseSensitive(j, "advisor"), &c->tokens, &c->dollars);
    cJSON_Delete(j);
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
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    fprintf(stderr, "llmbo bench: %s run %s\n", c->resumed ? "resuming" : "starting", c->dir);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
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
    int finished_here; /* runs that ended in this invocation (for the ETA) */
    int jobs;
} progress;

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
    int remaining = p->total - p->done - p->failed;
    double eta = NAN;
    if (p->finished_here > 0)
        eta = elapsed / p->finished_here * remaining;
    char e1[32], e2[32];
    fmt_hms(e1, sizeof e1, elapsed);
    fmt_hms(e2, sizeof e2, remaining == 0 ? 0.0 : eta);
    fprintf(stderr,
            "\r\033[Kbench: %d/%d runs done, %d running, %d failed | %s elapsed, ETA %s | "
            "%.0f tokens, $%.4f",
            p->done, p->total, p->running, p->failed, e1, e2, tokens, dollars);
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
        return LLMBO_EXIT_FAILURE;
    }
    size_t len = strlen(text);
    char *full = llmbo_malloc(len + 2, 1);
    if (!full) {
        cJSON_free(text);
        fprintf(stderr, "llmbo bench: out of memory\n");
        return LLMBO_EXIT_FAILURE;
    }
    memcpy(full, text, len);
    full[len] = '\n';
    full[len + 1] = '\0';
    cJSON_free(text);
    char path[4096];
    snprintf(path, sizeof path, "%s/bench.json", out);
    int rc = LLMBO_EXIT_OK;
    llmbo_error err;
    llmbo_error_clear(&err);
    if (llmbo_path_exists(path)) {
        char *old = llmbo_read_file(path, NULL, &err);
        if (!old) {
            fprintf(stderr, "llmbo bench: %s\n", err.msg);
            rc = LLMBO_EXIT_FAILURE;
        } else if (strcmp(old, full) != 0) {
            fprintf(stderr,
                    "llmbo bench: %s describes a different bench (other config or llmbo "
                    "version); use another --out, or remove the directory to start over\n",
                    path);
            rc = LLMBO_EXIT_USAGE;
        }
        llmbo_free(old);
    } else if (llmbo_write_file_atomic(path, full, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo bench: %s\n", err.msg);
        rc = LLMBO_EXIT_FAILURE;
    }
    llmbo_free(full);
    return rc;
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
        return LLMBO_EXIT_FAILURE;
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
        snprintf(path, sizeof path, "%s/summary.json", c->dir);
        if (llmbo_path_exists(path)) {
            c->state = CELL_DONE;
            cell_read_cost(c);
            continue;
        }
        cJSON *cfg = llmbo_bench_cell_config(b, i);
        char *text = cfg ? cJSON_Print(cfg) : NULL;
        cJSON_Delete(cfg);
        int ok = text != NULL;
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
            return LLMBO_EXIT_FAILURE;
        }
    }
    *cells_out = cells;
    *n_out = n;
    return LLMBO_EXIT_OK;
}

int llmbo_cmd_bench(int argc, char **argv)
{
    const char *config = NULL, *out = "bench-out";
    long jobs = 1, shard = 1, n_shards = 1;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            bench_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strncmp(a, "-j", 2) == 0) {
            const char *v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || !parse_int(v, 1, 1024, &jobs)) {
                fprintf(stderr, "llmbo bench: -j: expected a number of processes in 1..1024\n");
                return LLMBO_EXIT_USAGE;
            }
        } else if (strcmp(a, "--shard") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            char buf[64];
            char *slash = NULL;
            if (v) {
                snprintf(buf, sizeof buf, "%s", v);
                slash = strchr(buf, '/');
            }
            if (!slash) {
                fprintf(stderr, "llmbo bench: --shard: expected I/N, e.g. --shard 2/3\n");
                return LLMBO_EXIT_USAGE;
            }
            *slash = '\0';
            if (!parse_int(slash + 1, 1, 1000000, &n_shards) ||
                !parse_int(buf, 1, n_shards, &shard)) {
                fprintf(stderr, "llmbo bench: --shard %s: expected I/N with 1 <= I <= N\n", v);
                return LLMBO_EXIT_USAGE;
            }
        } else if (strcmp(a, "--out") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "llmbo bench: --out needs a directory\n");
                return LLMBO_EXIT_USAGE;
            }
            out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "llmbo bench: unknown option '%s'\n", a);
            bench_usage(stderr);
            return LLMBO_EXIT_USAGE;
        } else if (config) {
            fprintf(stderr, "llmbo bench: only one CONFIG may be given ('%s' and '%s')\n", config,
                    a);
            return LLMBO_EXIT_USAGE;
        } else {
            config = a;
        }
    }
    if (!config) {
        bench_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    llmbo_error err;
    llmbo_error_clear(&err);
    llmbo_bench *b = NULL;
    if (llmbo_bench_load(config, &b, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo bench: %s\n", err.msg);
        return err.status == LLMBO_ERR_IO || err.status == LLMBO_ERR_NOMEM ? LLMBO_EXIT_FAILURE
                                                                           : LLMBO_EXIT_USAGE;
    }
    if (llmbo_bench_validate(b, config, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo bench: %s\n", err.msg);
        llmbo_bench_free(b);
        return err.status == LLMBO_ERR_NOMEM ? LLMBO_EXIT_FAILURE : LLMBO_EXIT_USAGE;
    }
    char locks[4096];
    snprintf(locks, sizeof locks, "%s/locks", out);
    if (llmbo_mkdir_p(out, &err) != LLMBO_OK || llmbo_mkdir_p(locks, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo bench: %s\n", err.msg);
        llmbo_bench_free(b);
        return LLMBO_EXIT_FAILURE;
    }
    int rc = write_manifest(b, out);
    cell *cells = NULL;
    int n = 0;
    if (rc == LLMBO_EXIT_OK)
        rc = prepare_cells(b, out, (int)shard, (int)n_shards, &cells, &n);
    int slots = b->advisor_concurrency;
    llmbo_bench_free(b);
    if (rc != LLMBO_EXIT_OK)
        return rc;

    progress pg = {0};
    pg.tty = isatty(STDERR_FILENO);
    pg.quiet = quiet;
    pg.t0 = llmbo_now();
    pg.total = n;
    pg.jobs = (int)jobs;
    for (int i = 0; i < n; i++)
        if (cells[i].state == CELL_DONE) {
            pg.done++;
            pg.skipped++;
        }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    int next = 0; /* scan position over pending cells */
    int advisor_running = 0;
    while (!bench_stop) {
        /* launch while there is room; a cell waiting for an advisor slot does not block
         * classical cells behind it */
        for (int i = next; i < n && pg.running < jobs && !bench_stop; i++) {
            cell *c = &cells[i];
            if (c->state != CELL_PENDING)
                continue;
            int slot_fd = -1;
            if (c->advisor && slots > 0) {
                if (advisor_running >= slots || (slot_fd = slot_take(out, slots)) < 0)
                    continue;
            }
            c->started = llmbo_now();
            c->pid = cell_start(c, slot_fd);
            if (slot_fd >= 0)
                close(slot_fd);
            if (c->pid < 0) {
                fprintf(stderr, "%sllmbo bench: fork failed: %s\n", pg.tty && !quiet ? "\n" : "",
                        strerror(errno));
                c->state = CELL_FAILED;
                pg.failed++;
                continue;
            }
            c->state = CELL_RUNNING;
            pg.running++;
            advisor_running += c->advisor;
        }
        while (next < n && cells[next].state != CELL_PENDING)
            next++;
        if (pg.running == 0 && next >= n)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            progress_draw(&pg, cells, n, 0);
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        for (int i = 0; i < n; i++) {
            cell *c = &cells[i];
            if (c->state != CELL_RUNNING || c->pid != pid)
                continue;
            pg.running--;
            advisor_running -= c->advisor;
            pg.finished_here++;
            char path[2200];
            snprintf(path, sizeof path, "%s/summary.json", c->dir);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && llmbo_path_exists(path)) {
                c->state = CELL_DONE;
                pg.done++;
            } else {
                c->state = CELL_FAILED;
                pg.failed++;
                {
                    char why[64];
                    if (WIFSIGNALED(status))
                        snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
                    else
                        snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
                    fprintf(stderr, "%sllmbo bench: run %s failed (%s); see %s/run.log\n",
                            pg.tty && !quiet ? "\r\033[K" : "", c->dir, why, c->dir);
                }
            }
            cell_read_cost(c);
            break;
        }
        progress_draw(&pg, cells, n, 1);
    }
    if (bench_stop) {
        for (int i = 0; i < n; i++)
            if (cells[i].state == CELL_RUNNING)
                kill(cells[i].pid, SIGTERM);
        for (int i = 0; i < n; i++)
            if (cells[i].state == CELL_RUNNING)
                waitpid(cells[i].pid, NULL, 0);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    progress_draw(&pg, cells, n, 1);
    if (pg.tty && !quiet)
        fprintf(stderr, "\n");
    char el[32];
    fmt_hms(el, sizeof el, llmbo_now() - pg.t0);
    if (bench_stop) {
        fprintf(stderr,
                "llmbo bench: interrupted by signal %d after %s; %d of %d runs done. Run the same "
                "command again to resume.\n",
                (int)bench_stop, el, pg.done, pg.total);
        rc = LLMBO_EXIT_FAILURE;
    } else {
        if (!quiet)
            fprintf(stderr,
                    "llmbo bench: %d of %d runs done (%d were already done), %d failed, in %s; "
                    "next: llmbo report %s\n",
                    pg.done, pg.total, pg.skipped, pg.failed, el, out);
        rc = pg.failed ? LLMBO_EXIT_FAILURE : LLMBO_EXIT_OK;
    }
    llmbo_free(cells);
    return rc;
}
