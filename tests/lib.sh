# tests/lib.sh: the start the e2e scripts share, sourced right after their `set` line:
#     . "$(dirname "$0")/lib.sh"
# It sets BIN (LLMBO_BIN), SRC (LLMBO_SOURCE_DIR), PY (LLMBO_PYTHON, else Debian's python, the
# one with the packages the checks import) and WORK (a fresh directory, removed at exit with the
# loopback server if one runs), and defines pass, fail, finish and the loopback server's
# start_server / stop_server. fail counts failures and the script ends with `finish`, unless
# E2E_FAIL_FAST=1 is set before sourcing: then fail says why on stderr and exits 1 at once.
BIN=${LLMBO_BIN:?LLMBO_BIN must name the llmbo binary}
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR must name the source tree}
PY=${LLMBO_PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/llmbo_$(basename "$0" .sh).XXXXXX")
SERVER_PID=""
fails=0

stop_server() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
if [ "${E2E_FAIL_FAST:-0}" = 1 ]; then
    fail() { echo "FAIL: $*" >&2; exit 1; }
else
    fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
fi
# The last command of a script that counts failures: its exit status.
finish() {
    echo "$fails failed"
    [ "$fails" -eq 0 ]
}

# start_server SCRIPT_JSON: the scripted loopback model server (tests/llm_server.py) on a free
# port, PORT; it logs the requests it receives to $WORK/requests.jsonl.
start_server() {
    stop_server
    printf '%s' "$1" > "$WORK/script.json"
    rm -f "$WORK/port" "$WORK/requests.jsonl"
    "$PY" "$SRC/tests/llm_server.py" "$WORK/script.json" --log "$WORK/requests.jsonl" > "$WORK/port" &
    SERVER_PID=$!
    # Python starts slowly on a loaded machine: wait as long as the server lives, not a fixed time.
    while ! grep -q PORT "$WORK/port" 2>/dev/null && kill -0 "$SERVER_PID" 2>/dev/null; do sleep 0.05; done
    PORT=$(awk '/PORT/ {print $2}' "$WORK/port")
    [ -n "$PORT" ] || fail "loopback server did not start"
}

# same_runs A B N: run directories A and B hold the same run: ids 0..N-1 each exactly once in B's
# journal, (xv, y, source) equal id by id, and asked.jsonl's recorded tells equal; the reason on
# stdout otherwise (e2e_workers, e2e_tail).
same_runs() {
    "$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys
def load(d):
    j = [json.loads(l) for l in open(d + "/journal.jsonl")]
    a = [json.loads(l) for l in open(d + "/asked.jsonl")]
    return {o["id"]: (o["xv"], o["y"], o["source"]) for o in j}, [o["told"] for o in a], [o["id"] for o in j]
(a, ta, ia), (b, tb, ib), n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
if sorted(ib) != list(range(n)):
    sys.exit("ids are not 0..%d exactly once: %s" % (n - 1, ib))
if a != b:
    sys.exit("points or values differ at ids %s" % [i for i in a if a[i] != b.get(i)])
if ta != tb:
    sys.exit("the recorded tells differ")
EOF
}
