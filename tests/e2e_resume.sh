#!/bin/bash
# e2e_resume.sh: `llmbo run` killed with SIGKILL at random moments, several times, then resumed
# with --resume until it finishes. The journal must hold every evaluation exactly once and equal
# an uninterrupted run's journal field by field, timing fields aside (t_eval, t_wall and the
# advisor's seconds), and asked.jsonl the same proposals. Also: a torn last line is cut off and
# the run continues; a batch torn in asked.jsonl is asked again; --resume of a finished run
# changes nothing. Sequential (batch 1) and batched (batch 3) configs.
set -u
. "$(dirname "$0")/lib.sh"

# compare REF RUN BUDGET: same lines ignoring timings, ids 0..BUDGET-1 once each; the same
# proposals in asked.jsonl (what a later resume replays: a value off in its last bit there makes
# that resume refuse the run or evaluate another point)
compare() {
    "$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys
ref, run, budget = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(p):
    out = []
    with open(p) as f:
        data = f.read()
    assert data.endswith("\n"), "%s does not end with a newline" % p
    for line in data.splitlines():
        o = json.loads(line)
        o.pop("t_eval", None); o.pop("t_wall", None)
        for k in ("seconds", "cpu_seconds", "cpu_dollars"):
            o["advisor"].pop(k)
        out.append(o)
    return out
asked = lambda p: p.replace("journal.jsonl", "asked.jsonl")
qa, qb = load(asked(ref)), load(asked(run))
for i, (x, y) in enumerate(zip(qa, qb)):
    if x != y:
        print("asked.jsonl line %d differs:\n  %s\n  %s" % (i + 1, x, y)); sys.exit(1)
if len(qa) != len(qb):
    print("asked.jsonl lengths differ: %d vs %d" % (len(qa), len(qb))); sys.exit(1)
a, b = load(ref), load(run)
ids = [o["id"] for o in b]
if sorted(ids) != list(range(budget)) or len(set(ids)) != len(ids):
    print("ids are not 0..%d exactly once: %s" % (budget - 1, ids)); sys.exit(1)
if len(a) != len(b):
    print("lengths differ: %d vs %d" % (len(a), len(b))); sys.exit(1)
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        print("line %d differs:\n  %s\n  %s" % (i + 1, x, y)); sys.exit(1)
s = json.load(open(run.replace("journal.jsonl", "summary.json")))
r = json.load(open(ref.replace("journal.jsonl", "summary.json")))
if not s["complete"] or s["evaluations"] != budget or s["best_y"] != r["best_y"]:
    print("summary differs:", s, r); sys.exit(1)
EOF
}

