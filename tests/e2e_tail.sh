#!/bin/bash
# e2e_tail.sh: the sequential tail of a parallel run ("tail": T, the last T proposals asked one
# at a time with nothing pending). Checks against independent truth: in asked.jsonl, every id
# of the tail was asked alone, after every earlier id was told, and before the tail some ids
# were asked with points pending; the tail's proposals equal, bit for bit, those of a one-worker
# run that imports the results before the tail (init.from, in id order): a sequential loop from
# the same state; a run cut inside the tail resumes to the same journal; "tail": 0 gives the
# journal of a run without the key; ask/tell refuses to ask a tail id with points pending or
# together with another, and asks it alone once they are told; bad values are refused.
set -u
. "$(dirname "$0")/lib.sh"

cat > "$WORK/tail.json" <<'EOF'
{"objective": "hartmann6", "budget": 20, "seed": 3, "batch": 4, "batch_step": "radii", "tail": 3}
EOF
"$BIN" run "$WORK/tail.json" --out "$WORK/a" -j 4 -q > /dev/null || fail "tail run -j 4"

# The ids told before each ask, from asked.jsonl's "told" lists alone.
"$PY" - "$WORK/a/asked.jsonl" <<'EOF' && pass "asked.jsonl: ids 17-19 asked alone, each after every earlier id was told; earlier ids asked with points pending" || fail "asked.jsonl: tail"
import json, sys
told, pend_before_tail = set(), 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    told |= set(o["told"])
    i = o["id"]
    if i >= 17:
        if o["batch"] != 1 or told != set(range(i)):
            sys.exit("id %d: batch %s, told before it %s" % (i, o["batch"], sorted(told)))
    elif told != set(range(i)):
        pend_before_tail += 1
if i != 19 or pend_before_tail == 0:
    sys.exit("last id %d, %d ids before the tail asked with points pending" % (i, pend_before_tail))
EOF

# A sequential loop from the same state: the 17 results before the tail imported, 3 new
# proposals (ids 17-19 again, the same seed) with one worker.
"$PY" -c '
import json, sys
j = [json.loads(l) for l in open(sys.argv[1])]
sys.stdout.write("".join(json.dumps(o) + "\n" for o in sorted(j, key=lambda o: o["id"]) if o["id"] < 17))
' "$WORK/a/journal.jsonl" > "$WORK/pre.jsonl"
cat > "$WORK/seq.json" <<EOF
{"objective": "hartmann6", "budget": 3, "seed": 3, "init": {"from": ["$WORK/pre.jsonl"]}}
EOF
"$BIN" run "$WORK/seq.json" --out "$WORK/s" -j 1 -q > /dev/null || fail "sequential run"
"$PY" - "$WORK/a/journal.jsonl" "$WORK/s/journal.jsonl" <<'EOF' && pass "the tail's proposals (x, y, source) equal a one-worker loop's from the same 17 results, bit for bit" || fail "tail vs sequential"
import json, sys
load = lambda p: {o["id"]: (o["xv"], o["y"], o["source"]) for o in map(json.loads, open(p)) if o["id"] >= 17}
a, s = load(sys.argv[1]), load(sys.argv[2])
if sorted(a) != [17, 18, 19] or a != s:
    sys.exit("tail %s\nsequential %s" % (a, s))
EOF

# same A B: the same run (tests/lib.sh same_runs), 20 evaluations
same() { same_runs "$1" "$2" 20; }

# Cut inside the tail as a kill would leave it: id 18 asked, not journalled; 19 not asked.
mkdir -p "$WORK/k"
cp "$WORK/a/config.json" "$WORK/k/"
"$PY" -c '
import json, sys
d, k = sys.argv[1], sys.argv[2]
for name, keep in (("asked.jsonl", 18), ("journal.jsonl", 17)):
    lines = [l for l in open(d + "/" + name) if json.loads(l)["id"] <= keep]
    open(k + "/" + name, "w").write("".join(lines))
' "$WORK/a" "$WORK/k"
"$BIN" run --resume "$WORK/k" -j 4 -q > /dev/null || fail "resume inside the tail"
msg=$(same "$WORK/a" "$WORK/k") && pass "resumed inside the tail: the same journal and tells" ||
    fail "resumed: $msg"

# "tail": 0 is no tail (async kb, 4 workers).
echo '{"objective": "hartmann6", "budget": 20, "seed": 3}' > "$WORK/kb.json"
echo '{"objective": "hartmann6", "budget": 20, "seed": 3, "tail": 0}' > "$WORK/kb0.json"
"$BIN" run "$WORK/kb.json" --out "$WORK/kb" -j 4 -q > /dev/null || fail "kb run"
"$BIN" run "$WORK/kb0.json" --out "$WORK/kb0" -j 4 -q > /dev/null || fail "kb tail 0 run"
msg=$(same "$WORK/kb" "$WORK/kb0") && pass '"tail": 0 gives the journal of a run without it' ||
    fail "tail 0: $msg"

# ask/tell: budget 8, tail 3 (ids 5-7).
echo '{"objective": "hartmann6", "budget": 8, "seed": 1, "tail": 3}' > "$WORK/at.json"
ids() { "$PY" -c 'import json,sys; print(" ".join(str(json.loads(l)["id"]) for l in sys.stdin))'; }
got=$("$BIN" ask "$WORK/t" --config "$WORK/at.json" -n 4 | ids)
[ "$got" = "0 1 2 3" ] || fail "ask -n 4: ids $got"
for i in 0 1 2 3; do "$BIN" tell "$WORK/t" $i -1.$i > /dev/null || fail "tell $i"; done
"$BIN" ask "$WORK/t" -n 2 > /dev/null 2> "$WORK/err"
rc=$?
[ $rc -ne 0 ] && grep -q 'ids from 5 on are the sequential tail ("tail": 3)' "$WORK/err" &&
    pass "ask -n 2 reaching into the tail refused: $(cat "$WORK/err")" || fail "ask -n 2: exit $rc, $(cat "$WORK/err")"
got=$("$BIN" ask "$WORK/t" | ids)
[ "$got" = 4 ] || fail "ask before the tail: ids $got"
"$BIN" ask "$WORK/t" > /dev/null 2> "$WORK/err" && fail "ask in the tail with id 4 pending accepted"
grep -q "1 point(s) pending" "$WORK/err" && pass "ask in the tail with a point pending refused" ||
    fail "ask with pending: $(cat "$WORK/err")"
"$BIN" tell "$WORK/t" 4 -2 > /dev/null || fail "tell 4"
got=$("$BIN" ask "$WORK/t" | ids)
[ "$got" = 5 ] && pass "ask in the tail with nothing pending: id 5" || fail "ask in the tail: ids $got"

# Bad values.
for bad in -1 1.5 '"x"'; do
    echo "{\"objective\": \"hartmann6\", \"budget\": 8, \"tail\": $bad}" > "$WORK/bad.json"
    "$BIN" run "$WORK/bad.json" --out "$WORK/bad" -q > /dev/null 2> "$WORK/err"
    rc=$?
    [ $rc -ne 0 ] && grep -q "bad.json: tail: expected a non-negative integer" "$WORK/err" &&
        pass "tail $bad refused" || fail "tail $bad: exit $rc, $(cat "$WORK/err")"
done

finish
