#!/usr/bin/env bash
# e2e_slurm.sh: the README's SLURM recipe under a real scheduler. Starts a single-node SLURM
# cluster on loopback from Debian's slurm-wlm and munge (a generated munge key, slurm.conf,
# munged, slurmctld and slurmd, all in a temporary directory on free ports), submits the
# quickstart's GP grid (examples/quickstart_gp.json) as a job array through
# examples/slurm_bench.sh (task I of N runs `--shard I/N`; the tasks run at the same time, writing into one directory), waits for it,
# merges with `llmbo report`, and checks that report.md, summary.csv and every plot are
# byte-identical to those of the same bench run in one process (timing.csv, the only file with
# timings, aside). Label `slurm`. Needs root (slurmd starts jobs as their user) and the slurm
# packages (`bash scripts/install-deps.sh ci`, or the test level as root where systemd does not
# run, e.g. in a chroot); without them it is skipped (exit 77) saying why, unless
# LLMBO_REQUIRE_SLURM=1 (set by .ci/run), which turns the skip into a failure.
set -uo pipefail
BIN=${LLMBO_BIN:?LLMBO_BIN must point to the llmbo binary}
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR must point to the source tree}
PY=${LLMBO_PYTHON:-/usr/bin/python3}
SHARDS=3

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pass() { echo "PASS: $*"; }
skip() {
    if [ "${LLMBO_REQUIRE_SLURM:-0}" = 1 ]; then
        fail "$* (LLMBO_REQUIRE_SLURM=1: this run must not skip the SLURM test)"
    fi
    echo "SKIP: $*"
    exit 77
}

[ "$(id -u)" -eq 0 ] || skip "not root: slurmd must run as root to start jobs as their user" \
    "(CI runs as root)"
for c in munged mungekey slurmctld slurmd sbatch sinfo scontrol; do
    command -v "$c" >/dev/null ||
        skip "$c is not installed (bash scripts/install-deps.sh ci installs slurmctld, slurmd," \
            "slurm-client and munge; the test level does so only as root where systemd does not" \
            "run, since on a booted system the packages enable their daemons as services)"
done

# Short path: munge's socket path must fit in sockaddr_un (108 bytes).
WORK=$(mktemp -d /tmp/llmbo-slurm.XXXXXX)
chmod 755 "$WORK" # munged wants its socket directory searchable by all
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 1
mkdir -p state spool/llmbo-node out

# Two free TCP ports on loopback (another cluster of a concurrent test run takes others).
read -r CTLD_PORT SLURMD_PORT < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
[ -n "${SLURMD_PORT:-}" ] || fail "no free ports found"

# ---- munge ------------------------------------------------------------------------------
mungekey --create --keyfile="$WORK/munge.key" >/dev/null 2>&1 ||
    fail "mungekey could not generate a key"
munged --foreground --socket="$WORK/munge.sock" --key-file="$WORK/munge.key" \
    --pid-file="$WORK/munged.pid" --seed-file="$WORK/munged.seed" \
    --log-file="$WORK/munged.log" >munged.out 2>&1 &
PIDS+=($!)
# Waited for as long as munged lives (at most 120 s): no short limit to miss on a loaded machine.
for _ in $(seq 1 1200); do
    [ -S "$WORK/munge.sock" ] && break
    kill -0 "${PIDS[0]}" 2>/dev/null || break
    sleep 0.1
done
[ -S "$WORK/munge.sock" ] || skip "munged did not start: $(tail -n 3 munged.out)"
munge -S "$WORK/munge.sock" -n | unmunge -S "$WORK/munge.sock" >/dev/null ||
    skip "munge cannot encode and decode a credential with its own key"
pass "munged on $WORK/munge.sock"

# ---- slurm.conf ---------------------------------------------------------------------------
CPUS=$(nproc)
cat >slurm.conf <<EOF
ClusterName=llmbotest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$WORK/munge.sock
CredType=cred/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool/%n
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MailProg=/bin/true
NodeName=llmbo-node NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=test Nodes=llmbo-node Default=YES MaxTime=INFINITE State=UP
EOF
# slurmd initialises a cgroup plugin even with proctrack/linuxproc and task/none; 22.05's default
# (autodetect) fails where no cgroup file system is mounted, as in a bare chroot: "cgroup
# filesystem not mounted in /sys/fs/cgroup/ ... Unable to initialize cgroup plugin". The v1
# plugin, named explicitly, mounts nothing at start-up and does not need one (22.05 has no
# "disabled"). Elsewhere the default stays.
if ! grep -qs ' /sys/fs/cgroup' /proc/self/mounts; then
    printf 'CgroupPlugin=cgroup/v1\nCgroupAutomount=no\n' >cgroup.conf
