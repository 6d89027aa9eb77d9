#!/usr/bin/env bash
# e2e_bench.sh: llmbo bench and llmbo report end to end. A small grid runs with -j 2 and is
# killed (SIGKILL to its whole process group) while runs are in flight; the same command
# resumes it (finished runs skipped, interrupted ones resumed from their journals). The grid is
# then run again as 3 shards (in parallel) into another directory; the two reports must be
# byte-identical (report.md, summary.csv, every plot). Also checked: every journal holds each
# evaluation exactly once, all strategies share the initial design of a seed, the runs'
# configs follow the bench's merge rules, advisor_concurrency holds (judged by the loopback
# server's request log, never by time), and bad invocations fail with exit code 2.
set -euo pipefail
BIN=${LLMBO_BIN:?LLMBO_BIN must point to the llmbo binary}
PY=${LLMBO_PYTHON:-python3}
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR must name the source tree}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/llmbo_e2e_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pass() { echo "PASS: $*"; }

cat >grid.json <<'EOF'
{
  "name": "e2e kill/resume/shard grid",
  "seeds": [0, 1, 2],
  "budget": 14,
  "init": {"n": 5},
  "objectives": ["branin", {"objective": "hartmann3", "budget": 18}],
  "strategies": [
    {"name": "random", "strategy": "random"},
    {"name": "gp-logei", "strategy": "gp", "acquisition": "logei"},
    {"name": "gp-ucb", "strategy": "gp", "acquisition": "ucb"}
  ]
}
EOF
CELLS=18

count_done() { find "$1/runs" -name summary.json 2>/dev/null | wc -l; }
count_interrupted() {
    local n=0 d
    for d in "$1"/runs/*/*/seed-*; do
        [ -f "$d/journal.jsonl" ] && [ ! -f "$d/summary.json" ] && n=$((n + 1))
    done
    echo $n
}

# ---- 1. run with -j 2, kill the process group in the middle --------------------------------
# The kill races with the runs: a run seen in flight may finish before SIGKILL lands. An
# attempt that leaves no run cut off is discarded and the bench started afresh (at most 5).
kill_mid_run() {
    rm -rf single
    set -m
    "$BIN" bench grid.json -j 2 --out single -q 2>bench1.err &
    pid=$!
    set +m
    killed=0
    while kill -0 "$pid" 2>/dev/null; do # as long as it runs: no fixed time on a loaded machine
        if [ "$(count_done single)" -ge 4 ] && [ "$(count_interrupted single)" -ge 1 ]; then
            kill -9 -- "-$pid"
            killed=1
            break
        fi
        sleep 0.02
    done
    wait "$pid" 2>/dev/null || true
    if [ "$killed" != 1 ]; then
        # Under load the bench can finish between two polls: not a failure of the bench, so
        # the attempt is discarded like one whose in-flight runs all finished.
        echo "note: the bench ended before it could be killed mid-run"
        interrupted=0
        return
    fi
    done_at_kill=$(count_done single)
    interrupted=$(count_interrupted single)
    [ "$done_at_kill" -lt "$CELLS" ] || fail "all runs finished before the kill"
}
for attempt in 1 2 3 4 5; do
    kill_mid_run
    [ "$interrupted" -ge 1 ] && break
    echo "note: attempt $attempt: every run in flight finished before the kill landed; again"
done
[ "$interrupted" -ge 1 ] || fail "no run was interrupted by the kill (5 attempts)"
pass "killed with $done_at_kill runs done and $interrupted interrupted"

# ---- 2. resume -------------------------------------------------------------------------------
"$BIN" bench grid.json -j 2 --out single 2>bench2.err || fail "resume failed: $(cat bench2.err)"
grep -q "(${done_at_kill} were already done)" bench2.err ||
    fail "resume did not skip the $done_at_kill finished runs: $(cat bench2.err)"
[ "$(count_done single)" = "$CELLS" ] || fail "resume left runs unfinished"
resumed=$(cat single/runs/*/*/seed-*/run.log | grep -c "^llmbo bench: resuming run" || true)
[ "$resumed" -ge "$interrupted" ] || fail "only $resumed runs were resumed, $interrupted were cut"
pass "resumed: all $CELLS runs finished, $resumed of them continued from their journals"

