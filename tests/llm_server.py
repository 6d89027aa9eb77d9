#!/usr/bin/env python3
"""llm_server.py: a scripted HTTP server on 127.0.0.1 speaking the OpenAI chat-completions and
Anthropic Messages wire formats, for llmbo's advisor tests (Python standard library only).

    llm_server.py SCRIPT.json [--log REQUESTS.jsonl]

Binds a free port, prints "PORT <n>" on stdout, and serves until killed. SCRIPT is
{"responses": [R, ...], "default": R}: the k-th request gets responses[k], later ones get
"default" (a valid answer if absent). R is an object:

  "status"     HTTP status (default 200); with "body" the body is sent verbatim
  "headers"    extra response headers, e.g. {"Retry-After": "1"}
  "delay"      seconds to sleep before answering (past the client's timeout -> a timeout)
  "gate"       hold the answer until this many requests are in flight at once (at most 30 s),
               so a concurrency test observes overlap by count, whatever the machine's load
  "action"     "reset" (close the connection with a TCP reset, no answer) or "truncate"
               (announce a longer Content-Length than sent, then close)
  "content"    the answer text, verbatim; otherwise "answer" builds one from the prompt:
  "answer"     "auto" (valid), "oob" (first value above its bound), "wrongdim" (a parameter
               missing), "nan" (a literal NaN), "rank_dup", "rank_range", "prose" (no JSON)
  "style"      how the answer is wrapped: "plain", "fenced", "prose", "think" (<think> block
               first), "reasoning_content" (DeepSeek field), "reasoning" (OpenRouter field),
               "thinking" (Anthropic thinking block)
  "usage"      usage object sent as is (default: derived from the lengths of prompt and answer)
  "append"     text appended to the answer (e.g. an echoed API key)
  "append_hex" raw bytes (hex) appended to the answer inside the JSON body, unescaped, so the
               body can carry invalid UTF-8 as a careless server might

Streaming: a request with "stream": true gets the same answer as server-sent events, as the
real APIs send them (OpenAI: chat.completion.chunk deltas of about 4 characters, a last chunk
with the usage when stream_options.include_usage is set, "data: [DONE]"; Anthropic:
message_start with the input usage, ping, content_block_start/delta/stop per block,
message_delta with output_tokens, message_stop), one write per event, then the connection is
closed. The same usage as the non-streamed answer. "stream_fault" breaks it: "truncate" (the
connection closes after half the events), "malformed" (an event's JSON cut short), "error" (an
error event in the middle), "crlf" (CRLF line ends: a valid stream), "json" (a plain JSON answer
despite the request: a server that does not stream).

The wire format follows the path: .../messages is Anthropic, anything else OpenAI. With --log
each request is appended as {"path", "headers", "inflight", "body"} to REQUESTS.jsonl, where
"inflight" counts the requests being served at its arrival, itself included. A request stops
counting as in flight before the first byte of its answer is written, so a client that sends its
next request after reading an answer never finds the previous one still counted.
"""
import hashlib
import json
import random
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
CHANGED = threading.Condition(LOCK)
STATE = {"n": 0, "inflight": 0, "opened": 0}


def parse_params(prompt):
    """Parameter list of a built-in llmbo prompt: [(name, kind, lo, hi, choices)]."""
    out = []
    for line in prompt.splitlines():
        m = re.match(r"^- (\S+): (continuous \(log scale\)|continuous|integer) in \[([^,]+), ([^\]]+)\]", line)
        if m:
            out.append((m.group(1), m.group(2), float(m.group(3)), float(m.group(4)), None))
            continue
        m = re.match(r'^- (\S+): categorical, one of (.*?)(?:, unit .*)?(?:\. .*)?$', line)
        if m:
            out.append((m.group(1), "categorical", 0, 0, re.findall(r'"([^"]*)"', m.group(2))))
    return out


