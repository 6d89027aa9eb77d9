/* cmd_run.c: `llmbo run CONFIG.json [--seed N] [--out DIR] [--resume DIR] [-q]`: one
 * optimisation run (run/run.c). The summary JSON goes to stdout at the end; a progress line is
 * redrawn on stderr when stderr is a terminal and -q is not given. Without --out the run still
 * keeps its journal, in a new directory under runs/ named on stderr at the start; Ctrl-C says
 * how to resume. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "llmbo.h"
#include "run.h"
#include "config.h"

static void run_usage(FILE *f)
{
    fprintf(
        f, "usage: llmbo run CONFIG.json [--seed N] [--out DIR] [-j N] [--max-failures K] [-q]\n"
           "       llmbo run [CONFIG.json] --resume DIR [-j N] [--max-failures K] [-q]\n\n"
           "Runs one optimisation described by CONFIG.json (keys in docs/config.md) and prints\n"
           "its summary as JSON on stdout. With --out DIR it writes DIR/config.json (the\n"
           "resolved config), DIR/journal.jsonl (one line per evaluation, made durable before\n"
           "the next proposal) and DIR/summary.json (docs/formats.md). --resume DIR continues a\n"
           "run that was interrupted at any point, reading DIR/config.json and the journal: no\n"
           "evaluation is lost or repeated, and a deterministic strategy ends exactly as an\n"
           "uninterrupted run would; CONFIG.json, if given, must be that run's config. Without\n"
           "--out the run directory is runs/NAME-YYYYmmdd-HHMMSS (named on stderr at the start).\n"
           "The first failed evaluation's reason is printed on stderr, later ones are counted.\n\n"
           "options:\n"
           "  --seed N          override the config's seed (new runs only)\n"
           "  --out DIR         the run directory: new, empty, or an llmbo run directory without\n"
           "                    evaluations (a directory holding other files is refused)\n"
           "  --resume DIR      continue the run in DIR (also one driven by llmbo ask/tell: its\n"
           "                    pending points are evaluated first)\n"
           "  -j, --workers N   evaluate up to N points at once (overrides \"workers\"; see\n"
           "                    \"dispatch\" in docs/config.md for what stays deterministic)\n"
           "  --max-failures K  stop after K failed evaluations in a row (default 10; 0: never)\n"
           "  -q, --quiet       no progress line\n"
           "  -h, --help        show this help\n\n"
           "exit codes: 0 success, 1 run failure, 2 usage or configuration error, 3 no evaluation\n"
           "succeeded or K failed in a row (130 interrupted: resume with --resume DIR)\n");
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s[0] || s[0] == '-')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > 9007199254740992ULL)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

/* What Ctrl-C prints: prepared before the handler is installed (write() is async-signal-safe,
 * formatting is not). The journal holds every finished evaluation; a torn last line is cut
 * off by --resume, as after SIGKILL. */
static char interrupt_msg[4600];

static void on_interrupt(int sig)
{
    ssize_t n = write(STDERR_FILENO, interrupt_msg, strlen(interrupt_msg));
    (void)n;
    signal(sig, SIG_DFL);
    _exit(128 + sig);
}

/* A new directory runs/NAME-YYYYmmdd-HHMMSS[-k] for a run given no --out (NAME: the config's
 * file name without .json). 0 on success. */
