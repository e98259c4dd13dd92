#!/usr/bin/env bash
# Model-file scanning throughput, airm vs the open peers, side by side in one run.
# Installs the peers (modelscan, picklescan, fickling, modelaudit) into a venv under target/.
# Usage: bench/model_scan.sh [DIR [--only small,tensors,zip,safetensors]]
#   (generated files are kept in DIR, default /tmp/airm-bench; all four files by default)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-/tmp/airm-bench}"
shift || true
venv=target/bench-peers
cargo build --release --locked -p airm >/dev/null
cargo build --release --locked -p airm-scan --example hash_speed >/dev/null
if [ ! -x "$venv/bin/picklescan" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q modelscan picklescan fickling modelaudit
fi
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/model_scan.py --airm target/release/airm --peers "$venv" --dir "$dir" "$@"
if [ -f "$dir/model.pt" ]; then
  echo
  echo "# hashing cost on the zip checkpoint (BLAKE3 and SHA-256 alone, then both while reading)"
  target/release/examples/hash_speed "$dir/model.pt"
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
