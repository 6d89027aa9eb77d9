/* test_external.c: external-command objectives. What the command receives on stdin, the two
 * accepted answers (a bare number, {"value": number}), and every failure mode with its exact
 * reason: timeout, non-zero exit (with the stderr tail), death by a signal, garbage, empty
 * output, NaN/inf, a JSON object without "value". Also: a command that closes its stdin (no
 * SIGPIPE death), a background process left behind (killed with the group), no zombie left,
 * and an allocation-failure sweep over create_external. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "llmbo.h"
#include "llmbo_common.h"

static const char *const solvents[] = {"water", "ethanol", "toluene"};

static llmbo_space *make_space(void)
{
    llmbo_space *s = llmbo_space_create();
    llmbo_param p[3] = {
        {.name = "temp", .type = LLMBO_PARAM_CONTINUOUS, .lo = 0, .hi = 100, .unit = "degC"},
        {.name = "steps", .type = LLMBO_PARAM_INTEGER, .lo = 1, .hi = 9},
        {.name = "solvent", .type = LLMBO_PARAM_CATEGORICAL, .n_choices = 3, .choices = solvents},
    };
    for (int i = 0; i < 3; i++)
        CHECK_OK(llmbo_space_add(s, &p[i], NULL));
    return s;
}

static const double X[3] = {37.25, 4, 2};

/* Evaluates command once; returns the status, fills y and msg. */
static llmbo_status run(const char *command, double timeout, double *y, llmbo_error *err)
{
    llmbo_space *s = make_space();
    llmbo_objective *o = NULL;
    llmbo_status st = llmbo_objective_create_external(command, s, timeout, 0, &o, err);
    llmbo_space_free(s);
    if (st != LLMBO_OK)
        return st;
    llmbo_error_clear(err);
    st = llmbo_objective_eval(o, X, y, err);
    llmbo_objective_free(o);
    return st;
}

static void expect_fail(const char *command, double timeout, const char *reason)
{
    llmbo_error err;
    double y = 0;
    char want[1200];
    snprintf(want, sizeof want, "external objective \"%s\": %s", command, reason);
    llmbo_status st = run(command, timeout, &y, &err);
    CHECK(st == LLMBO_ERR_OBJECTIVE && strcmp(err.msg, want) == 0 && isnan(y), "%s -> \"%s\"",
          command, err.msg);
}

static double elapsed_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

static void test_protocol(void)
{
    llmbo_error err;
    double y = 0;
    const char *in_path = "test_external_stdin.txt";
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cat > %s; echo ' 2.5e-1 '", in_path);
    CHECK_OK(run(cmd, 10, &y, &err));
    CHECK(y == 0.25, "bare number with white space: %g", y);
    FILE *f = fopen(in_path, "r");
    char line[256] = "";
    CHECK(f && fgets(line, sizeof line, f), "stdin captured");
    if (f)
        fclose(f);
    remove(in_path);
    CHECK(strcmp(line, "{\"temp\":37.25,\"steps\":4,\"solvent\":\"toluene\"}\n") == 0,
          "stdin is the named point, categorical as its choice: %s", line);
    CHECK_OK(run("cat >/dev/null; echo '{\"value\": -3.125, \"note\": \"ok\"}'", 10, &y, &err));
    CHECK(y == -3.125, "JSON object value: %g", y);
    CHECK_OK(run("exec 0<&-; echo 4", 10, &y, &err));
    CHECK(y == 4, "a command that closes its stdin does not raise SIGPIPE here: %g", y);
    CHECK_OK(run("cat >/dev/null; echo debug output >&2; echo 1.5", 0, &y, &err));
    CHECK(y == 1.5, "stderr is ignored on success, no timeout given: %g", y);
}

