#!/usr/bin/env bash
# e2e_objectives_cli.sh: `llmbo objectives [--json]` and `llmbo eval` through the binary: the
# JSON listing's shape, every listed optimiser evaluated by `llmbo eval` against the listed
# optimal value, full-precision output checked against closed forms in Python, and the usage
# errors with their exit codes and messages.
set -u
BIN=${LLMBO_BIN:?LLMBO_BIN not set}
PY=${LLMBO_PYTHON:-/usr/bin/python3}
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE STDERR-SUBSTRING CMD...: exit code and a piece of the message.
expect() {
    local code=$1 msg=$2
    shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq "$code" ] && [[ "$err" == *"$msg"* ]]; then
        pass "$* -> $rc"
    else
        fail "$* -> $rc, '$err' (expected $code, '$msg')"
    fi
}

"$BIN" objectives >table.txt && grep -q '^branin ' table.txt && grep -q '^cosine8 .* max ' table.txt &&
    pass "objectives table" || fail "objectives table"
"$BIN" objectives --json >list.json || fail "objectives --json exit code"

# Shape of the listing, and every optimiser evaluated by the CLI.
"$PY" - "$BIN" list.json <<'PYEOF' && pass "JSON listing and eval at every optimiser" || fail "JSON listing"
import json, math, subprocess, sys
bin_, path = sys.argv[1], sys.argv[2]
lst = json.load(open(path))
assert isinstance(lst, list) and len(lst) >= 37, len(lst)
names = set()
for e in lst:
    for k in ("name", "dim", "bounds", "optimal_value", "optimizers", "maximize", "description"):
        assert k in e, (e.get("name"), k)
    assert len(e["bounds"]) == e["dim"] and all(lo < hi for lo, hi in e["bounds"]), e["name"]
    names.add(e["name"])
    if e["optimizers"] is None:
        assert e["optimal_value"] is None, e["name"]
        continue
    for x in e["optimizers"]:
        out = subprocess.run([bin_, "eval", e["spec"]] + [repr(float(v)) for v in x],
                             capture_output=True, text=True, check=True).stdout
        y = float(out)
        assert abs(y - e["optimal_value"]) <= 1e-9 * max(1.0, abs(e["optimal_value"])), (e["name"], y)
need = {"branin", "hartmann3", "hartmann6", "ackley", "levy", "rosenbrock", "griewank", "rastrigin",
        "michalewicz", "styblinski_tang", "six_hump_camel", "three_hump_camel", "goldstein_price",
        "beale", "booth", "dixon_price", "powell", "shekel5", "shekel7", "shekel10", "cosine8",
        "drop_wave", "eggholder", "holder_table", "zakharov", "sphere", "bukin6", "pid", "reaction",
        "krr"}
assert need <= names, need - names
cos8 = [e for e in lst if e["name"] == "cosine8"][0]
assert cos8["maximize"] is True and cos8["optimal_value"] == 0.8
ack = [e for e in lst if e["name"] == "ackley"][0]
assert ack["dim"] == 2 and ack["variable_dim"] is True and ack["spec"] == "ackley:2"
PYEOF

# Full precision: the printed value round-trips to the double computed by Python.
out=$("$BIN" eval branin 3.141592653589793 2.275)
"$PY" -c "import math,sys; y=float('$out'); sys.exit(0 if abs(y-5/(4*math.pi))<=1e-15*5/(4*math.pi) else 1)" &&
    pass "eval branin at (pi, 2.275) = $out (5/(4 pi))" || fail "eval branin: $out"
out=$("$BIN" eval rosenbrock:3 0.5 -1.25 2)
"$PY" -c "import sys; x=[0.5,-1.25,2.0]; f=sum(100*(x[i+1]-x[i]**2)**2+(x[i]-1)**2 for i in range(2)); sys.exit(0 if float('$out')==f else 1)" &&
    pass "eval rosenbrock:3 = $out" || fail "eval rosenbrock:3: $out"
out=$("$BIN" eval cosine8 0 0 0 0 0 0 0 0)
"$PY" -c "import sys; sys.exit(0 if abs(float('$out')-0.8)<=1e-15 else 1)" &&
    pass "cosine8 printed as defined (maximum 0.8): $out" || fail "cosine8: $out"

