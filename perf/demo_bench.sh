#!/usr/bin/env bash
# demo_bench.sh: the bench harness's demonstration (perf/results/bench.md).
#   1. records the answers of a GP+advisor strategy (rank mode) into a cassette, against the
#      scripted loopback server tests/llm_server.py standing in for a model (its "model" ranks
#      the candidates in an order drawn from a hash of the prompt; token counts come from the
#      prompt and answer lengths; prices are given in the config);
#   2. runs 4 objectives x 4 strategies (random, gp-logei, gp-ucb, gp-llm-rank on the replay
#      backend) x 10 seeds with -j 2, SIGKILLs the bench's process group in the middle, resumes;
#   3. runs the same grid as 3 shards in parallel into another directory and merges: the reports
#      must be byte-identical;
#   4. scaling: runs per minute of a cheap grid with -j 1 and -j 2.
# usage: perf/demo_bench.sh [BUILD_DIR [WORK_DIR]]   (defaults: build, /tmp/llmbo-demo)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$SRC/build}" && pwd)/llmbo
W=${2:-/tmp/llmbo-demo}
PY=${LLMBO_PYTHON:-/usr/bin/python3}
rm -rf "$W"
mkdir -p "$W"
cd "$W"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---- 1. record ---------------------------------------------------------------------------------
printf '{"default": {}}' >script.json
"$PY" "$SRC/tests/llm_server.py" script.json >port.txt 2>server.err &
SERVER=$!
for _ in $(seq 100); do grep -q PORT port.txt 2>/dev/null && break; sleep 0.05; done
PORT=$(awk '/PORT/ {print $2}' port.txt)
OBJECTIVES='["branin", "hartmann3", {"objective": "ackley:3", "budget": 40},
               {"objective": "hartmann6", "budget": 50}]'
ADVISOR='"model": "loopback-ranker", "mode": "rank", "n_candidates": 5,
                 "price": {"input": 0.15, "cached_input": 0.075, "output": 0.60}'
cat >record.json <<EOF
{
  "name": "record the advisor's answers",
  "seeds": 10, "budget": 30, "advisor_concurrency": 1,
  "objectives": $OBJECTIVES,
  "strategies": [
    {"name": "gp-llm-rank", "strategy": "gp+llm", "acquisition": "logei",
     "advisor": {"backend": "openai", "base_url": "http://127.0.0.1:$PORT/v1", "api_key_env": null,
                 $ADVISOR, "record": "$W/cassette.jsonl"}}
  ]
}
EOF
t0=$(now)
"$BIN" bench record.json -j 2 --out record -q
echo "recorded $(wc -l <cassette.jsonl) advisor answers in $(secs "$t0" "$(now)") s"
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
SERVER=""

# ---- 2. the 4 x 4 x 10 grid with -j 2, killed and resumed -------------------------------------
cat >demo.json <<EOF
{
  "name": "4 objectives x 4 strategies x 10 seeds (advisor replayed from a cassette)",
  "seeds": 10, "budget": 30,
  "objectives": $OBJECTIVES,
  "strategies": [
    {"name": "random", "strategy": "random"},
    {"name": "gp-logei", "strategy": "gp", "acquisition": "logei"},
    {"name": "gp-ucb", "strategy": "gp", "acquisition": "ucb"},
    {"name": "gp-llm-rank", "strategy": "gp+llm", "acquisition": "logei",
     "advisor": {"backend": "replay", "cassette": "$W/cassette.jsonl", $ADVISOR}}
  ]
}
EOF
cells=160
t0=$(now)
set -m
"$BIN" bench demo.json -j 2 --out single -q &
pid=$!
set +m
count_interrupted() {
    local n=0 d
    for d in single/runs/*/*/seed-*; do
        [ -f "$d/journal.jsonl" ] && [ ! -f "$d/summary.json" ] && n=$((n + 1))
    done
    echo $n
}
# kill once 40% of the runs are done and some run is between two evaluations
while kill -0 "$pid" 2>/dev/null; do
    if [ "$(find single/runs -name summary.json 2>/dev/null | wc -l)" -ge $((cells * 2 / 5)) ] &&
        [ "$(count_interrupted)" -ge 1 ]; then
        break
    fi
    sleep 0.02
done
kill -9 -- "-$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
t1=$(now)
done_at_kill=$(find single/runs -name summary.json | wc -l)
interrupted=$(count_interrupted)
echo "killed (SIGKILL to the process group) after $(secs "$t0" "$t1") s: $done_at_kill runs done, $interrupted interrupted"
"$BIN" bench demo.json -j 2 --out single 2>resume.err
t2=$(now)
tail -1 resume.err
resumed=$(cat single/runs/*/*/seed-*/run.log | grep -c "^llmbo bench: resuming run" || true)
echo "resume took $(secs "$t1" "$t2") s; runs continued from their journals: $resumed"
"$BIN" report single -q

# ---- 3. three shards in parallel, merged -------------------------------------------------------
t0=$(now)
for i in 1 2 3; do "$BIN" bench demo.json -j 1 --shard "$i/3" --out sharded -q & done
wait
echo "3 shards (-j 1 each, in parallel) took $(secs "$t0" "$(now)") s"
"$BIN" report sharded -q
same=0
differ=0
for f in report.md summary.csv single/*.svg; do
    f=${f#single/}
    if cmp -s "single/$f" "sharded/$f"; then same=$((same + 1)); else differ=$((differ + 1)); echo "DIFFERS: $f"; fi
done
echo "merged 3-shard report vs killed+resumed single-process report: $same files identical, $differ differ"

# ---- 4. scaling ------------------------------------------------------------------------------------
cat >cheap.json <<'EOF'
{"name": "cheap", "seeds": 10, "budget": 20,
 "objectives": ["branin", "hartmann3"],
 "strategies": [{"name": "random", "strategy": "random"},
                {"name": "gp-logei", "strategy": "gp", "acquisition": "logei"}]}
EOF
for j in 1 2; do
    t0=$(now)
    "$BIN" bench cheap.json -j $j --out "cheap-j$j" -q
    s=$(secs "$t0" "$(now)")
    echo "cheap grid (40 runs) -j $j: $s s, $(awk -v s="$s" 'BEGIN { printf "%.1f", 40 * 60 / s }') runs/min (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
done
