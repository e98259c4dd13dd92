#!/usr/bin/env bash
# Runtime guard latency and detection, airm vs offline peer guards, side by side in one run:
# ai-injection-guard (module prompt_shield, 75 regex patterns) and llm-guard's model-free input
# scanners (InvisibleText + Secrets; its injection scanner needs a transformer model and is not
# run). Installs the peers into a venv under target/ (llm-guard with --no-deps plus only what
# those scanners import, so no torch).
# Usage: bench/guard.sh [PROMPTS.jsonl]   (env GUARD_PEERS_VENV: use an existing venv)
#   default: /work/shared/data/prompts/dev.jsonl when present, else the committed corpus
#   crates/airm-guard/benches/corpus.txt. Texts are measured as they are and grown to 2 KB.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/work/shared/data/prompts/dev.jsonl}"
[ -f "$data" ] || data=crates/airm-guard/benches/corpus.txt
venv="${GUARD_PEERS_VENV:-target/bench-guard-peers}"
cargo build --release --locked -p airm-guard --example latency >/dev/null
if [ ! -f "$venv/.ok" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q ai-injection-guard==0.3.0
  "$venv/bin/pip" install -q --no-deps llm-guard==0.3.16
  "$venv/bin/pip" install -q structlog presidio-anonymizer==2.2.358 detect-secrets
  touch "$venv/.ok"
fi
out=target/bench-guard
mkdir -p "$out"
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), data $data"
echo "# load before: $(uptime)"
for size in 0 2048; do
  args=()
  [ "$size" = 0 ] || args=(--size "$size")
  target/release/examples/latency "$data" "${args[@]}" > "$out/airm-$size.jsonl"
  "$venv/bin/python" bench/guard_peers.py --data "$data" --size "$size" --airm "$out/airm-$size.jsonl"
done
echo "# load after: $(uptime)"