# Instances through a run config and the CLI: the run's summary names levy:3#5 with the base
# optimum value, eval of NAME#K at the run's best point reproduces its best value, and the
# listing marks which functions have instances (the values themselves: tests/test_objectives.c).
inst=$(mktemp -d)
printf '{"objective": "levy:3", "instance": 5, "budget": 4, "strategy": "random"}' >"$inst/c.json"
"$BIN" run "$inst/c.json" --out "$inst/out" >/dev/null 2>&1 || fail "run with an instance"
"$PY" - "$BIN" "$inst/out/summary.json" <<'PYEOF' && pass "instance run: levy:3#5, eval agrees with the run" || fail "instance run"
import json, subprocess, sys
bin_, path = sys.argv[1], sys.argv[2]
s = json.load(open(path))
assert s["objective"] == "levy:3#5" and s["optimal_value"] == 0, s["objective"]
lst = json.load(open("list.json"))
assert [e for e in lst if e["name"] == "levy"][0]["instances"] is True
assert [e for e in lst if e["name"] == "branin"][0]["instances"] is False
x = [repr(float(v)) for v in s["best_xv"]]
y = float(subprocess.run([bin_, "eval", "levy:3#5"] + x, capture_output=True, text=True,
                         check=True).stdout)
y0 = float(subprocess.run([bin_, "eval", "levy:3"] + x, capture_output=True, text=True,
                          check=True).stdout)
assert y == s["best_y"] and y != y0, (y, s["best_y"], y0)
PYEOF
rm -rf "$inst"
expect 2 'objective "branin": has no instances' "$BIN" eval branin#1 0 0
expect 2 'instance "x" is not an integer in [0, 1000000]' "$BIN" eval ackley:5#x 0 0 0 0 0

expect 0 "" "$BIN" eval --help
expect 0 "" "$BIN" objectives --help
expect 2 "branin takes 2 coordinates, got 3" "$BIN" eval branin 1 2 3
expect 2 "ackley:4 takes 4 coordinates, got 1" "$BIN" eval ackley:4 1
expect 2 'unknown objective "brannin" (did you mean "branin"?)' "$BIN" eval brannin 1 2
expect 2 'coordinate 2 (x2): "abc" is not a number' "$BIN" eval branin 1 abc
expect 2 "branin: x1: 11 outside bounds [-5, 10]" "$BIN" eval branin 11 2
expect 2 'dimension must be a multiple of 4' "$BIN" eval powell:5 1 2 3 4 5
expect 2 "missing objective name" "$BIN" eval
expect 2 "unknown argument '--bogus'" "$BIN" objectives --bogus

# The external-objective example through `llmbo run` (budget cut to 8, Debian's Python): every
# evaluation is journalled, failures with the command's reason, and the run completes.
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR not set}
rm -rf ext_run ext.json
"$PY" - "$SRC" "$PY" <<'PYEOF' || fail "writing the external config"
import json, sys
src, py = sys.argv[1], sys.argv[2]
cfg = json.load(open(src + "/examples/external.json"))
cfg["objective"]["command"] = "'%s' '%s/examples/external_objective.py'" % (py, src)
cfg["budget"] = 8
json.dump(cfg, open("ext.json", "w"))
PYEOF
if "$BIN" run ext.json --out ext_run -q >ext_summary.json; then
    "$PY" - <<'PYEOF' && pass "external example: 8 journalled evaluations" || fail "external example journal"
import json
lines = [json.loads(l) for l in open("ext_run/journal.jsonl")]
assert len(lines) == 8, len(lines)
for l in lines:
    assert set(l["x"]) == {"temperature", "stirring", "solvent"}
    assert l["x"]["solvent"] in ("water", "ethanol", "toluene")
    if l["status"] == "failed":
        assert l["y"] is None and "exited with status 3; stderr: solvent" in l["error"], l["error"]
    else:
        assert 0 <= l["y"] <= 100 and l["error"] is None
s = json.load(open("ext_summary.json"))
assert s["evaluations"] == 8 and s["maximize"] is True and s["optimal_value"] is None
PYEOF
else
    fail "llmbo run ext.json exited $?"
fi

echo "$fails failed"
[ "$fails" -eq 0 ]