# Every journal has each evaluation exactly once, iter 0..budget-1 in order.
for d in single/runs/*/*/seed-*; do
    budget=14
    case "$d" in single/runs/hartmann3/*) budget=18 ;; esac
    iters=$(grep -o '"iter":[0-9]*' "$d/journal.jsonl" | cut -d: -f2 | tr '\n' ' ')
    expect=$(seq 0 $((budget - 1)) | tr '\n' ' ')
    [ "$iters" = "$expect" ] || fail "$d/journal.jsonl iterations: $iters"
done
pass "every journal holds each evaluation exactly once"

# The cell configs follow the merge rules: defaults < strategy < objective.
grep -q '"budget":[[:space:]]*18' single/runs/hartmann3/gp-ucb/seed-2/run.json ||
    fail "hartmann3's budget is not in its run config"
grep -q '"acquisition":[[:space:]]*"ucb"' single/runs/hartmann3/gp-ucb/seed-2/run.json ||
    fail "the strategy's acquisition is not in its run config"
grep -q '"seed":[[:space:]]*2' single/runs/hartmann3/gp-ucb/seed-2/run.json ||
    fail "the seed is not in the run config"
pass "cell run configs"

# Fair comparison: the initial design of a seed is the same for every strategy.
for o in branin hartmann3; do
    for s in 0 1 2; do
        ref=""
        for st in random gp-logei gp-ucb; do
            j=single/runs/$o/$st/seed-$s/journal.jsonl
            init=$(grep '"source":"init"' "$j" | grep -o '"xv":\[[^]]*\]' | tr '\n' ' ')
            [ -n "$init" ] || fail "$j has no initial design"
            [ "$(grep -c '"source":"init"' "$j")" = 5 ] || fail "$j: init.n = 5 not honoured"
            if [ -z "$ref" ]; then ref=$init; fi
            [ "$init" = "$ref" ] || fail "$o seed $s: $st's initial design differs from random's"
        done
    done
done
pass "all strategies share each seed's initial design"

"$BIN" report single -q --no-png || fail "report of the single-process bench"

# ---- 3. the same grid as 3 shards in parallel, merged by report ----------------------------
for i in 1 2 3; do
    "$BIN" bench grid.json -j 1 --shard "$i/3" --out sharded -q &
done
wait
[ "$(count_done sharded)" = "$CELLS" ] || fail "the 3 shards did not cover the grid"
"$BIN" report sharded -q --no-png || fail "report of the sharded bench"
n=0
for f in report.md summary.csv single/*.svg; do
    f=${f#single/}
    cmp -s "single/$f" "sharded/$f" || fail "$f differs between the single-process and sharded runs"
    n=$((n + 1))
done
[ "$n" -ge 7 ] || fail "expected report.md, summary.csv and at least 5 plots, compared $n files"
pass "merged 3-shard report is byte-identical to the single-process one ($n files)"
grep -q "runs complete: $CELLS, interrupted (journal without summary): 0, missing: 0" \
    single/report.md || fail "report.md does not state the complete grid"

# ---- 4. advisor slots: advisor_concurrency 1 with -j 2 -----------------------------------------
# The advisor strategy ranks through the OpenAI backend against the scripted loopback server
# (tests/llm_server.py), which logs every request in arrival order, under its lock, with the
# number of requests in flight at its arrival. A run's requests are told apart by the first line
# of the history in their prompts (each seed has its own initial design). Cells are ordered gp-llm
# seeds 0-2, then random, so without the limit the first two advisor runs start together: the
# first request is held until a second is in flight ("gate"), so the premise (the runs do
# overlap) holds by count on any load. With the limit, a run's requests must all arrive before the
# next run's first one (no interleaving, never two in flight), and the random runs fill the
# second worker. Nothing is judged by time.
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT
start_server() { # $1: script JSON text, $2: request log
    stop_server
    printf '%s' "$1" >script.json
    rm -f port "$2"
    "$PY" "$SRC/tests/llm_server.py" script.json --log "$2" >port &
    SERVER_PID=$!
    # Python's start-up can take seconds on a loaded machine: wait as long as the server lives.
    while ! grep -q PORT port 2>/dev/null && kill -0 "$SERVER_PID" 2>/dev/null; do sleep 0.05; done
    PORT=$(awk '/PORT/ {print $2}' port)
    [ -n "$PORT" ] || fail "loopback server did not start"
}
adv_grid() { # $1: advisor_concurrency
    cat <<EOF
{"seeds": 3, "budget": 24, "advisor_concurrency": $1, "objectives": ["branin"],
 "strategies": [{"name": "gp-llm", "strategy": "gp+llm", "advisor": {"backend": "openai",
                 "model": "slot-test", "base_url": "http://127.0.0.1:$PORT/v1", "api_key_env": null,
                 "mode": "rank", "price": {"input": 0, "output": 0}}},
                {"name": "random", "strategy": "random"}]}
EOF
}
# runs.py LOG -> "max_inflight runs switches sizes": the most requests ever in flight, how many
# runs sent requests, how often the log passes from one run's request to another's, and each
# run's request count (sorted, comma-separated)
cat >runs.py <<'EOF'
import json, re, sys
inflight, seq = 0, []
for line in open(sys.argv[1]):
    r = json.loads(line)
    inflight = max(inflight, r["inflight"])
    user = [m["content"] for m in json.loads(r["body"])["messages"] if m["role"] == "user"][0]
    seq.append(re.search(r"^#0: .*$", user, re.M).group(0))
sizes = sorted(seq.count(k) for k in set(seq))
switches = sum(a != b for a, b in zip(seq, seq[1:]))
print(inflight, len(set(seq)), switches, ",".join(map(str, sizes)))
EOF
calls() { # DIR -> each gp-llm run's advisor call count (sorted, comma-separated)
    grep -h '"calls"' "$1"/runs/branin/gp-llm/seed-*/summary.json | grep -o '[0-9]*' | sort -n |
        paste -sd, -
}
start_server '{"responses": [], "default": {}}' adv1.jsonl
adv_grid 1 >adv1.json
"$BIN" bench adv1.json -j 2 --out adv1 -q || fail "advisor bench with 1 slot"
read -r inflight runs switches sizes <<<"$("$PY" runs.py adv1.jsonl)"
[ "$runs" = 3 ] || fail "expected requests from 3 advisor runs, found $runs"
[ "$sizes" = "$(calls adv1)" ] ||
    fail "the server's requests per run ($sizes) are not the runs' advisor calls ($(calls adv1))"
