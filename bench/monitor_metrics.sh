#!/usr/bin/env bash
# airm-monitor's performance metrics against scikit-learn on the same labelled
# predictions (1,000,000 rows by default), side by side in one run. Prints both times, the
# ratio and the largest difference between the metric values.
#
#   bench/monitor_metrics.sh [ROWS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
REPEATS=${2:-5}
VENV=${VENV:-/tmp/airm-bench-venv}
[ -x "$VENV/bin/python" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q scikit-learn numpy; }
DATA=$(mktemp /tmp/airm-monitor-bench.XXXXXX.csv)
trap 'rm -f "$DATA"' EXIT
"$VENV/bin/python" bench/monitor_metrics.py gen "$DATA" "$ROWS"
cargo build -q --release -p airm-monitor --example perf_bench
AIRM=$(target/release/examples/perf_bench "$DATA" "$REPEATS")
SKL=$("$VENV/bin/python" bench/monitor_metrics.py sklearn "$DATA" "$REPEATS")
"$VENV/bin/python" - "$AIRM" "$SKL" <<'PY'
import json, sys
a, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
diff = max(abs(a["metrics"][k] - s["metrics"][k]) for k in s["metrics"])
print(f"rows: {a['rows']}")
print(f"airm-monitor perf::metrics   {a['seconds']*1000:9.1f} ms")
print(f"scikit-learn (8 metrics)     {s['seconds']*1000:9.1f} ms")
print(f"ratio sklearn/airm           {s['seconds']/a['seconds']:9.2f}x")
print(f"largest metric difference    {diff:.2e}")
PY
