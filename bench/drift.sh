#!/usr/bin/env bash
# Drift report speed: `airm monitor drift` vs a SciPy per-column loop vs Evidently, side by
# side in one run, on generated data (bench/gen_drift_data.py), 1,000,000 rows x 20 columns
# by default. Evidently takes minutes on the full files, so by default it runs on a
# 100,000-row subset (EVIDENTLY_ROWS), compared with airm on the same subset;
# EVIDENTLY_ROWS=full runs it on the full files (about 3-4 minutes and 2+ GB), compared with
# airm's full-size time. Peers are installed into a venv under target/.
# Usage: [EVIDENTLY_ROWS=N|full] bench/drift.sh [DIR] [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-/tmp/airm-drift-bench}"
rows="${2:-1000000}"
ev_rows="${EVIDENTLY_ROWS:-100000}"
venv=target/bench-drift-peers
cargo build --release --locked -p airm >/dev/null
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import scipy, pandas, evidently" 2>/dev/null; then
  python3 -m venv "$venv"
  # Evidently 0.7 does not import with pandas 3.
  "$venv/bin/pip" install -q numpy scipy "pandas<3" evidently
fi
py="$venv/bin/python"
if [ ! -f "$dir/rows-$rows" ]; then
  "$py" bench/gen_drift_data.py "$dir" "$rows"
  small_rows=$ev_rows
  [ "$small_rows" = full ] && small_rows=100000
  "$py" bench/gen_drift_data.py "$dir/small" "$small_rows"
  touch "$dir/rows-$rows"
fi
ref="$dir/reference.csv"
cur="$dir/current.csv"
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), load $(cut -d' ' -f1 /proc/loadavg)"
echo "# $rows rows x 20 columns, $(du -m "$ref" | cut -f1) MB + $(du -m "$cur" | cut -f1) MB"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
airm_runs=()
for _ in 1 2 3; do
  /usr/bin/time -f "%e %M %U %S" -o "$dir/time.txt" target/release/airm monitor drift \
    --reference "$ref" --current "$cur" --format json >"$dir/airm.json"
  airm_runs+=("$(cat "$dir/time.txt")")
done
airm_s=$(printf '%s\n' "${airm_runs[@]}" | cut -d' ' -f1 | median)
airm_kb=$(printf '%s\n' "${airm_runs[@]}" | cut -d' ' -f2 | sort -n | tail -1)
airm_cpu=$(printf '%s\n' "${airm_runs[@]}" | awk '{print $3 + $4}' | median)
scipy_s=$(for _ in 1 2 3; do "$py" bench/drift_peers.py scipy "$ref" "$cur"; done | median)
if [ "$ev_rows" = full ]; then
  ev_rows=$rows
  airm_small_s=$airm_s
  ev_s=$("$py" bench/drift_peers.py evidently "$ref" "$cur")
else
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" target/release/airm monitor drift \
    --reference "$dir/small/reference.csv" --current "$dir/small/current.csv" --format json >/dev/null
  airm_small_s=$(cut -d' ' -f1 "$dir/time.txt")
  ev_s=$("$py" bench/drift_peers.py evidently "$dir/small/reference.csv" "$dir/small/current.csv")
fi
echo
printf '| tool | rows | seconds | peak memory | airm is |\n|---|---|---|---|---|\n'
printf '| airm monitor drift | %s | %s (%s CPU) | %s MB | |\n' "$rows" "$airm_s" "$airm_cpu" "$((airm_kb / 1024))"
printf '| SciPy per-column loop | %s | %s | | %.1fx faster |\n' "$rows" "$scipy_s" "$(echo "$scipy_s / $airm_s" | bc -l)"
[ "$ev_rows" = "$rows" ] || printf '| airm monitor drift | %s | %s | | |\n' "$ev_rows" "$airm_small_s"
printf '| Evidently DataDriftPreset | %s | %s | | %.0fx faster (same rows) |\n' "$ev_rows" "$ev_s" "$(echo "$ev_s / $airm_small_s" | bc -l)"