[ "$inflight" = 1 ] && [ "$switches" = 2 ] ||
    fail "advisor runs overlapped with advisor_concurrency 1: $inflight requests in flight at once, the log passes between runs $switches times (2 without overlap)"
start_server '{"responses": [{"gate": 2}], "default": {}}' adv0.jsonl
adv_grid 0 >adv0.json
"$BIN" bench adv0.json -j 2 --out adv0 -q || fail "advisor bench without a limit"
stop_server
read -r inflight runs switches sizes <<<"$("$PY" runs.py adv0.jsonl)"
[ "$runs" = 3 ] && [ "$sizes" = "$(calls adv0)" ] ||
    fail "without a limit: $runs runs sent requests ($sizes), calls $(calls adv0)"
[ "$inflight" -ge 2 ] && [ "$switches" -gt 2 ] ||
    fail "without a limit the advisor runs did not overlap (test premise): $inflight in flight, $switches switches"
pass "advisor_concurrency 1: advisor runs never overlap (1 request in flight, each run's requests contiguous); without the limit they do ($inflight in flight, $switches switches)"

# ---- 5. advisor failures are said, not only counted -----------------------------------------------
# The runs complete and rank like any other, so the bench's closing lines and report.md must say
# how many advisor calls gave no advice. The server refuses the first 3 requests (400: no retry);
# then a dead advisor (the server's port closed; "on_unreachable": "fallback", or the run refuses
# to start) fails every call.
fail_grid() { # $1: name, $2: more advisor keys
    cat <<EOF
{"seeds": 2, "budget": 14, "objectives": ["branin"],
 "strategies": [{"name": "$1", "strategy": "gp+llm", "advisor": {"backend": "openai",
                 "model": "fail-test", "base_url": "http://127.0.0.1:$PORT/v1", "api_key_env": null,
                 "mode": "rank", "max_retries": 0, "price": {"input": 0, "output": 0}${2:-}}}]}
EOF
}
failed_calls() { # DIR STRATEGY [SEED] -> "failed requests" summed over its runs' summaries
    "$PY" - "$1" "$2" "${3:-*}" <<'EOF'
import glob, json, sys
f = c = 0
for p in glob.glob("%s/runs/branin/%s/seed-%s/summary.json" % tuple(sys.argv[1:4])):
    a = json.load(open(p))["advisor"]
    f += a["fallback"] + a["errors"]
    c += a["valid"] + a["repaired"] + a["fallback"] + a["errors"]
print(f, c)
EOF
}
start_server '{"responses": [{"status": 400, "body": "no"}, {"status": 400, "body": "no"},
               {"status": 400, "body": "no"}], "default": {}}' fail1.jsonl
fail_grid some-fail >fail1.json
"$BIN" bench fail1.json -j 1 --out fail1 -q 2>err.txt || fail "bench with a failing advisor: $(cat err.txt)"
read -r f c <<<"$(failed_calls fail1 some-fail)"
[ "$f" -ge 1 ] && [ "$f" -lt "$c" ] || fail "premise: expected some of the requests to fail, $f of $c"
grep -q "llmbo bench: $f of $c advisor requests failed, in 1 runs" err.txt ||
    fail "the bench's closing lines do not count the failed advisor requests ($f of $c): $(cat err.txt)"
