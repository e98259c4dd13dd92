#!/usr/bin/env bash
# Activity-log benchmark: group-commit appends (SQLite, and PostgreSQL when
# AIRM_BENCH_POSTGRES_URL is set) and verification of the stored log.
# Usage: bench/ledger.sh [EVENTS] [PRODUCERS]
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-1000000}"
producers="${2:-64}"
cargo build --release --locked -p airm-store --example ledger_bench >/dev/null
bin=target/release/examples/ledger_bench
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $events events, $producers producers"
/usr/bin/time -f "peak RSS %M KiB" "$bin" "$events" "$producers"
if [ -n "${AIRM_BENCH_POSTGRES_URL:-}" ]; then
  /usr/bin/time -f "peak RSS %M KiB" "$bin" "$events" "$producers" "$AIRM_BENCH_POSTGRES_URL"
fi
# The pure verifier (no database): 1,000,000 in-memory entries.
cargo run --release --locked -q -p airm-ledger --example verify_bench
