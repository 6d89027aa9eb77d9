/* sse.c: the server-sent-events decoder and chat stream of sse.h. Lines end in LF, CRLF or CR
 * (a CRLF split across two pieces of the body counts once); a line starting with ':' is a
 * comment; "event:" sets the next event's type, "data:" lines are joined with LF; one space
 * after the colon is dropped; other fields (id, retry) are ignored; a blank line dispatches the
 * event if it has data. At the end of the body a last event without its blank line is still
 * dispatched (a server that omits the final blank line loses nothing; a cut-off event then
 * fails as JSON). Event data is JSON parsed by cJSON; the dialect sees the parsed object. */
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "sse.h"

void llmbo_chat_stream_init(llmbo_chat_stream *cs, const char *dialect, const char *terminator,
                            llmbo_stream_event_fn on_event, llmbo_stream_reply_fn to_reply)
{
    memset(cs, 0, sizeof *cs);
    cs->dialect = dialect;
    cs->terminator = terminator;
    cs->on_event = on_event;
    cs->to_reply = to_reply;
    llmbo_error_clear(&cs->err);
}

void llmbo_chat_stream_free(llmbo_chat_stream *cs)
{
    llmbo_strbuf_free(&cs->content);
    llmbo_strbuf_free(&cs->reasoning);
    llmbo_strbuf_free(&cs->line);
    llmbo_strbuf_free(&cs->data);
    cJSON_Delete(cs->usage);
    cs->usage = NULL;
}

void llmbo_chat_stream_reset(llmbo_chat_stream *cs)
{
    llmbo_chat_stream keep = *cs;
    llmbo_chat_stream_free(cs);
    llmbo_chat_stream_init(cs, keep.dialect, keep.terminator, keep.on_event, keep.to_reply);
    cs->on_progress = keep.on_progress;
    cs->progress_ctx = keep.progress_ctx;
}

void llmbo_chat_stream_piece(llmbo_chat_stream *cs, llmbo_strbuf *b, const char *text)
{
    llmbo_strbuf_puts(b, text);
    cs->pieces++;
    if (cs->on_progress)
        cs->on_progress(cs->progress_ctx, cs->pieces);
}

/* Up to 60 bytes of s for a message, control characters as spaces. */
static void excerpt(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = n < 60 ? n : 60;
    if (k > cap - 1)
        k = cap - 1;
    for (size_t i = 0; i < k; i++)
        out[i] = (unsigned char)s[i] < 32 ? ' ' : s[i];
    out[k] = '\0';
}

static void fail(llmbo_chat_stream *cs, llmbo_status st, const char *msg)
{
    if (cs->st == LLMBO_OK)
        cs->st = llmbo_error_set(&cs->err, st, "%s: %s", cs->dialect, msg);
}

static void dispatch(llmbo_chat_stream *cs)
{
    if (!cs->has_data || cs->done) {
        cs->event[0] = '\0';
        cs->data.len = 0;
        cs->has_data = 0;
        return;
    }
    const char *d = cs->data.s ? cs->data.s : "";
    size_t n = cs->data.len;
    if (n > 0 && d[n - 1] == '\n')
        n--;
    cs->events++;
    cJSON *json = NULL;
    char msg[400];
    if (!(n == 6 && memcmp(d, "[DONE]", 6) == 0)) {
        json = cJSON_ParseWithLength(d, n);
        if (!json) {
            char ex[64];
            excerpt(d, n, ex, sizeof ex);
            snprintf(msg, sizeof msg,
                     "stream event %ld (before byte %zu) is not JSON (data starts with \"%s\")",
                     cs->events, cs->offset, ex);
            fail(cs, LLMBO_ERR_BACKEND, msg);
            return;
        }
    }
    llmbo_error e;
    llmbo_error_clear(&e);
    llmbo_status st = cs->on_event(cs, cs->event, json, &e);
    cJSON_Delete(json);
    if (st != LLMBO_OK) {
        snprintf(msg, sizeof msg, "stream event %ld: %s", cs->events, e.msg);
        fail(cs, st, msg);
        return;
    }
    cs->event[0] = '\0';
    cs->data.len = 0;
    if (cs->data.s)
        cs->data.s[0] = '\0';
    cs->has_data = 0;
}

