#!/usr/bin/env python3
"""resume_kill_states.py BIN CONFIG WORKDIR [torn]: every state a SIGKILL can leave a run in,
resumed with `llmbo run --resume` and compared with the uninterrupted run (perf/results/resume.md).

The uninterrupted run is traced with strace; a state is a prefix of its writes to asked.jsonl and
journal.jsonl (a kill between two writes), or with "torn" such a prefix plus part of the next
write (a kill inside it: the kernel stops a write at a page boundary on SIGKILL), cut at each line
boundary inside it, its middle, its first and its last byte. Each state is resumed to the end; its
journal must equal the uninterrupted one (timings aside) and its asked.jsonl too. Prints each
state that differs and a count. Needs strace; a run whose writes are one line each (batch 1) has
no line boundary inside a write."""
import json, os, re, shutil, subprocess, sys
bin_, cfg, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True); os.makedirs(work)
ref = os.path.join(work, "ref")
st = os.path.join(work, "strace.txt")
subprocess.run(["strace", "-f", "-e", "trace=openat,write", "-o", st, bin_, "run", cfg, "--out", ref, "-q"],
               check=True, stdout=subprocess.DEVNULL)
fds, events = {}, []
for line in open(st):
    m = re.search(r'openat\(AT_FDCWD, "[^"]*/(asked|journal)\.jsonl".*= (\d+)$', line)
    if m:
        fds[int(m.group(2))] = m.group(1); continue
    m = re.search(r'write\((\d+), .*\) = (\d+)$', line)
    if m and int(m.group(1)) in fds:
        events.append((fds[int(m.group(1))], int(m.group(2))))
data = {k: open(os.path.join(ref, k + ".jsonl"), "rb").read() for k in ("asked", "journal")}
assert sum(n for f, n in events if f == "asked") == len(data["asked"])
assert sum(n for f, n in events if f == "journal") == len(data["journal"])
def load(p, asked=False):
    out = []
    for l in open(p).read().splitlines():
        o = json.loads(l)
        if not asked:
            o.pop("t_eval"); o.pop("t_wall")
        for k in ("seconds", "cpu_seconds", "cpu_dollars"): o["advisor"].pop(k)
        out.append(o)
    return out
refj = load(os.path.join(ref, "journal.jsonl"))
refa = load(os.path.join(ref, "asked.jsonl"), asked=True)
TORN = len(sys.argv) > 4 and sys.argv[4] == "torn"
# states: (prefix of events, torn bytes of the next write): 0 torn bytes, or (TORN) each
# line boundary inside the next write and its middle
states = []
pos = {"asked": 0, "journal": 0}
for k in range(len(events) + 1):
    if k > 0:
        f, n = events[k - 1]; pos[f] += n
    if not TORN:
        states.append((k, dict(pos), None, 0)); continue
    if k < len(events):
        f, n = events[k]
        chunk = data[f][pos[f]:pos[f] + n]
        cuts = sorted({i + 1 for i, c in enumerate(chunk[:-1]) if c == 10} | {n // 2, 1, n - 1})
        for c in cuts:
            states.append((k, dict(pos), f, c))
bad = 0
for k, pos, tf, tc in states:
    d = os.path.join(work, "s")
    shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
    for name in ("config.json", ".llmbo-run"):
        shutil.copy(os.path.join(ref, name), d)
    for f in ("asked", "journal"):
        end = pos[f] + (tc if f == tf else 0)
        if end or k % 2:  # an empty file and an absent one, alternately
            open(os.path.join(d, f + ".jsonl"), "wb").write(data[f][:end])
    r = subprocess.run([bin_, "run", "--resume", d, "-q"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    state = "state %d (asked %d lines, journal %d lines, torn %s %d)" % (
        k, data["asked"][:pos["asked"]].count(b"\n"), data["journal"][:pos["journal"]].count(b"\n"), tf, tc)
    if r.returncode != 0:
        print(state, "resume failed:", r.stderr.strip()[:300]); bad += 1; continue
    got = load(os.path.join(d, "journal.jsonl"))
    diff = [i for i, (a, b) in enumerate(zip(refj, got)) if a != b]
    if len(got) != len(refj) or diff:
        i = diff[0] if diff else min(len(got), len(refj))
        keys = sorted(k2 for k2 in refj[i] if i < len(got) and refj[i].get(k2) != got[i].get(k2)) if i < len(got) else "length"
        print(state, "differs from line %d (%s)" % (i + 1, keys)); bad += 1; continue
    got = load(os.path.join(d, "asked.jsonl"), asked=True)
    if got != refa:
        i = [i for i, (a, b) in enumerate(zip(refa, got)) if a != b] + [min(len(got), len(refa))]
        print(state, "asked.jsonl differs from line %d" % (i[0] + 1)); bad += 1
print("%s: %d states%s, %d bad" % (cfg, len(states), " (torn)" if TORN else "", bad))
