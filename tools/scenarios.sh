#!/usr/bin/env bash
# scenarios.sh INFERCAP OUT_DIR: every ready scenario at full size, and the runs, sweeps and
# solves behind the answers in scenarios/README.md, with their plots (analysis/, PNG).  The
# figures printed here are the ones the README quotes.  About 10 minutes on 2 cores.
set -euo pipefail
ic=${1:?usage: tools/scenarios.sh INFERCAP OUT_DIR}
out=${2:?usage: tools/scenarios.sh INFERCAP OUT_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
mkdir -p "$out"
step() { printf '\n== %s\n' "$*"; }
plot() { "$py" "$src/analysis/$1" "${@:2}"; }

# Every scenario as it is: headline and the one-page report of its plots.
for f in "$src"/scenarios/*.json; do
    n=$(basename "$f" .json)
    step "$n"
    "$ic" run "$f" -o "$out/$n.h5"
    "$py" "$src/analysis/report.py" "$out/$n.h5" -o "$out/$n-report" >/dev/null
done
plot fan_chart.py "$out/kimi-2024-03.h5" --days 95 102 -o "$out/kimi-2024-03-fan.png"
plot fan_chart.py "$out/deepseek-r1-2025-01.h5" -o "$out/deepseek-r1-2025-01-fan.png"
plot fan_chart.py "$out/chatgpt-2022-12.h5" -o "$out/chatgpt-2022-12-fan.png"
plot fan_chart.py "$out/deepseek-2025-02-27.h5" --series nodes_needed --capacity none \
    --threshold 278 --no-outage -o "$out/deepseek-2025-02-27-nodes.png" \
    --title "DeepSeek 2025-02-27: H800 nodes needed each hour (performance model) vs the published 278-node peak"

step "kimi-2024-03: the pre-launch fleet that keeps P(outage) <= 5%"
"$ic" solve "$src/scenarios/kimi-2024-03.json" --for /fleet/accelerators --max-outage-prob 0.05 \
    --step 8 -n 500 -q
step "kimi-2024-03-autoscale: scale-out size x lead time"
"$ic" run "$src/scenarios/kimi-2024-03-autoscale.json" --paths 500 -q \
    --sweep /fleet/autoscale/lead_time_s=1800,3600,7200,14400,28800 \
    --sweep /fleet/autoscale/step_accelerators=64,128,256,512 -o "$out/kimi-autoscale-sweep.h5"
"$ic" info "$out/kimi-autoscale-sweep.h5"
plot heatmap.py "$out/kimi-autoscale-sweep.h5" -o "$out/kimi-autoscale-heatmap.png"
"$ic" solve "$src/scenarios/kimi-2024-03-autoscale.json" --for /fleet/autoscale/step_accelerators \
    --max-outage-prob 0.05 --step 32 --lo 512 --hi 4096 -n 500 -q \
    --set /fleet/autoscale/lead_time_s=1800

step "deepseek-r1-2025-01: the H800s that keep P(outage) <= 5%"
"$ic" solve "$src/scenarios/deepseek-r1-2025-01.json" --for /fleet/accelerators \
    --max-outage-prob 0.05 --step 16 -q

step "wanka: accelerators each chip needs for P(outage) <= 1%"
w="$src/scenarios/wanka-h100-vs-ascend910b.json"
c910='{"base":"huawei_ascend_910c","tdp_w":800,"price_usd_est":33000}'
"$ic" solve "$w" --for /fleet/accelerators --max-outage-prob 0.01 --step 16 -q \
    --sweep /accelerator=nvidia_h100_sxm,nvidia_h20,huawei_ascend_910b
"$ic" solve "$w" --for /fleet/accelerators --max-outage-prob 0.01 --step 16 -q \
    --set "/accelerator=$c910"
"$ic" run "$w" -q --sweep "/accelerator=nvidia_h100_sxm,nvidia_h20,huawei_ascend_910b,$c910" \
    --sweep /fleet/accelerators=geom:5000:80000:13 -o "$out/wanka-fleet-sweep.h5"
plot fleet_curve.py "$out/wanka-fleet-sweep.h5" --target 0.01 --log-x -o "$out/wanka-fleet-curve.png"
plot cost_power.py "$out/wanka-fleet-sweep.h5" --log-x -o "$out/wanka-cost-power.png"

step "deepseek-2025-02-27: the day on DeepSeek's disclosed per-node rates, a flat day"
"$ic" run "$src/scenarios/deepseek-2025-02-27.json" -q --json -o "$out/deepseek-day-disclosed.h5" \
    --set /traffic/diurnal/profile=flat \
    --set /fleet/roles/prefill/measured_tokens_per_s=128834 \
    --set /fleet/roles/decode/measured_tokens_per_s=266400 | grep -o '"nodes_needed[^,]*'
step "chatgpt-2022-12: the A100s that keep P(outage) <= 5%"
"$ic" solve "$src/scenarios/chatgpt-2022-12.json" --for /fleet/accelerators \
    --max-outage-prob 0.05 --step 8 -q

step "ttc-scaling: the fleet for the same service, thinking budget x reasoning share"
t="$src/scenarios/ttc-scaling.json"
"$ic" solve "$t" --for /fleet/accelerators --max-outage-prob 0.05 --step 16 -q \
    --sweep /workload/reasoning_multiplier=1,4,16,64 \
    --sweep /workload/classes/0/share=0.1111111111111111,0.3333333333333333,1,3
"$ic" run "$t" -q --sweep /workload/reasoning_multiplier=geom:1:64:7 \
    --sweep /workload/classes/0/share=0.1111111111111111,0.3333333333333333,1,3 \
    -o "$out/ttc-sweep.h5"
plot heatmap.py "$out/ttc-sweep.h5" --figure peak_offered_load_p50 -o "$out/ttc-heatmap.png"
echo
echo "scenarios: results and plots in $out"