static int default_out_dir(const char *config, char *buf, size_t n)
{
    const char *base = strrchr(config, '/');
    base = base ? base + 1 : config;
    char name[128];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strstr(name, ".json");
    if (dot && dot[5] == '\0')
        *dot = '\0';
    for (char *p = name; *p; p++)
        if (*p == ' ' || (unsigned char)*p < 0x20)
            *p = '_';
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    if (mkdir("runs", 0777) != 0 && errno != EEXIST)
        return -1;
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(buf, n, "runs/%s-%s", name[0] ? name : "run", stamp);
        else
            snprintf(buf, n, "runs/%s-%s-%d", name[0] ? name : "run", stamp, k);
        if (mkdir(buf, 0777) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

/* A count option's value: an integer in [lo, hi] (hi < 0: no upper bound). 0 if it is not. */
static int parse_count(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long k = strtol(v, &end, 10);
    if (errno || *end || !v[0] || k < lo || (hi >= 0 && k > hi))
        return 0;
    *out = k;
    return 1;
}

/* Reads the arguments into *a and *quiet. Returns -1 to go on, else the exit code (help, or a
 * usage error already printed). */
static int parse_run_args(int argc, char **argv, llmbo_run_args *a, int *quiet)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            run_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (strcmp(s, "-q") == 0 || strcmp(s, "--quiet") == 0) {
            *quiet = 1;
        } else if (strcmp(s, "--seed") == 0 && has_val) {
            if (!parse_seed(argv[++i], &a->seed)) {
                fprintf(stderr,
                        "llmbo run: --seed: expected a non-negative integer below 2^53, "
                        "got '%s'\n",
                        argv[i]);
                return LLMBO_EXIT_USAGE;
            }
            a->have_seed = 1;
        } else if (strcmp(s, "--out") == 0 && has_val) {
            a->out_dir = argv[++i];
        } else if (strcmp(s, "--resume") == 0 && has_val) {
            a->resume_dir = argv[++i];
        } else if ((strcmp(s, "-j") == 0 || strcmp(s, "--workers") == 0) && has_val) {
            long k;
            if (!parse_count(argv[++i], 1, LLMBO_RUN_MAX_WORKERS, &k)) {
                fprintf(stderr, "llmbo run: %s: expected an integer in [1, %d], got '%s'\n", s,
                        LLMBO_RUN_MAX_WORKERS, argv[i]);
                return LLMBO_EXIT_USAGE;
            }
            a->workers = (int)k;
        } else if (strcmp(s, "--max-failures") == 0 && has_val) {
            if (!parse_count(argv[++i], 0, -1, &a->max_consecutive_failures)) {
                fprintf(stderr,
                        "llmbo run: --max-failures: expected a non-negative integer (0: never "
                        "stop), got '%s'\n",
                        argv[i]);
                return LLMBO_EXIT_USAGE;
            }
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "llmbo run: unknown option or missing value: '%s'\n\n", s);
            run_usage(stderr);
            return LLMBO_EXIT_USAGE;
        } else if (!a->config_path) {
            a->config_path = s;
        } else {
            fprintf(stderr, "llmbo run: unexpected argument '%s'\n\n", s);
            run_usage(stderr);
            return LLMBO_EXIT_USAGE;
        }
    }
    if (a->resume_dir && (a->have_seed || a->out_dir)) {
        fprintf(stderr, "llmbo run: --resume DIR takes the seed and directory from DIR; give no "
                        "--seed or --out with it\n");
        return LLMBO_EXIT_USAGE;
    }
    if (!a->resume_dir && !a->config_path) {
        fprintf(stderr, "llmbo run: missing CONFIG.json\n\n");
        run_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    return -1;
}

/* Ctrl-C and SIGTERM print how to resume the run in WHERE, then exit 128 + signal. */
static void catch_interrupts(const char *where)
{
    snprintf(interrupt_msg, sizeof interrupt_msg,
             "\nllmbo run: interrupted; every finished evaluation is in %s/journal.jsonl. Continue "
             "with: llmbo run --resume %s\n",
             where, where);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int llmbo_cmd_run(int argc, char **argv)
{
    llmbo_run_args a;
    int quiet = 0;
    memset(&a, 0, sizeof a);
    a.max_consecutive_failures = 10;
    int rc = parse_run_args(argc, argv, &a, &quiet);
    if (rc >= 0)
        return rc;
    char dir[4096];
    if (!a.resume_dir && !a.out_dir) {
        /* Without --out a crash or Ctrl-C used to lose every evaluation: keep a journal. */
        if (default_out_dir(a.config_path, dir, sizeof dir) != 0) {
            fprintf(stderr,
                    "llmbo run: cannot create a run directory under runs/: %s; give --out\n",
                    strerror(errno));
            return LLMBO_EXIT_FAILURE;
        }
        a.out_dir = dir;
        fprintf(stderr, "llmbo run: writing the run to %s (no --out given)\n", dir);
    }
    catch_interrupts(a.resume_dir ? a.resume_dir : a.out_dir);
    a.progress = !quiet && isatty(STDERR_FILENO);
    a.summary_out = stdout;
    llmbo_error err;
    int user_error = 0;
    memset(&err, 0, sizeof err);
    llmbo_status st = llmbo_run_exec(&a, &user_error, &err);
    if (st != LLMBO_OK) {
        fprintf(stderr, "llmbo run: %s\n", err.msg[0] ? err.msg : llmbo_strerror(st));
        if (st == LLMBO_ERR_OBJECTIVE && !user_error)
            return LLMBO_EXIT_OBJECTIVE;
        return user_error ? LLMBO_EXIT_USAGE : LLMBO_EXIT_FAILURE;
    }
    return LLMBO_EXIT_OK;
}
