/* sse.h: streamed chat answers (llm/ internal). A server-sent-events decoder (text/event-stream,
 * WHATWG HTML "Server-sent events", section "Parsing an event stream") fed with the body as it
 * arrives, and a chat stream on top of it: each event's data is parsed with cJSON and handed to
 * the backend's dialect function, which appends the text deltas and keeps the usage object the
 * stream reports, so that the finished stream is read with the same usage code as a non-streamed
 * answer. Errors are sticky: the first one is kept and later input is ignored. */
#ifndef LLMBO_SSE_H
#define LLMBO_SSE_H

#include <stddef.h>
#include <cJSON.h>
#include "llmbo.h"
#include "strbuf.h"
#include "backend.h"

typedef struct llmbo_chat_stream llmbo_chat_stream;

/* One event of a stream: its type (the "event:" field, "" when absent) and its data parsed as
 * JSON (NULL for a data of exactly "[DONE]", OpenAI's terminator). Returns LLMBO_OK or an error
 * filled into err (message without the dialect prefix, which the stream adds). */
typedef llmbo_status (*llmbo_stream_event_fn)(llmbo_chat_stream *cs, const char *event,
                                              const cJSON *data, llmbo_error *err);
/* The finished stream as a reply: text, reasoning and the usage read as the non-streamed answer's
 * usage is read. */
typedef llmbo_status (*llmbo_stream_reply_fn)(llmbo_chat_stream *cs, llmbo_chat_reply *reply,
                                              llmbo_error *err);

struct llmbo_chat_stream {
    /* set by llmbo_chat_stream_init */
    const char *dialect;            /* "openai", "anthropic": prefixes messages */
    const char *terminator;         /* the last event's name, for messages: "[DONE]" */
    llmbo_stream_event_fn on_event; /* the dialect */
    llmbo_stream_reply_fn to_reply;
    /* set by the caller, may be NULL: the live count of text pieces received so far in this
     * attempt (servers send about one token per piece), called when it grows */
    void (*on_progress)(void *ctx, long pieces);
    void *progress_ctx;
    /* filled by the dialect's events */
    llmbo_strbuf content, reasoning;
    cJSON *usage; /* the usage object the stream reported (owned), or NULL */
    int done;     /* the terminating event arrived ([DONE], message_stop) */
    int n_think;  /* thinking blocks started (Anthropic) */
    long pieces;  /* text and reasoning deltas so far */
    long events;  /* events dispatched */
    /* decoder state */
    llmbo_strbuf line, data;
    char event[32];
    int has_data, after_cr;
    size_t offset; /* bytes fed so far (positions in messages) */
    llmbo_status st;
    llmbo_error err;
};

void llmbo_chat_stream_init(llmbo_chat_stream *cs, const char *dialect, const char *terminator,
                            llmbo_stream_event_fn on_event, llmbo_stream_reply_fn to_reply);
/* Forgets everything received (a retried request starts a new stream); keeps the callbacks. */
void llmbo_chat_stream_reset(llmbo_chat_stream *cs);
void llmbo_chat_stream_free(llmbo_chat_stream *cs);
/* Decodes n more bytes of the body. Returns the stream's status (the first error, sticky). */
llmbo_status llmbo_chat_stream_feed(llmbo_chat_stream *cs, const char *p, size_t n);
/* The body has ended: a last line without its blank line is dispatched (done is then final).
 * Idempotent. */
void llmbo_chat_stream_flush(llmbo_chat_stream *cs);
/* The body has ended: a last line without its blank line is dispatched; then, if the
 * terminating event arrived, the reply is filled by to_reply. A stream that ended before its
 * terminator is LLMBO_ERR_BACKEND ("the stream ended before ..."): a truncated answer is never
 * taken for a whole one. Errors fill err; on error the reply holds no strings. */
llmbo_status llmbo_chat_stream_end(llmbo_chat_stream *cs, llmbo_chat_reply *reply,
                                   llmbo_error *err);
/* A whole streamed body of len bytes, as "stream": true receives it, read into reply by a stream
 * of the dialect that init sets up (llmbo_openai_stream_init, llmbo_anthropic_stream_init); the
 * usage is read as in the non-streamed answer. As llmbo_chat_stream_end. For tests and the
 * fuzz harnesses. */
llmbo_status llmbo_chat_stream_parse(void (*init)(llmbo_chat_stream *cs), const char *body,
                                     size_t len, llmbo_chat_reply *reply, llmbo_error *err);
/* Appends text to one of the stream's buffers and counts a piece (for the dialects). */
void llmbo_chat_stream_piece(llmbo_chat_stream *cs, llmbo_strbuf *b, const char *text);

#endif
