#!/bin/bash
# e2e_newcomer.sh: what a new user meets when something goes wrong (issue 12), through the
# binary. Each case quotes the message the user now sees; the comment says what happened before.
set -u
BIN=${LLMBO_BIN:?LLMBO_BIN must name the llmbo binary}
PY=${LLMBO_PYTHON:-/usr/bin/python3}
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR must name the source tree}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect WANT_RC STDERR_SUBSTRING WHAT CMD...: exit status and a piece of stderr.
expect() {
    local want=$1 msg=$2 what=$3
    shift 3
    "$@" > "$WORK/out" 2> "$WORK/err"
    local rc=$?
    if [ $rc -eq "$want" ] && grep -qF -- "$msg" "$WORK/err"; then
        pass "$what: exit $rc, '$msg'"
    else
        fail "$what: exit $rc (want $want), stderr '$(cat "$WORK/err")' (want '$msg')"
    fi
}

# A finished 6-evaluation random run to damage.
cat > "$WORK/r.json" <<'JSON'
{"objective": "branin", "budget": 6, "strategy": "random", "seed": 3}
JSON
"$BIN" run "$WORK/r.json" --out "$WORK/base" -q > /dev/null || fail "base run"
damaged() { # damaged NAME SED-EXPR: the base run cut to 2 lines, line 2 edited, unfinished
    rm -rf "$WORK/$1"
    cp -r "$WORK/base" "$WORK/$1"
    rm -f "$WORK/$1/summary.json"
    head -2 "$WORK/base/journal.jsonl" | sed "2$2" > "$WORK/$1/journal.jsonl"
}

# --- F2: "t_wall": 1e999 (cJSON reads inf) used to flow into every later line and summary.json
damaged twall 's/"t_wall":[0-9.e-]*/"t_wall":1e999/'
expect 2 "journal.jsonl: line 2: t_wall must be a finite number of seconds >= 0" \
    "F2: journal t_wall 1e999 on resume" "$BIN" run --resume "$WORK/twall" -q
# --- F7: "id": 1e300 was cast to int64_t (undefined behaviour)
damaged id 's/"id":1,/"id":1e300,/'
expect 2 "journal.jsonl: line 2: iter and id must both equal the line's index" \
    "F7: journal id 1e300 on resume" "$BIN" run --resume "$WORK/id" -q
# --- F7: journal cost numbers 4e19 and 1e999: clamped counts, no inf in summary.json
damaged cost 's/"prompt_tokens":0/"prompt_tokens":4e19/; s/"dollars":0/"dollars":1e999/'
"$BIN" run --resume "$WORK/cost" -q > /dev/null 2>&1 &&
    "$PY" -c 'import json,sys; json.load(open(sys.argv[1]), parse_constant=lambda c: sys.exit("non-JSON constant " + c))' \
        "$WORK/cost/summary.json" && ! grep -q 'inf\|nan' "$WORK/cost/journal.jsonl" &&
    pass "F7: journal numbers 4e19 / 1e999 on resume: strict JSON out" ||
    fail "F7: journal numbers 4e19 / 1e999 on resume"
# xv with a non-finite coordinate
damaged xv 's/"xv":\[[0-9.e-]*,/"xv":[1e999,/'
expect 2 "journal.jsonl: line 2: xv must be an array of finite numbers of the objective's dimension" \
    "journal xv 1e999 on resume" "$BIN" run --resume "$WORK/xv" -q

echo "$fails failed"
[ "$fails" -eq 0 ]
