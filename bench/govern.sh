#!/usr/bin/env bash
# Governance benchmark: every built-in policy over a synthetic inventory (default 10,000
# assets, 100,000 findings, 1,000 systems): aggregating findings per asset, building the
# input document and evaluating the Rego policies with regorus. Prints the median of RUNS.
# Usage: bench/govern.sh [ASSETS] [FINDINGS] [RUNS]
# No peer is run: OPA (`opa eval`) is not installable from the package registries
# reachable here (Debian's Go is too old to build it).
set -euo pipefail
cd "$(dirname "$0")/.."
assets="${1:-10000}"
findings="${2:-100000}"
runs="${3:-5}"
cargo build --release --locked -q -p airm-govern --example bench_eval
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
/usr/bin/time -f "peak RSS %M KiB" target/release/examples/bench_eval "$assets" "$findings" "$runs"
