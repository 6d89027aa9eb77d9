#!/usr/bin/env python3
"""distill_prompt_identity.py: are the prompts a model is trained on byte-identical to the ones
the advisor renders for it at run time? Replays one bench run of the model alone (its
advisor.jsonl: every call's messages and raw answer) through the training-data path of
distill/gen_data.py: the same llmbo loop, the "openai" advisor with gen_data's own config
(advisor_config: history best 5, 4 digits, TEMPLATES) recording a cassette, answered by a server
that returns the model's recorded answers in order. The loop then goes through the same states,
so each recorded request must equal the bench's messages byte for byte.

Usage: LLMBO_LIB=build/libllmbo.so distill_prompt_identity.py RUN_DIR TEMPLATES
       (RUN_DIR: a bench's runs/OBJECTIVE/mini-propose/seed-N)
"""
import http.server
import json
import os
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "distill"))
import llmbo  # noqa: E402
from llmbo.advisor import Advisor  # noqa: E402
import gen_data  # noqa: E402


def main():
    run_dir, templates = sys.argv[1], sys.argv[2]
    calls = [json.loads(line) for line in open(os.path.join(run_dir, "advisor.jsonl"))]
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    answers = iter([c["raw"] for c in calls])

    class Replay(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            gen_data.send_completion(self, next(answers), "r", "m")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    cassette = os.path.join(tempfile.mkdtemp(), "replay.jsonl")
    f = llmbo.Objective(cfg["objective"])
    adv = Advisor(gen_data.advisor_config("propose", srv.server_address[1], cassette, "anchored",
                                          templates))
    opt = llmbo.Optimizer(f.space, seed=cfg["seed"], budget=cfg["budget"], strategy="llm",
                          advisor=adv)
    for _ in range(cfg["budget"]):
        t = opt.ask(1)[0]
        opt.tell(t, f(t.x))
    opt.close()
    srv.shutdown()
    rec = [json.loads(line) for line in open(cassette) if line.strip()]
    same = sum(r["request"]["messages"] == c["messages"] for r, c in zip(rec, calls))
    scale = sum("Step scale: " in c["messages"][-1]["content"] for c in calls)
    print("%s: %d bench calls, %d recorded, %d byte-identical requests (%d print a step scale)"
          % (run_dir, len(calls), len(rec), same, scale))
    return 0 if same == len(calls) == len(rec) else 1


if __name__ == "__main__":
    sys.exit(main())
