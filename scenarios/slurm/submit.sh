#!/usr/bin/env bash
# Submit a sweep as a Slurm job array of N shards and a merge that runs when all have finished.
#   scenarios/slurm/submit.sh N SCENARIO.json OUT_PREFIX [infercap run options]
# The result is OUT_PREFIX.h5, with the same numbers as `infercap run SCENARIO -o OUT_PREFIX.h5`.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 N SCENARIO.json OUT_PREFIX [infercap run options]" >&2
    exit 2
fi
n=$1 scenario=$2 prefix=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
bin=${INFERCAP:-infercap}
jid=$(sbatch --parsable --array=0-$((n - 1)) "$here/array.sh" "$scenario" "$prefix" "$@")
parts=()
for ((i = 0; i < n; i++)); do parts+=("$prefix.part-$i-of-$n.h5"); done
sbatch --parsable --dependency=afterok:"$jid" --job-name=infercap-merge \
    --wrap "$bin merge ${parts[*]} -o $prefix.h5"
echo "submitted array $jid ($n shards) and its merge into $prefix.h5"
