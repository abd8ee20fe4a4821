#!/usr/bin/env bash
# memcheck.sh INFERCAP: valgrind memcheck on small runs of each engine and a sweep: no invalid
# access, no leak (definite or possible), or the script fails.
set -euo pipefail
bin=${1:?usage: tools/memcheck.sh INFERCAP}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg=(valgrind --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite,possible -q)
export OMP_NUM_THREADS=1
"${vg[@]}" "$bin" run "$src/tests/python/data/small.json" -o "$tmp/a.h5" -q --paths 6
"${vg[@]}" "$bin" run "$src/tests/python/data/sweep.json" -o "$tmp/s.h5" -q --paths 4
"${vg[@]}" "$bin" run "$src/tests/python/data/steady.json" -o "$tmp/r.h5" -q \
    --set /engine=request --set /request_engine/duration_s=30 --set /traffic/growth/initial=200000
printf '0,500,20\n0.5,800,40\n1.0,300,10\n' >"$tmp/t.csv"
"${vg[@]}" "$bin" replay "$src/tests/python/data/steady.json" --trace "$tmp/t.csv" -o "$tmp/t.h5" -q
"${vg[@]}" "$bin" info "$tmp/s.h5" >/dev/null
"${vg[@]}" "$bin" validate "$src/tests/bad/sweep-shape.json" >/dev/null 2>&1 || [ $? -eq 2 ]
# A checkpointed run stopped by SIGINT (exit 3, checkpoint saved), then resumed from it.
kimi=("$src/scenarios/kimi-2024-03.json" -o "$tmp/c.h5" -q --paths 6 --set /horizon_days=4
      --window-outputs 4 --checkpoint-every 0)
"${vg[@]}" "$bin" run "${kimi[@]}" &
pid=$!
while [ ! -e "$tmp/c.h5.ckpt" ] && kill -0 $pid 2>/dev/null; do sleep 0.1; done
kill -INT $pid 2>/dev/null || true
rc=0
wait $pid || rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] || { echo "memcheck: checkpointed run failed ($rc)" >&2; exit 1; }
"${vg[@]}" "$bin" run "${kimi[@]}" --resume 2>/dev/null
[ ! -e "$tmp/c.h5.ckpt" ]
echo "memcheck: clean (8 runs)"
