#!/bin/bash
# e2e_workers.sh: `llmbo run -j N` with an external objective that sleeps. Checks, without any
# wall-clock window: evaluations overlap (the objective counts how many run at once: never more
# than N, and more than one); "dispatch": "ordered" gives the same points and values whatever
# finishes first (two runs and a killed-and-resumed run agree id by id, and so do the tells
# recorded in asked.jsonl); SIGKILL with N evaluations in flight, then --resume: every id
# exactly once in the journal, the interrupted points evaluated at the same x; "async" finishes
# with every id once; bad -j values are refused.
set -u
. "$(dirname "$0")/lib.sh"

# Hartmann-3 in an external command that sleeps 0.25 s and records concurrency: a file per
# running evaluation in $WORK/running, the count seen at each start appended to $WORK/seen. The
# first evaluation holds until a second is running, so with -j N > 1 the overlap is certain on
# any load (without it, a loaded machine could start each process after the last one ended).
cat > "$WORK/obj.py" <<'EOF'
import json, math, os, sys, time
work = sys.argv[1]
x = json.loads(sys.stdin.readline())
run = os.path.join(work, "running")
os.makedirs(run, exist_ok=True)
me = os.path.join(run, str(os.getpid()))
open(me, "w").close()
with open(os.path.join(work, "seen"), "a") as f:
    f.write("%d\n" % len(os.listdir(run)))
try:  # the test's very first evaluation waits for a second one to start (at most 120 s)
    os.close(os.open(os.path.join(work, "first"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    for _ in range(12000):
        if len(os.listdir(run)) >= 2:
            break
        time.sleep(0.01)
except FileExistsError:
    pass
time.sleep(0.25)
os.remove(me)
a = [x["x1"], x["x2"], x["x3"]]
alpha = [1.0, 1.2, 3.0, 3.2]
A = [[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]]
P = [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
print(-sum(alpha[i] * math.exp(-sum(A[i][j] * (a[j] - P[i][j] * 1e-4) ** 2 for j in range(3)))
           for i in range(4)))
EOF
cat > "$WORK/cfg.json" <<EOF
{"objective": {"type": "external", "name": "h3-sleep", "command": "$PY $WORK/obj.py $WORK",
  "parameters": [{"name": "x1", "bounds": [0, 1]}, {"name": "x2", "bounds": [0, 1]},
                 {"name": "x3", "bounds": [0, 1]}]},
 "budget": 16, "seed": 7}
EOF
sed 's/"seed": 7}/"seed": 7, "dispatch": "async"}/' "$WORK/cfg.json" > "$WORK/async.json"

# same A B: the same run (tests/lib.sh same_runs), 16 evaluations
same() { same_runs "$1" "$2" 16; }

rm -f "$WORK/seen"
"$BIN" run "$WORK/cfg.json" --out "$WORK/a" -j 4 -q > /dev/null || fail "run -j 4"
max=$(sort -n "$WORK/seen" | tail -1)
if [ "$max" -ge 2 ] && [ "$max" -le 4 ]; then
    pass "-j 4: up to $max evaluations ran at once (never more than 4)"
else
    fail "-j 4: $max evaluations ran at once (want 2 to 4)"
fi
"$BIN" run "$WORK/cfg.json" --out "$WORK/b" -j 4 -q > /dev/null || fail "second run -j 4"
msg=$(same "$WORK/a" "$WORK/b") && pass "ordered: two runs give the same points and values" ||
    fail "ordered: $msg"

# SIGKILL while 4 evaluations are in flight (asked.jsonl 4 lines ahead of the journal).
killed=0
for attempt in 1 2 3 4 5; do
    rm -rf "$WORK/k"
    "$BIN" run "$WORK/cfg.json" --out "$WORK/k" -j 4 -q > /dev/null 2>&1 &
    pid=$!
    while kill -0 $pid 2> /dev/null; do
        na=0 nj=0
        [ -f "$WORK/k/asked.jsonl" ] && na=$(wc -l < "$WORK/k/asked.jsonl")
        [ -f "$WORK/k/journal.jsonl" ] && nj=$(wc -l < "$WORK/k/journal.jsonl")
        if [ "$nj" -ge 5 ] && [ $((na - nj)) -eq 4 ]; then
            kill -9 $pid
            killed=1
            break
        fi
        sleep 0.01
    done
    wait $pid 2> /dev/null
    [ $killed -eq 1 ] && [ ! -f "$WORK/k/summary.json" ] && break
    killed=0
done
if [ $killed -eq 1 ]; then
    na=$(wc -l < "$WORK/k/asked.jsonl")
    nj=$(wc -l < "$WORK/k/journal.jsonl")
    pass "killed with $na proposals and $nj results ($((na - nj)) in flight)"
    sleep 0.4 # the killed run's children finish on their own
    "$BIN" run --resume "$WORK/k" -j 4 -q > /dev/null || fail "resume after the kill"
    msg=$(same "$WORK/a" "$WORK/k") &&
        pass "resumed: every id once, in-flight points evaluated again at the same x, same values as the uninterrupted run" ||
        fail "resumed: $msg"
    [ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["complete"])' "$WORK/k/summary.json")" = True ] ||
        fail "resumed run's summary is not complete"
else
    fail "no kill landed with 4 evaluations in flight in 5 attempts"
fi

# async: every id once.
"$BIN" run "$WORK/async.json" --out "$WORK/as" -j 3 -q > /dev/null || fail "async run"
"$PY" -c '
import json, sys
ids = sorted(json.loads(l)["id"] for l in open(sys.argv[1]))
sys.exit(0 if ids == list(range(16)) else "ids: %s" % ids)' "$WORK/as/journal.jsonl" &&
    pass "async -j 3: every id once" || fail "async -j 3: ids"

# Bad worker counts.
for bad in 0 -2 x 257; do
    "$BIN" run "$WORK/cfg.json" --out "$WORK/bad" -j "$bad" -q > /dev/null 2> "$WORK/err"
    rc=$?
    if [ $rc -eq 2 ] && grep -q -- "-j: expected an integer in \[1, 256\], got '$bad'" "$WORK/err"; then
        pass "-j $bad refused"
    else
        fail "-j $bad: exit $rc, $(cat "$WORK/err")"
    fi
done
sed 's/"seed": 7}/"seed": 7, "workers": 0}/' "$WORK/cfg.json" > "$WORK/w0.json"
"$BIN" run "$WORK/w0.json" --out "$WORK/bad" -q > /dev/null 2> "$WORK/err"
grep -q "w0.json: workers: expected" "$WORK/err" && pass "workers 0 refused, naming the file and key" ||
    fail "workers 0: $(cat "$WORK/err")"

finish