run_case() {
    local name=$1 cfg=$2 budget=$3 kills=$4
    "$BIN" run "$cfg" --out "$WORK/$name-ref" -q > /dev/null || { fail "$name: reference run"; return; }
    local dir="$WORK/$name-run" killed=0 tries=0 target
    # Each attempt waits until the journal reaches a random length (rising from attempt to
    # attempt, within the first 60% of the budget), then sleeps a random 0-9 ms and
    # sends SIGKILL, so kills land during evaluations, proposals and writes alike.
    # A resume keeps every complete line it starts from byte for byte (timings included: a line
    # evaluated again would differ there) and only appends; an attempt ends by the kill (137) or
    # by finishing (0), never with an error.
    local kept rc
    while [ $killed -lt "$kills" ] && [ $tries -lt 40 ]; do
        tries=$((tries + 1))
        kept=0
        if [ ! -f "$dir/config.json" ]; then
            rm -rf "$dir" # killed before the run directory existed: start again
            "$BIN" run "$cfg" --out "$dir" -q > /dev/null 2> "$WORK/$name-err" &
        else
            [ -f "$dir/journal.jsonl" ] && kept=$(wc -l < "$dir/journal.jsonl")
            head -n "$kept" "$dir/journal.jsonl" > "$WORK/$name-kept" 2> /dev/null
            "$BIN" run --resume "$dir" -q > /dev/null 2> "$WORK/$name-err" &
        fi
        local pid=$! n=0
        [ -f "$dir/journal.jsonl" ] && n=$(wc -l < "$dir/journal.jsonl")
        local room=$(((budget * 3 / 5 - n) / (kills - killed + 1)))
        [ $room -lt 1 ] && room=1
        target=$((n + 1 + RANDOM % room))
        while kill -0 $pid 2> /dev/null; do
            n=0
            [ -f "$dir/journal.jsonl" ] && n=$(wc -l < "$dir/journal.jsonl")
            [ "$n" -ge $target ] && break
            sleep 0.005
        done
        sleep "0.00$((RANDOM % 10))"
        kill -9 $pid 2> /dev/null
        wait $pid 2> /dev/null
        rc=$?
        n=0
        [ -f "$dir/journal.jsonl" ] && n=$(wc -l < "$dir/journal.jsonl")
        if [ $rc -ne 137 ] && [ $rc -ne 0 ]; then
            fail "$name: attempt $tries (from $kept lines) exited with status $rc: $(cat "$WORK/$name-err")"
        fi
        if [ "$kept" -gt 0 ] && ! head -n "$kept" "$dir/journal.jsonl" | cmp -s - "$WORK/$name-kept"; then
            fail "$name: attempt $tries changed the $kept complete journal lines it resumed from (an evaluation lost or repeated)"
        fi
        if [ ! -f "$dir/summary.json" ]; then
            killed=$((killed + 1))
            echo "  $name: attempt $tries (target $target lines) killed with $n complete journal lines"
        else
            # Under load the journal poll can lag so far behind a fast run that the kill comes
            # after its end (pass 7 of the issue-12 series: killed at 78 of 80 lines, then
            # finished). Not a failure of resume: the case starts again in a fresh directory.
            echo "  $name: the run finished before the kill ($killed kills before): again from scratch"
            rm -rf "$dir"
            killed=0
        fi
    done
    # Four kills are asked for; three still make the point.
    [ $killed -ge 3 ] || fail "$name: only $killed kills landed mid-run in $tries attempts"
    # A torn line, as a kill in the middle of a write leaves it.
    if [ -f "$dir/config.json" ]; then
        kept=0
        [ -f "$dir/journal.jsonl" ] && kept=$(wc -l < "$dir/journal.jsonl")
        head -n "$kept" "$dir/journal.jsonl" > "$WORK/$name-kept" 2> /dev/null
        printf '{"iter":999,"id":' >> "$dir/journal.jsonl"
        "$BIN" run --resume "$dir" -q > /dev/null || fail "$name: final resume failed"
        head -n "$kept" "$dir/journal.jsonl" | cmp -s - "$WORK/$name-kept" ||
            fail "$name: the final resume changed the $kept complete journal lines it resumed from"
    else
        "$BIN" run "$cfg" --out "$dir" -q > /dev/null || fail "$name: run failed"
    fi
    if msg=$(compare "$WORK/$name-ref/journal.jsonl" "$dir/journal.jsonl" "$budget"); then
        pass "$name: $killed kills, resumed journal equals the uninterrupted one"
    else
        fail "$name: $msg"
    fi
    finished_unchanged "$name" "$dir"
}

# finished_unchanged NAME DIR: resuming a finished run evaluates nothing (and reads back what the
# resumes before it rewrote).
finished_unchanged() {
    local before
    before=$(md5sum < "$2/journal.jsonl")
    "$BIN" run --resume "$2" -q > /dev/null || { fail "$1: resume of a finished run failed"; return; }
    [ "$(md5sum < "$2/journal.jsonl")" = "$before" ] && pass "$1: finished run unchanged" ||
        fail "$1: resume of a finished run changed the journal"
}

