/* external.c: one evaluation of an external-command objective. The command runs under
 * /bin/sh -c in its own process group; it gets {"name": value, ...} (categoricals as their choice
 * string) and a newline on stdin, and must print a number or {"value": number} on stdout. Every
 * way it can fail (timeout, non-zero exit, signal, garbage, empty or non-finite output) becomes
 * LLMBO_ERR_OBJECTIVE with the reason and the tail of its stderr. The child is always reaped,
 * and its process group is killed once it exits or times out, so no process outlives the
 * evaluation and no zombie remains. SIGPIPE raised by writing to a child that does not read its
 * stdin is blocked and consumed in the calling thread only. Evaluations may run in several
 * threads at once (llmbo run's workers): pipe creation and fork are serialised, so no child
 * inherits another evaluation's pipe before it is marked close-on-exec (a child holding a
 * sibling's stdin open would keep that sibling waiting for end of input). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "objective_impl.h"
#include "objective_json.h"
#include "strbuf.h"

#define EXT_MAX_STDOUT  (1 << 20) /* bytes of stdout accepted */
#define EXT_STDERR_TAIL 400       /* bytes of stderr kept for the error message */
#define EXT_TICK_MS     20        /* poll period while waiting, to notice the child's exit */
#define EXT_DRAIN_S     0.2       /* seconds to keep reading after the child exited */

typedef struct ext_out {
    llmbo_strbuf out; /* stdout */
    int overflow;
    char tail[EXT_STDERR_TAIL + 1]; /* last bytes of stderr, NUL-terminated */
    size_t tail_len;
} ext_out;

/* Builds the line sent on stdin; NULL on allocation failure. Free with llmbo_free. */
static char *input_json(const llmbo_space *space, const double *x)
{
    /* cJSON's own number printing, as external objectives have always read it. */
    cJSON *o = llmbo_space_point_to_json(space, x, cJSON_CreateNumber);
    if (!o)
        return NULL;
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *line = llmbo_malloc(n + 2, 1);
    if (line) {
        memcpy(line, s, n);
        line[n] = '\n';
        line[n + 1] = '\0';
    }
    cJSON_free(s);
    return line;
}

