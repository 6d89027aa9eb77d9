/* llm_test_util.h: helpers of the advisor tests: the scripted loopback server (llm_server.py)
 * started as a child process, a small mixed parameter space, and file utilities. */
#ifndef LLMBO_LLM_TEST_UTIL_H
#define LLMBO_LLM_TEST_UTIL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "llmbo.h"

typedef struct test_server {
    pid_t pid;
    int port;
    char script[256], log[256];
} test_server;

static int tmp_counter;

/* Writes text to a fresh file under the test's working directory; returns 0 on success. */
static inline int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Whole file as a malloc'ed string, or NULL. */
static inline char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

static inline int count_lines(const char *path)
{
    char *s = read_text(path);
    int n = 0;
    for (char *p = s; p && *p; p++)
        n += *p == '\n';
    free(s);
    return n;
}

/* Starts llm_server.py with the given script (JSON text). Returns 0 and fills srv, or -1. */
static inline int server_start(test_server *srv, const char *script_json)
{
    const char *py = getenv("LLMBO_PYTHON");
    const char *src = getenv("LLMBO_SOURCE_DIR");
    if (!py || !py[0])
        py = "python3";
    if (!src)
        src = "..";
    char server[1024];
    snprintf(server, sizeof server, "%s/tests/llm_server.py", src);
    tmp_counter++;
    snprintf(srv->script, sizeof srv->script, "llm_script_%d_%d.json", (int)getpid(), tmp_counter);
    snprintf(srv->log, sizeof srv->log, "llm_requests_%d_%d.jsonl", (int)getpid(), tmp_counter);
    remove(srv->log);
    if (write_text(srv->script, script_json) != 0)
        return -1;
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execlp(py, py, server, srv->script, "--log", srv->log, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    srv->pid = pid;
    srv->port = 0;
    if (!f || fscanf(f, "PORT %d", &srv->port) != 1) {
        if (f)
            fclose(f);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    fclose(f);
    return 0;
}

static inline void server_stop(test_server *srv)
{
    if (srv->pid > 0) {
        kill(srv->pid, SIGTERM);
        waitpid(srv->pid, NULL, 0);
        srv->pid = 0;
    }
    remove(srv->script);
}

/* Requests the server received so far. */
static inline int server_requests(const test_server *srv)
{
    return count_lines(srv->log);
}

/* x1 continuous [-5, 10] cm, x2 integer [0, 15], x3 categorical red/green/blue, x4 log. */
static inline llmbo_space *mixed_space(void)
{
    static const char *const colours[] = {"red", "green", "blue"};
    llmbo_space *s = llmbo_space_create();
    llmbo_param p[4] = {
        {"x1", LLMBO_PARAM_CONTINUOUS, -5, 10, 0, NULL, "cm", "position of the slider"},
        {"x2", LLMBO_PARAM_INTEGER, 0, 15, 0, NULL, NULL, "number of layers"},
        {"x3", LLMBO_PARAM_CATEGORICAL, 0, 0, 3, colours, NULL, NULL},
        {"x4", LLMBO_PARAM_LOG, 1e-4, 1e-1, 0, NULL, NULL, "learning rate"},
    };
    for (int i = 0; s && i < 4; i++)
        if (llmbo_space_add(s, &p[i], NULL) != LLMBO_OK) {
            llmbo_space_free(s);
            return NULL;
        }
    return s;
}

#endif