static void test_failures(void)
{
    expect_fail("cat >/dev/null; echo oops >&2; exit 3", 10, "exited with status 3; stderr: oops");
    expect_fail("exit 1", 10, "exited with status 1");
    expect_fail("kill -TERM $$", 10, "killed by signal 15 (Terminated)");
    expect_fail("cat >/dev/null; echo hello world", 10,
                "printed \"hello world\" (expected a number or {\"value\": number})");
    expect_fail("cat >/dev/null; echo '1.5 2.5'", 10,
                "printed \"1.5 2.5\" (expected a number or {\"value\": number})");
    expect_fail("true", 10, "printed nothing (expected a number or {\"value\": number})");
    expect_fail("echo nan", 10, "returned a non-finite value (nan)");
    expect_fail("echo -inf", 10, "returned a non-finite value (-inf)");
    expect_fail("echo '{\"val\": 3}'", 10, "printed a JSON object without a numeric \"value\"");
    expect_fail("echo '{\"value\": \"3\"}'", 10,
                "printed a JSON object without a numeric \"value\"");
    expect_fail("echo '[1]'", 10, "printed \"[1]\" (expected a number or {\"value\": number})");
    /* F11: "1.5\0garbage" was accepted as 1.5 (strlen stopped at the NUL). */
    expect_fail("printf '1.5\\000garbage'", 10,
                "printed a NUL byte at byte 3 (expected a number or {\"value\": number})");
    expect_fail("head -c 1500000 /dev/zero | tr '\\0' 7", 10, "printed more than 1048576 bytes");
    expect_fail("llmbo_no_such_command_xyz", 10,
                "exited with status 127; stderr: sh: 1: llmbo_no_such_command_xyz: not found");
    /* Only the tail of a long stderr is kept. */
    llmbo_error err;
    double y;
    CHECK(run("i=0; while [ $i -lt 300 ]; do echo line$i >&2; i=$((i+1)); done; echo END >&2; "
              "exit 2",
              10, &y, &err) == LLMBO_ERR_OBJECTIVE,
          "long stderr fails");
    size_t n = strlen(err.msg);
    CHECK(n < 700 && n > 4 && strcmp(err.msg + n - 4, " END") == 0 &&
              strstr(err.msg, "exited with status 2; stderr: ") != NULL,
          "stderr tail kept (%zu chars): ...%s", n, err.msg + (n > 60 ? n - 60 : 0));
    /* Timeout: the whole process group is killed, long before the command would end. The
     * bounds are a tenth of the commands' 300 s, so a loaded machine cannot fail them. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_fail("sleep 300", 0.3, "timed out after 0.3 s (process group killed)");
    double dt = elapsed_since(&t0);
    CHECK(dt >= 0.3 && dt < 30, "timeout honoured: %.3f s", dt);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_fail("echo partial; sleep 300 & sleep 300; echo 1", 0.4,
                "timed out after 0.4 s (process group killed)");
    dt = elapsed_since(&t0);
    CHECK(dt < 30, "timeout with a background child: %.3f s", dt);
}

/* 1 if pid is a zombie (dead, not yet reaped): state 'Z' in /proc/PID/stat. */
static int zombie(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    return p && p[1] == ' ' && p[2] == 'Z';
}

/* A background process that keeps the pipes open is killed when the command exits. */
static void test_background(void)
{
    const char *pid_path = "test_external_bg.pid";
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sleep 300 & echo $! > %s; echo 7", pid_path);
    llmbo_error err;
    double y = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(run(cmd, 0, &y, &err));
    double dt = elapsed_since(&t0);
    CHECK(y == 7 && dt < 30, "value read although a background process holds stdout (%.3f s)", dt);
    FILE *f = fopen(pid_path, "r");
    long bg = 0;
    CHECK(f && fscanf(f, "%ld", &bg) == 1 && bg > 0, "background pid recorded");
    if (f)
        fclose(f);
    remove(pid_path);
    /* Dead is gone or a zombie not yet reaped by its new parent (which a loaded machine may
     * take a while to do). Waited for as long as 30 s: a liveness bound, not a timing check. */
    int gone = 0;
    for (int i = 0; i < 3000 && bg > 0 && !gone; i++) {
        gone = (kill((pid_t)bg, 0) != 0 && errno == ESRCH) || zombie((pid_t)bg);
        if (!gone) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    CHECK(gone, "the background process %ld was killed with the group", bg);
}

static void test_no_zombies(void)
{
    int status;
    pid_t r = waitpid(-1, &status, WNOHANG);
    CHECK(r == -1 && errno == ECHILD, "no child process is left, zombie or alive (waitpid %ld)",
          (long)r);
}

static void test_create_errors_and_sweep(void)
{
    llmbo_space *s = make_space(), *empty = llmbo_space_create();
    llmbo_objective *o = NULL;
    llmbo_error err;
    CHECK(llmbo_objective_create_external("", s, 1, 0, &o, &err) == LLMBO_ERR_INVALID &&
              strcmp(err.msg, "external objective: empty command") == 0,
          "empty command: %s", err.msg);
    CHECK(llmbo_objective_create_external("echo 1", empty, 1, 0, &o, &err) == LLMBO_ERR_INVALID &&
              strcmp(err.msg, "external objective \"echo 1\": needs at least one parameter") == 0,
          "empty space: %s", err.msg);
    CHECK_OK(llmbo_objective_create_external("echo 1", s, 1, 1, &o, &err));
    CHECK(llmbo_objective_maximize(o) == 1 && llmbo_objective_dim(o) == 3 &&
              !llmbo_objective_optimal_value(o, NULL) &&
              strcmp(llmbo_space_param(llmbo_objective_space(o), 2)->choices[1], "ethanol") == 0,
          "external objective: sense, dim, unknown optimum, copied space");
    double bad[3] = {101, 4, 2}, y;
    CHECK(llmbo_objective_eval(o, bad, &y, &err) == LLMBO_ERR_INVALID,
          "out-of-bounds point refused before running: %s", err.msg);
    llmbo_objective_free(o);
    int failures = 0, other = 0, done = 0;
    for (long k = 1; k < 200 && !done; k++) {
        llmbo_test_fail_after(k);
        llmbo_status st = llmbo_objective_create_external("echo 1", s, 1, 0, &o, &err);
        long used = llmbo_test_alloc_count();
        llmbo_test_fail_after(0);
        if (st == LLMBO_OK) {
            done = used < k;
            llmbo_objective_free(o);
        } else if (st == LLMBO_ERR_NOMEM && o == NULL) {
            failures++;
        } else {
            other++;
        }
    }
    CHECK(done && failures > 0 && other == 0,
          "create_external: %d injected allocation failures gave NOMEM (%d other)", failures,
          other);
    /* An allocation failure during an evaluation is NOMEM as well, and leaves nothing behind. */
    CHECK_OK(llmbo_objective_create_external("cat >/dev/null; echo 2", s, 5, 0, &o, &err));
    int eval_nomem = 0, eval_ok = 0;
    for (long k = 1; k < 10; k++) {
        llmbo_test_fail_after(k);
        llmbo_status st = llmbo_objective_eval(o, X, &y, &err);
        llmbo_test_fail_after(0);
        eval_nomem += st == LLMBO_ERR_NOMEM;
        eval_ok += st == LLMBO_OK && y == 2;
    }
    CHECK(eval_nomem > 0 && eval_nomem + eval_ok == 9, "eval under allocation failure: %d NOMEM",
          eval_nomem);
    llmbo_objective_free(o);
    llmbo_space_free(s);
    llmbo_space_free(empty);
}

int main(void)
{
    llmbo_init();
    test_protocol();
    test_failures();
    test_background();
    test_create_errors_and_sweep();
    test_no_zombies();
    return check_summary();
}