static int set_cloexec_nonblock(int fd, int nonblock)
{
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
        return -1;
    if (nonblock) {
        fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            return -1;
    }
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void append_tail(ext_out *o, const char *b, size_t n)
{
    if (n >= EXT_STDERR_TAIL) {
        memcpy(o->tail, b + n - EXT_STDERR_TAIL, EXT_STDERR_TAIL);
        o->tail_len = EXT_STDERR_TAIL;
    } else {
        size_t keep = o->tail_len + n > EXT_STDERR_TAIL ? EXT_STDERR_TAIL - n : o->tail_len;
        memmove(o->tail, o->tail + o->tail_len - keep, keep);
        memcpy(o->tail + keep, b, n);
        o->tail_len = keep + n;
    }
    o->tail[o->tail_len] = '\0';
}

static int append_out(ext_out *o, const char *b, size_t n)
{
    if (o->out.len + n > EXT_MAX_STDOUT) {
        o->overflow = 1;
        return 0;
    }
    llmbo_strbuf_add(&o->out, b, n);
    return o->out.oom ? -1 : 0;
}

/* Stderr tail made printable on one line. */
static void clean_tail(char *s)
{
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

static llmbo_status fail(llmbo_error *err, const char *command, ext_out *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static llmbo_status fail(llmbo_error *err, const char *command, ext_out *o, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    char *tail = o ? o->tail : NULL;
    if (tail) {
        clean_tail(tail);
        const char *t = tail;
        while (*t == ' ')
            t++;
        tail = *t ? (char *)t : NULL;
    }
    const char *ell = strlen(command) > 80 ? "..." : "";
    return llmbo_error_set(err, LLMBO_ERR_OBJECTIVE, "external objective \"%.80s%s\": %s%s%s",
                           command, ell, reason, tail ? "; stderr: " : "", tail ? tail : "");
}

/* Parses the child's stdout: a bare number (strtod syntax, surrounding white space allowed) or
 * a JSON object whose "value" is a number. */
static llmbo_status parse_output(const char *command, ext_out *o, double *y, llmbo_error *err)
{
    if (o->overflow)
        return fail(err, command, o, "printed more than %d bytes", EXT_MAX_STDOUT);
    /* A NUL would end every string function's view early: "1.5\0garbage" read as 1.5. */
    const char *nul = o->out.s ? memchr(o->out.s, '\0', o->out.len) : NULL;
    if (nul)
        return fail(err, command, o,
                    "printed a NUL byte at byte %zu (expected a number or {\"value\": number})",
                    (size_t)(nul - o->out.s));
    const char *s = o->out.s ? o->out.s : "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n == 0)
        return fail(err, command, o, "printed nothing (expected a number or {\"value\": number})");
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s + n) {
        if (!isfinite(v))
            return fail(err, command, o, "returned a non-finite value (%.*s)",
                        (int)(n > 40 ? 40 : n), s);
        *y = v;
        return LLMBO_OK;
    }
    cJSON *j = cJSON_ParseWithLength(s, n);
    if (j && cJSON_IsObject(j)) {
        cJSON *val = cJSON_GetObjectItemCaseSensitive(j, "value");
        if (cJSON_IsNumber(val)) {
            v = val->valuedouble;
            cJSON_Delete(j);
            if (!isfinite(v))
                return fail(err, command, o, "returned a non-finite value");
            *y = v;
            return LLMBO_OK;
        }
        cJSON_Delete(j);
        return fail(err, command, o, "printed a JSON object without a numeric \"value\"");
    }
    cJSON_Delete(j);
    char shown[64];
    snprintf(shown, sizeof shown, "%.*s", (int)(n > 40 ? 40 : n), s);
    clean_tail(shown);
    return fail(err, command, o, "printed \"%s%s\" (expected a number or {\"value\": number})",
                shown, n > 40 ? "..." : "");
}

llmbo_status llmbo_external_parse(const char *command, const char *out, size_t len, double *y,
                                  llmbo_error *err)
{
    ext_out o;
    memset(&o, 0, sizeof o);
    if (append_out(&o, out, len) < 0)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "external objective: out of memory");
    llmbo_status st = parse_output(command, &o, y, err);
    llmbo_strbuf_free(&o.out);
    return st;
}

/* Held from pipe creation to fork (see the file comment). */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

llmbo_status llmbo_external_eval(const char *command, const llmbo_space *space, double timeout_s,
                                 const double *x, double *y, llmbo_error *err)
{
    ext_out out = {0};
    char *input = input_json(space, x);
    if (!input)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    size_t in_len = strlen(input), in_off = 0;
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    pthread_mutex_lock(&spawn_lock);
    if (pipe(pin) < 0 || pipe(pout) < 0 || pipe(perr) < 0) {
        int e = errno;
        pthread_mutex_unlock(&spawn_lock);
        close_fd(&pin[0]), close_fd(&pin[1]), close_fd(&pout[0]), close_fd(&pout[1]);
        close_fd(&perr[0]), close_fd(&perr[1]);
        llmbo_free(input);
        return fail(err, command, NULL, "cannot create pipes: %s", strerror(e));
    }
    for (int i = 0; i < 2; i++) {
        set_cloexec_nonblock(pin[i], i == 1);
        set_cloexec_nonblock(pout[i], i == 0);
        set_cloexec_nonblock(perr[i], i == 0);
    }
    /* Block SIGPIPE in this thread while writing to the child; consume it afterwards. */
    sigset_t pipe_set, old_mask;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    int pipe_was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);

    double t0 = llmbo_now();
    pid_t pid = fork();
    if (pid != 0)
        pthread_mutex_unlock(&spawn_lock);
    if (pid < 0) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        close_fd(&pin[0]), close_fd(&pin[1]), close_fd(&pout[0]), close_fd(&pout[1]);
        close_fd(&perr[0]), close_fd(&perr[1]);
        llmbo_free(input);
        return fail(err, command, NULL, "cannot fork: %s", strerror(e));
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls from here to exec. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        setpgid(0, 0);
        if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0)
            _exit(127);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid); /* also from the parent, so the group exists before any kill below */
    close_fd(&pin[0]);
    close_fd(&pout[1]);
    close_fd(&perr[1]);

    int timed_out = 0, nomem = 0, status = 0;
    double exit_time = -1; /* when the child was seen to exit; output is drained briefly after */
    char buf[4096];
    for (;;) {
        struct pollfd fds[3];
        int nf = 0, idx_in = -1, idx_out = -1, idx_err = -1;
        if (pin[1] >= 0) {
            fds[nf] = (struct pollfd){.fd = pin[1], .events = POLLOUT};
            idx_in = nf++;
        }
        if (pout[0] >= 0) {
            fds[nf] = (struct pollfd){.fd = pout[0], .events = POLLIN};
            idx_out = nf++;
        }
        if (perr[0] >= 0) {
            fds[nf] = (struct pollfd){.fd = perr[0], .events = POLLIN};
            idx_err = nf++;
        }
        double now = llmbo_now();
        if (exit_time >= 0 && (nf == 0 || now - exit_time > EXT_DRAIN_S))
            break; /* exited; a background process may hold the pipes open, but we stop here */
        if (timeout_s > 0 && now - t0 >= timeout_s) {
            timed_out = 1;
            break;
        }
        /* Wake up at least every EXT_TICK_MS to notice the child's exit. */
        int wait_ms = nf ? EXT_TICK_MS : 2;
        if (timeout_s > 0 && (timeout_s - (now - t0)) * 1000 < wait_ms)
            wait_ms = (int)((timeout_s - (now - t0)) * 1000) + 1;
        int r = poll(nf ? fds : NULL, (nfds_t)nf, wait_ms);
        if (r < 0 && errno != EINTR)
            break;
        if (exit_time < 0) {
            /* WNOWAIT: observe the exit without reaping, so the pid stays a valid group id. */
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
                exit_time = llmbo_now();
        }
        if (r <= 0)
            continue;
        if (idx_in >= 0 && fds[idx_in].revents) {
            ssize_t w = write(pin[1], input + in_off, in_len - in_off);
            if (w > 0)
                in_off += (size_t)w;
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                close_fd(&pin[1]); /* EPIPE: the child does not read its input */
            else if (in_off >= in_len)
                close_fd(&pin[1]);
        }
        int fdsel[2] = {idx_out, idx_err};
        int *fdp[2] = {&pout[0], &perr[0]};
        for (int k = 0; k < 2; k++) {
            if (fdsel[k] < 0 || !fds[fdsel[k]].revents)
                continue;
            ssize_t n = read(*fdp[k], buf, sizeof buf);
            if (n > 0) {
                if (k == 0) {
                    if (append_out(&out, buf, (size_t)n) < 0)
                        nomem = 1;
                } else {
                    append_tail(&out, buf, (size_t)n);
                }
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(fdp[k]);
            }
        }
        if (nomem)
            break;
    }
    /* Kill the whole group (stragglers after a normal exit, everything after a timeout or an
     * error), then reap the child. The child is not yet reaped, so its pid, which is the group
     * id, cannot have been reused. */
    kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    close_fd(&pin[1]);
    close_fd(&pout[0]);
    close_fd(&perr[0]);
    llmbo_free(input);
    /* Discard a SIGPIPE raised by our writes, then restore the mask. */
    sigpending(&pending);
    if (!pipe_was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);

    llmbo_status st;
    if (nomem)
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    else if (timed_out)
        st = fail(err, command, &out, "timed out after %g s (process group killed)", timeout_s);
    else if (WIFSIGNALED(status))
        st = fail(err, command, &out, "killed by signal %d (%s)", WTERMSIG(status),
                  strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        st = fail(err, command, &out, "exited with status %d", WEXITSTATUS(status));
    else
        st = parse_output(command, &out, y, err);
    llmbo_strbuf_free(&out.out);
    return st;
}
