#!/usr/bin/env python3
"""dataset.py: cassettes (the advisor's "record" files, of the teacher or of any real model) into
training examples: the chat exactly as llmbo's engine lays it out for a ChatML vocabulary
(llm/engine/generate.c llmbo_chat_format), and the answer in the form the engine's constrained
decoder produces (llm/engine/constrain.c: {"points": [{"a": v, ...}]} or {"ranking": [i, ...]}
with exactly n_choose entries). Reasoning, fences and prose of a real model's reply are dropped;
a reply with no usable JSON answer is skipped and counted.

Usage: dataset.py CASSETTE_OR_DIR... --out examples.jsonl
"""
import argparse
import glob
import json
import math
import os
import re
import sys

THINK_RE = re.compile(r"<think>.*?</think>", re.S)


def chat_prompt(messages):
    """llmbo_chat_format for ChatML with thinking off (qwen3moe has no think block)."""
    out = "".join("<|im_start|>%s\n%s<|im_end|>\n" % (m["role"], m["content"]) for m in messages)
    return out + "<|im_start|>assistant\n"


def extract_json(text):
    """The last balanced JSON object in a reply, after reasoning blocks are removed."""
    text = THINK_RE.sub("", text or "")
    text = text.split("</think>")[-1]
    best = None
    for start in [m.start() for m in re.finditer(r"\{", text)]:
        depth = 0
        for i in range(start, len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    try:
                        obj = json.loads(text[start:i + 1])
                        if isinstance(obj, dict) and ("points" in obj or "ranking" in obj):
                            best = obj
                    except ValueError:
                        pass
                    break
    return best


def fmt_num(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    s = "%.6f" % v
    s = s.rstrip("0").rstrip(".") if "." in s else s
    return "0" if s in ("-0", "") else s


def canonical_answer(obj, fmt, user):
    """The answer as the constrained decoder would write it, or None if it cannot be."""
    kind = (fmt or {}).get("kind")
    if "ranking" in obj and kind in (None, "ranking"):
        r = obj["ranking"]
        n_rank = (fmt or {}).get("n_rank", 10 ** 6)
        n_choose = (fmt or {}).get("n_choose", len(r) if isinstance(r, list) else 0)
        if not isinstance(r, list):
            return None
        seen, out = set(), []
        for i in r:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n_rank or i in seen:
                return None
            seen.add(i)
            out.append(i)
        if len(out) < n_choose or n_choose < 1:
            return None
        return '{"ranking": [' + ", ".join(str(i) for i in out[:n_choose]) + "]}"
    if "points" in obj and kind in (None, "points"):
        pts = obj["points"]
        names = re.findall(r"^- (\S+): ", user, re.M)
        if not isinstance(pts, list) or not pts or not names:
            return None
        n_points = (fmt or {}).get("n_points", len(pts))
        parts = []
        for p in pts[:n_points]:
            # "answer": "anchored" (llm/advisor.c): a step names its origin first
            head = ""
            if isinstance(p, dict) and "from" in p and "from" not in names:
                if p["from"] not in ("best", "mean"):
                    return None
                head = '"from": "%s", ' % p["from"]
                p = {k: v for k, v in p.items() if k != "from"}
            if not isinstance(p, dict) or set(p) != set(names):
                return None
            vals = [fmt_num(p[n]) for n in names]
            if None in vals:
                return None
            parts.append("{" + head + ", ".join('"%s": %s' % (n, v) for n, v in zip(names, vals))
                         + "}")
        if len(parts) < n_points:
            return None
        return '{"points": [' + ", ".join(parts) + "]}"
    return None


def examples_from_cassette(path, stats):
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
                msgs = rec["request"]["messages"]
                content = rec["reply"]["content"]
            except (ValueError, KeyError, TypeError) as e:
                stats["bad_lines"] += 1
                print("dataset: %s:%d: not a cassette line (%s)" % (path, ln, e), file=sys.stderr)
                continue
            # A repair turn (the model's own invalid answer quoted back) teaches nothing here.
            if len(msgs) != 2 or [m.get("role") for m in msgs] != ["system", "user"]:
                stats["skipped"] += 1
                continue
            obj = extract_json(content)
            ans = canonical_answer(obj, rec["request"].get("format"), msgs[1]["content"]) \
                if obj else None
            if ans is None:
                stats["skipped"] += 1
                continue
            stats["examples"] += 1
            yield {"prompt": chat_prompt(msgs), "answer": ans + "<|im_end|>",
                   "mode": "rank" if ans.startswith('{"ranking"') else "points"}


def collect(paths):
    files = []
    for p in paths:
        files += sorted(glob.glob(os.path.join(p, "*.jsonl"))) if os.path.isdir(p) else [p]
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    stats = {"examples": 0, "skipped": 0, "bad_lines": 0}
    files = collect(a.inputs)
    if not files:
        print("dataset: no cassette found in %s" % ", ".join(a.inputs), file=sys.stderr)
        return 2
    with open(a.out, "w", encoding="utf-8") as out:
        for path in files:
            for ex in examples_from_cassette(path, stats):
                out.write(json.dumps(ex) + "\n")
    print("dataset: %d examples from %d cassettes (%d replies without a usable answer skipped, "
          "%d bad lines)" % (stats["examples"], len(files), stats["skipped"], stats["bad_lines"]))
    return 0 if stats["examples"] else 1


if __name__ == "__main__":
    sys.exit(main())