static void process_line(llmbo_chat_stream *cs)
{
    const char *l = cs->line.s ? cs->line.s : "";
    size_t n = cs->line.len;
    if (n == 0) {
        dispatch(cs);
    } else if (l[0] != ':') {
        const char *colon = memchr(l, ':', n);
        size_t fl = colon ? (size_t)(colon - l) : n;
        const char *v = colon ? colon + 1 : l + n;
        size_t vn = (size_t)(l + n - v);
        if (vn > 0 && v[0] == ' ') {
            v++;
            vn--;
        }
        if (fl == 5 && memcmp(l, "event", 5) == 0) {
            size_t k = vn < sizeof cs->event - 1 ? vn : sizeof cs->event - 1;
            memcpy(cs->event, v, k);
            cs->event[k] = '\0';
        } else if (fl == 4 && memcmp(l, "data", 4) == 0) {
            llmbo_strbuf_add(&cs->data, v, vn);
            llmbo_strbuf_add(&cs->data, "\n", 1);
            cs->has_data = 1;
        }
    }
    cs->line.len = 0;
    if (cs->line.s)
        cs->line.s[0] = '\0';
    if (cs->line.oom || cs->data.oom || cs->content.oom || cs->reasoning.oom)
        fail(cs, LLMBO_ERR_NOMEM, "out of memory reading the stream");
}

llmbo_status llmbo_chat_stream_feed(llmbo_chat_stream *cs, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && cs->st == LLMBO_OK) {
        if (cs->after_cr && p[i] == '\n') {
            cs->after_cr = 0;
            i++;
            continue;
        }
        cs->after_cr = 0;
        size_t j = i;
        while (j < n && p[j] != '\n' && p[j] != '\r')
            j++;
        llmbo_strbuf_add(&cs->line, p + i, j - i);
        cs->offset += j - i;
        if (j == n)
            break;
        cs->after_cr = p[j] == '\r';
        cs->offset++;
        i = j + 1;
        process_line(cs);
    }
    if (cs->line.oom)
        fail(cs, LLMBO_ERR_NOMEM, "out of memory reading the stream");
    return cs->st;
}

void llmbo_chat_stream_flush(llmbo_chat_stream *cs)
{
    if (cs->st == LLMBO_OK && cs->line.len > 0)
        process_line(cs);
    if (cs->st == LLMBO_OK)
        dispatch(cs);
}

llmbo_status llmbo_chat_stream_end(llmbo_chat_stream *cs, llmbo_chat_reply *reply, llmbo_error *err)
{
    llmbo_chat_stream_flush(cs);
    if (cs->st == LLMBO_OK && !cs->done) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "the stream ended before %s, after %ld events and %zu bytes: the answer is "
                 "truncated (connection cut or server stopped)",
                 cs->terminator, cs->events, cs->offset);
        fail(cs, LLMBO_ERR_BACKEND, msg);
    }
    if (cs->st == LLMBO_OK) {
        llmbo_error e;
        llmbo_error_clear(&e);
        llmbo_status st = cs->to_reply(cs, reply, &e);
        if (st != LLMBO_OK) {
            fail(cs, st, e.msg);
            llmbo_free(reply->content);
            llmbo_free(reply->reasoning);
            reply->content = reply->reasoning = NULL;
        }
    }
    if (cs->st != LLMBO_OK && err)
        *err = cs->err;
    return cs->st;
}

llmbo_status llmbo_chat_stream_parse(void (*init)(llmbo_chat_stream *cs), const char *body,
                                     size_t len, llmbo_chat_reply *reply, llmbo_error *err)
{
    llmbo_chat_stream cs;
    init(&cs);
    llmbo_chat_stream_feed(&cs, body, len);
    llmbo_status st = llmbo_chat_stream_end(&cs, reply, err);
    llmbo_chat_stream_free(&cs);
    return st;
}
