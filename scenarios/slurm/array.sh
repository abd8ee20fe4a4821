#!/usr/bin/env bash
# One shard of a sweep per Slurm array task (see submit.sh, which also merges the parts).
#   sbatch --array=0-15 scenarios/slurm/array.sh SCENARIO.json OUT_PREFIX [infercap run options]
# Task i of N writes OUT_PREFIX.part-i-of-N.h5 with the points k mod N = i.  --resume makes a
# requeued or restarted task keep the points it had finished.
#SBATCH --job-name=infercap-sweep
#SBATCH --cpus-per-task=8
#SBATCH --time=02:00:00
#SBATCH --output=%x-%A_%a.out
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: sbatch --array=0-(N-1) $0 SCENARIO.json OUT_PREFIX [infercap run options]" >&2
    exit 2
fi
scenario=$1 prefix=$2
shift 2
: "${SLURM_ARRAY_TASK_ID:?run under sbatch --array (or set SLURM_ARRAY_TASK_ID/COUNT/MIN)}"
i=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))
n=${SLURM_ARRAY_TASK_COUNT:?}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-${OMP_NUM_THREADS:-1}}
exec "${INFERCAP:-infercap}" run "$scenario" --shard "$i/$n" --resume -q \
    -o "$prefix.part-$i-of-$n.h5" "$@"
