#!/usr/bin/env bash
# slurm_bench.sh: one llmbo bench spread over a SLURM job array. Task I of N runs shard I/N of
# the grid; every task writes into the same directory on a shared file system, and
# `llmbo report` merges them when all are done. A task that is preempted or times out is
# simply resubmitted: finished runs are skipped and interrupted ones resume from their journals.
#
#   sbatch --array=1-8 examples/slurm_bench.sh examples/quickstart.json bench-out
#   # when the array has finished (or as a dependent job: sbatch --dependency=afterok:JOBID ...)
#   ./build/llmbo report bench-out
#
#SBATCH --job-name=llmbo-bench
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
#SBATCH --output=llmbo-bench-%A_%a.log
set -euo pipefail
config=${1:?usage: sbatch --array=1-N slurm_bench.sh CONFIG.json OUTDIR}
out=${2:?usage: sbatch --array=1-N slurm_bench.sh CONFIG.json OUTDIR}
llmbo=${LLMBO:-./build/llmbo}
: "${SLURM_ARRAY_TASK_ID:?run this script with sbatch --array=1-N}"
: "${SLURM_ARRAY_TASK_COUNT:?run this script with sbatch --array=1-N}"
# Array indices must be 1..N: shard I of N is the I-th slice (cell index mod N == I-1).
exec "$llmbo" bench "$config" -j "${SLURM_CPUS_PER_TASK:-1}" \
    --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" --out "$out" -q