fi
export SLURM_CONF=$WORK/slurm.conf

# ---- daemons ------------------------------------------------------------------------------
slurmctld -D >slurmctld.out 2>&1 &
PIDS+=($!)
slurmd -D -N llmbo-node >slurmd.out 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 1 900); do # as long as both daemons live, at most about 3 minutes
    state=$(sinfo -h -N -o %t 2>/dev/null | head -n 1)
    [ "$state" = idle ] && break
    kill -0 "${PIDS[1]}" 2>/dev/null || break
    kill -0 "${PIDS[2]}" 2>/dev/null || break
    sleep 0.2
done
if [ "$state" != idle ]; then
    tail -n 5 slurmctld.out slurmd.out slurmctld.log slurmd.log 2>/dev/null
    skip "the single-node cluster did not come up (node state '$state'; logs above)"
fi
pass "slurmctld on port $CTLD_PORT, slurmd on port $SLURMD_PORT: node idle with $CPUS CPUs"

# ---- the bench as a job array ----------------------------------------------------------------
# The quickstart's GP grid without its advisor-model strategies: those read the model and its
# templates by paths relative to the source tree, and add minutes of engine CPU to CI.
CFG=$SRC/examples/quickstart_gp.json
# One CPU per task, so the shards run at the same time on this node and write into out/ together.
LLMBO=$BIN timeout 600 sbatch --wait --array=1-$SHARDS --cpus-per-task=1 --chdir="$WORK" \
    --output="$WORK/task-%A_%a.log" "$SRC/examples/slurm_bench.sh" "$CFG" "$WORK/out" \
    >sbatch.out 2>&1
rc=$?
cat sbatch.out
for f in task-*.log; do
    [ -s "$f" ] && { echo "== $f"; cat "$f"; }
done
[ $rc -eq 0 ] || fail "sbatch --wait --array=1-$SHARDS exited with $rc"
n_logs=$(ls task-*_[0-9]*.log 2>/dev/null | wc -l)
[ "$n_logs" -eq $SHARDS ] || fail "$n_logs array task logs, expected $SHARDS"
pass "job array of $SHARDS tasks finished (sbatch --wait exit 0)"

n_cells=$(find out/runs -name summary.json | wc -l)
expected=$("$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(len(c["objectives"]) * len(c["strategies"]) * (c["seeds"] if isinstance(c["seeds"], int) else len(c["seeds"])))' "$CFG")
[ "$n_cells" -eq "$expected" ] || fail "$n_cells finished runs, expected $expected"
pass "all $expected runs finished across the shards"

"$BIN" report out >report.out 2>&1 || fail "llmbo report of the merged shards: $(cat report.out)"

# ---- the same bench in one process ----------------------------------------------------------
"$BIN" bench "$CFG" -j 2 --out single -q >single.out 2>&1 || fail "single-process bench: $(cat single.out)"
"$BIN" report single >>single.out 2>&1 || fail "llmbo report single: $(cat single.out)"

n_files=0
for f in single/report.md single/summary.csv single/*.svg; do
    name=${f#single/}
    [ -f "out/$name" ] || fail "$name is missing from the SLURM bench's report"
    cmp -s "$f" "out/$name" || {
        diff "$f" "out/$name" | head -n 20
        fail "$name differs between the SLURM job array and the single-process bench"
    }
    n_files=$((n_files + 1))
done
for f in out/report.md out/summary.csv out/*.svg; do
    [ -f "single/${f#out/}" ] || fail "${f#out/} is only in the SLURM bench's report"
done
[ "$n_files" -ge 3 ] || fail "only $n_files report files compared"
pass "report.md, summary.csv and $((n_files - 2)) plots byte-identical to the single-process bench"
echo "e2e_slurm: all checks passed"