cat > "$WORK/seq.json" <<'EOF'
{"objective": "hartmann6", "budget": 80, "seed": 11, "gp": {"refit_every": 2}}
EOF
cat > "$WORK/batch.json" <<'EOF'
{"objective": "hartmann6", "budget": 80, "seed": 4, "batch": 3, "acquisition": "ei"}
EOF
# A journal cut inside a batch (as a kill between two evaluations of a batch leaves it): the
# batch is asked again, its evaluated points are recognised, and the rest are evaluated.
# resumes_equal REF BUDGET DIR LABEL WHAT: resumes the cut run in DIR, which must then equal the
# uninterrupted REF (passes "REF WHAT"), and stay unchanged once finished.
resumes_equal() {
    local ref=$1 budget=$2 dir=$3 label=$4 what=$5 msg
    "$BIN" run --resume "$dir" -q > /dev/null || { fail "$label: resume failed"; return; }
    if msg=$(compare "$ref/journal.jsonl" "$dir/journal.jsonl" "$budget"); then
        pass "$(basename "$ref") $what"
    else
        fail "$label: $msg"
    fi
    finished_unchanged "$label" "$dir"
}
partial_case() {
    local ref=$1 budget=$2 keep=$3 dir="$WORK/partial-$3"
    mkdir -p "$dir"
    cp "$ref/config.json" "$dir/"
    head -n "$keep" "$ref/journal.jsonl" > "$dir/journal.jsonl"
    resumes_equal "$ref" "$budget" "$dir" "partial $keep" \
        "journal cut after $keep lines: resumed journal equals the uninterrupted one"
}
# A batch torn in asked.jsonl, as a kill during its write leaves it (the kernel stops a write at
# a page boundary on SIGKILL): the first LINES lines and BYTES bytes of the next, with the
# journal's first JLINES lines. The batch is asked again and asked.jsonl rewritten: the lines
# kept must read back as the same proposals, or every later resume refuses the run ("xv differs
# from the proposal's in asked.jsonl").
torn_case() {
    local ref=$1 budget=$2 lines=$3 bytes=$4 jlines=$5 dir="$WORK/torn-$3"
    mkdir -p "$dir"
    cp "$ref/config.json" "$dir/"
    { head -n "$lines" "$ref/asked.jsonl"; sed -n "$((lines + 1))p" "$ref/asked.jsonl" | head -c "$bytes"; } > "$dir/asked.jsonl"
    head -n "$jlines" "$ref/journal.jsonl" > "$dir/journal.jsonl"
    resumes_equal "$ref" "$budget" "$dir" "torn $lines" \
        "asked.jsonl torn after $lines lines: resumed run equals the uninterrupted one"
}

# The warp centre chosen by likelihood ("select"): a loop resumed between two refits must make
# the last refit's choice again from the replayed data (dixon_price's better half spans orders
# of magnitude; with this seed the lower quartile changes the proposals from id 63 on).
cat > "$WORK/wsel.json" <<'EOF2'
{"objective": "dixon_price:10", "budget": 80, "seed": 3, "gp": {"warp": "select", "refit_every": 3}}
EOF2
sed 's/"select"/"median"/' "$WORK/wsel.json" > "$WORK/wmed.json"
"$BIN" run "$WORK/wsel.json" --out "$WORK/wsel-ref" -q > /dev/null || fail "wsel: reference run"
"$BIN" run "$WORK/wmed.json" --out "$WORK/wmed-ref" -q > /dev/null || fail "wmed: reference run"
if cmp -s <(head -n 66 "$WORK/wsel-ref/journal.jsonl" | cut -c1-400) \
    <(head -n 66 "$WORK/wmed-ref/journal.jsonl" | cut -c1-400); then
    fail "warp select made the same first 66 proposals as the median warp: nothing to resume"
else
    pass "warp select and the median warp propose differently on dixon_price:10"
fi
for keep in 65 71 74; do partial_case "$WORK/wsel-ref" 80 $keep; done

run_case seq "$WORK/seq.json" 80 4
run_case batch "$WORK/batch.json" 80 4
partial_case "$WORK/batch-ref" 80 29
partial_case "$WORK/batch-ref" 80 43
# ids 30-32 are one batch (asked after 27-29 were told): its first line and 200 bytes of its second
torn_case "$WORK/batch-ref" 80 31 200 30

finish