def build_answer(prompt, kind, rng):
    """A JSON answer text for the prompt's answer format, valid or broken in a scripted way."""
    if kind == "prose":
        return "I would try somewhere near the middle of the space, it looks promising."
    m = re.search(r'\{"ranking": \[i, j, \.\.\.\]\} listing candidate indices \(0 to (\d+)\), '
                  r'most promising first, at least (\d+)', prompt)
    if m:
        n = int(m.group(1)) + 1
        order = list(range(n))
        rng.shuffle(order)
        if kind == "rank_dup":
            order = [order[0], order[0]] + order[1:]
        elif kind == "rank_range":
            order[0] = n + 3
        return json.dumps({"ranking": order})
    params = parse_params(prompt)
    m = re.search(r"with exactly (\d+) point", prompt)
    npts = int(m.group(1)) if m else 1
    pts = []
    for _ in range(npts):
        p = {}
        for name, typ, lo, hi, choices in params:
            if typ == "categorical":
                p[name] = rng.choice(choices)
            elif typ == "integer":
                p[name] = rng.randint(int(lo), int(hi))
            else:
                p[name] = round(lo + (hi - lo) * rng.random(), 6)
        pts.append(p)
    if params and kind == "oob":
        name, typ, lo, hi, _ = params[0]
        pts[0][name] = hi + abs(hi - lo) + 1.5 if typ != "categorical" else "no-such-choice"
    if params and kind == "wrongdim":
        del pts[0][params[-1][0]]
    text = json.dumps({"points": pts})
    if params and kind == "nan":
        text = re.sub(r'("%s": )[^,}]+' % re.escape(params[0][0]), r"\1NaN", text, count=1)
    return text