grep -q "run .*fail1/runs/branin/some-fail/seed-0: $f of [0-9]* advisor requests failed.*400" err.txt ||
    fail "the failing run and its first reason are not named: $(cat err.txt)"
read -r f0 c0 <<<"$(failed_calls fail1 some-fail 0)"
grep -q "^llmbo: $f0 of $c0 advisor requests failed; the loop made those decisions itself" \
    fail1/runs/branin/some-fail/seed-0/run.log ||
    fail "the run's own closing line on its advisor: $(tail -3 fail1/runs/branin/some-fail/seed-0/run.log)"
"$BIN" report fail1 -q --no-png || fail "report of the failing-advisor bench"
grep -q "^## WARNING: advisor requests failed" fail1/report.md &&
    grep -q "^- \*\*some-fail\*\* on \*\*branin\*\*: $f of $c requests failed" fail1/report.md ||
    fail "report.md does not warn of the failed advisor requests: $(grep -A4 WARNING fail1/report.md)"
stop_server
fail_grid dead ', "on_unreachable": "fallback"' >fail2.json
"$BIN" bench fail2.json -j 1 --out fail2 -q 2>err.txt || fail "bench with a dead advisor"
read -r f c <<<"$(failed_calls fail2 dead)"
[ "$f" = "$c" ] && [ "$c" -ge 2 ] || fail "premise: every request of a dead advisor fails, $f of $c"
grep -q "llmbo bench: WARNING: every advisor request failed ($f of $c, in 2 runs)" err.txt ||
    fail "no warning that every advisor request failed: $(cat err.txt)"
"$BIN" report fail2 -q --no-png || fail "report of the dead-advisor bench"
grep -q "^- \*\*dead\*\* on \*\*branin\*\*: $f of $c requests failed (100 %), in 2 of 2 runs (\*\*no advice at all\*\*)" \
    fail2/report.md || fail "report.md does not say the dead advisor gave no advice"
grep -q "^llmbo: WARNING: every advisor request failed" fail2/runs/branin/dead/seed-1/run.log ||
    fail "the dead-advisor run does not end with a warning: $(tail -2 fail2/runs/branin/dead/seed-1/run.log)"
# the single-run report says it too
"$BIN" report fail1/runs/branin/some-fail/seed-0 -q --no-png || fail "report of one failing-advisor run"
grep -q "^- \*\*advisor requests failed: $f0 of $c0\*\*; .*the first reason: http: .*400" \
    fail1/runs/branin/some-fail/seed-0/report.md || fail "the run report does not count its failed advisor requests"
read -r f1 c1 <<<"$(failed_calls fail2 dead 1)"
"$BIN" report fail2/runs/branin/dead/seed-1 -q --no-png || fail "report of one dead-advisor run"
grep -q "^- \*\*WARNING: every one of the advisor requests failed: $f1 of $c1\*\*" \
    fail2/runs/branin/dead/seed-1/report.md || fail "the run report does not warn that no advice came"
! grep -q "advisor requests failed" single/report.md || fail "a warning in a report without advisor failures"
pass "advisor failures are loud: $f of $c dead-advisor requests and the partly failing run are counted on the bench's terminal and in report.md"

# ---- 6. errors ---------------------------------------------------------------------------------
set +e
"$BIN" bench grid.json --shard 4/3 --out x 2>err.txt
rc=$?
set -e
[ $rc = 2 ] && grep -q "expected I/N with 1 <= I <= N" err.txt || fail "--shard 4/3: rc $rc"
sed 's/"budget": 14/"budget": 15/' grid.json >grid2.json
set +e
"$BIN" bench grid2.json --out single 2>err.txt
rc=$?
set -e
[ $rc = 2 ] && grep -q "describes a different bench" err.txt ||
    fail "a different bench into the same directory: rc $rc, $(cat err.txt)"
printf '{"objectives": ["branin"], "strategies": [{"name": "a", "acqusition": "ei"}], "seeds": 1}' >bad.json
set +e
"$BIN" bench bad.json --out y 2>err.txt
rc=$?
set -e
[ $rc = 2 ] && grep -q "bad.json: strategies\[0\].acqusition: unknown key" err.txt ||
    fail "unknown key: rc $rc, $(cat err.txt)"
set +e
"$BIN" report "$WORK/nothing-here" 2>err.txt
rc=$?
set -e
[ $rc = 1 ] && grep -q "not a bench directory" err.txt || fail "report of a non-bench dir: rc $rc"
pass "usage and config errors exit with clear messages"
echo "e2e_bench: all checks passed"