def wrap(answer, style):
    """(content, reasoning field value) for a style."""
    if style == "fenced":
        return "Here is my answer:\n```json\n%s\n```\n" % answer, None
    if style == "prose":
        return ("Looking at the history, the region around the incumbent is promising {maybe}.\n"
                "%s\nThis balances exploration and exploitation." % answer), None
    if style == "think":
        return ("<think>The best value so far is low; a {rough} guess: explore.\n"
                "{\"points\": \"draft\"}</think>\n%s" % answer), None
    if style in ("reasoning_content", "reasoning", "thinking"):
        return answer, "First I compare the candidates' means and uncertainties."
    return answer, None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        with LOCK:
            k = STATE["n"]
            STATE["n"] += 1
            STATE["inflight"] += 1
            CHANGED.notify_all()
            if LOG:
                LOG.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                      "inflight": STATE["inflight"],
                                      "body": raw.decode("utf-8", "replace")}) + "\n")
                LOG.flush()
        self.done = False
        try:
            self.answer(k, raw)
        finally:
            self.leave()

    def leave(self):
        """The request stops counting as in flight (once)."""
        if not self.done:
            self.done = True
            with LOCK:
                STATE["inflight"] -= 1
                CHANGED.notify_all()

    def answer(self, k, raw):
        resp = SCRIPT["responses"][k] if k < len(SCRIPT["responses"]) else SCRIPT.get("default", {})
        if resp.get("gate"):
            # Once the count is reached, every request that arrived so far is released (a
            # released one leaving must not shut the gate on the others still waiting).
            with LOCK:
                CHANGED.wait_for(lambda: STATE["inflight"] >= int(resp["gate"])
                                 or STATE["opened"] > k, timeout=30)
                STATE["opened"] = max(STATE["opened"], STATE["n"])
                CHANGED.notify_all()
        if resp.get("delay"):
            time.sleep(float(resp["delay"]))
        action = resp.get("action")
        self.leave()
        if action == "reset":
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.request.close()
            return
        anthropic = self.path.rstrip("/").endswith("/messages")
        status = int(resp.get("status", 200))
        if "body" in resp:
            body = resp["body"].encode()
        else:
            try:
                req = json.loads(raw)
            except ValueError:
                req = {}
            msgs = req.get("messages", [])
            prompt = "\n".join(str(m.get("content", "")) for m in msgs)
            if anthropic and isinstance(req.get("system"), str):
                prompt = req["system"] + "\n" + prompt
            seed = int(hashlib.sha256(prompt.encode()).hexdigest()[:12], 16)
            rng = random.Random(seed)
            if "content" in resp:
                content, reasoning = resp["content"], resp.get("reasoning_text")
            else:
                content, reasoning = wrap(build_answer(prompt, resp.get("answer", "auto"), rng),
                                          resp.get("style", "plain"))
            content += resp.get("append", "")
            if "append_hex" in resp:
                content += "@@RAW@@"
            pt, ct = max(1, len(prompt) // 4), max(1, len(content) // 4)
            style = resp.get("style", "plain")
            if anthropic:
                blocks = []
                if reasoning is not None:
                    blocks.append({"type": "thinking", "thinking": reasoning, "signature": "x"})
                blocks.append({"type": "text", "text": content})
                usage = resp.get("usage", {"input_tokens": pt, "output_tokens": ct})
                out = {"id": "msg_%d" % k, "type": "message", "role": "assistant",
                       "model": req.get("model"), "content": blocks, "stop_reason": "end_turn",
                       "usage": usage}
            else:
                msg = {"role": "assistant", "content": content}
                if reasoning is not None:
                    msg["reasoning" if style == "reasoning" else "reasoning_content"] = reasoning
                usage = resp.get("usage", {"prompt_tokens": pt, "completion_tokens": ct,
                                           "total_tokens": pt + ct})
                out = {"id": "chatcmpl-%d" % k, "object": "chat.completion",
                       "model": req.get("model"),
                       "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
                       "usage": usage}
            if req.get("stream") is True and status == 200 and resp.get("stream_fault") != "json":
                self.stream(req, resp, out, anthropic, style)
                return
            body = json.dumps(out).encode()
            if "append_hex" in resp:
                body = body.replace(b"@@RAW@@", bytes.fromhex(resp["append_hex"]))
        try:
            self.send_response(status)
            for h, v in resp.get("headers", {}).items():
                self.send_header(h, str(v))
            self.send_header("Content-Type", "application/json")
            if action == "truncate":
                self.send_header("Content-Length", str(len(body) + 1000))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def pieces(text, n=4):
    return [text[i:i + n] for i in range(0, len(text), n)]


def openai_events(req, out, style):
    """(event name, data) pairs of a chat.completion.chunk stream carrying the answer out."""
    msg = out["choices"][0]["message"]
    head = {"id": out["id"], "object": "chat.completion.chunk", "model": out["model"]}
    ev = [dict(head, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                               "finish_reason": None}])]
    rkey = "reasoning" if style == "reasoning" else "reasoning_content"
    for p in pieces(msg.get(rkey) or ""):
        ev.append(dict(head, choices=[{"index": 0, "delta": {rkey: p}, "finish_reason": None}]))
    for p in pieces(msg["content"]):
        ev.append(dict(head, choices=[{"index": 0, "delta": {"content": p},
                                       "finish_reason": None}]))
    ev.append(dict(head, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    if (req.get("stream_options") or {}).get("include_usage"):
        ev.append(dict(head, choices=[], usage=out["usage"]))
    return [(None, json.dumps(e)) for e in ev] + [(None, "[DONE]")]


def anthropic_events(out):
    usage = out["usage"]
    start_usage = {k: v for k, v in usage.items() if k != "output_tokens"}
    start_usage["output_tokens"] = 1
    msg = dict(out, content=[], stop_reason=None, usage=start_usage)
    ev = [("message_start", {"type": "message_start", "message": msg}),
          ("ping", {"type": "ping"})]
    for i, b in enumerate(out["content"]):
        field = "thinking" if b["type"] == "thinking" else "text"
        ev.append(("content_block_start", {"type": "content_block_start", "index": i,
                                           "content_block": {"type": b["type"], field: ""}}))
        for p in pieces(b[field]):
            ev.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                               "delta": {"type": field + "_delta", field: p}}))
        if b["type"] == "thinking":
            ev.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                               "delta": {"type": "signature_delta",
                                                         "signature": "x"}}))
        ev.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    ev.append(("message_delta", {"type": "message_delta",
                                 "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                 "usage": {"output_tokens": usage.get("output_tokens", 0)}}))
    ev.append(("message_stop", {"type": "message_stop"}))
    return [(name, json.dumps(d)) for name, d in ev]


def stream_method(self, req, resp, out, anthropic, style):
    """Sends out as server-sent events, broken as resp["stream_fault"] says."""
    events = anthropic_events(out) if anthropic else openai_events(req, out, style)
    fault = resp.get("stream_fault")
    mid = len(events) // 2
    if fault == "truncate":
        events = events[:mid]
    elif fault == "malformed":
        events[mid] = (events[mid][0], events[mid][1][: len(events[mid][1]) // 2])
    elif fault == "error":
        if anthropic:
            err = ("error", json.dumps({"type": "error", "error": {
                "type": "overloaded_error", "message": "Overloaded"}}))
        else:
            err = (None, json.dumps({"error": {"message": "The server had an error while "
                                               "processing your request", "type": "server_error"}}))
        events.insert(mid, err)
    nl = "\r\n" if fault == "crlf" else "\n"
    try:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        for name, data in events:
            text = ("event: %s%s" % (name, nl) if name else "") + "data: %s%s%s" % (data, nl, nl)
            self.wfile.write(text.encode())
            self.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass
    self.close_connection = True


Handler.stream = stream_method


def main():
    global SCRIPT, LOG
    args = sys.argv[1:]
    LOG = None
    if "--log" in args:
        i = args.index("--log")
        LOG = open(args[i + 1], "a")
        del args[i:i + 2]
    with open(args[0]) as f:
        SCRIPT = json.load(f)
    SCRIPT.setdefault("responses", [])
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
