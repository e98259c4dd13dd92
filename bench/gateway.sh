#!/usr/bin/env bash
# Gateway overhead: the mock LLM provider called directly vs through `airm gateway` (guard on
# input and output, key check, rate-limit counters, metrics, one activity event per request),
# and through LiteLLM's proxy in front of the same mock when it installs — side by side, at a
# fixed request rate with 1 KB prompts, using `oha`.
# Usage: bench/gateway.sh [SECONDS] [RATE]      (defaults: 60 s at 1000 requests/s)
# Needs: oha on PATH (or it is installed with `cargo install oha` into target/bench-tools),
# python3. LiteLLM is installed into target/bench-litellm (skipped if that fails).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
rate="${2:-1000}"
conns="${CONNS:-64}"
root="$PWD"
cargo build --release --locked -p airm -p airm-gateway --example mock_upstream >/dev/null
oha="$(command -v oha || true)"
if [ -z "$oha" ]; then
  [ -x target/bench-tools/bin/oha ] || cargo install oha --locked --root target/bench-tools >/dev/null
  oha="$root/target/bench-tools/bin/oha"
fi
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# The mock provider.
target/release/examples/mock_upstream > "$work/mock.url" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/mock.url" ] && break; sleep 0.1; done
mock="$(head -n1 "$work/mock.url")"

# A 1 KB chat request.
python3 - "$work/body.json" <<'PY'
import json, sys
text = ("Please summarise the following note for our support team in plain words. " * 14)[:1000]
json.dump({"model": "mock-1", "messages": [{"role": "user", "content": text}]}, open(sys.argv[1], "w"))
PY

# The gateway, with its own data directory.
export AIRM_DATA_DIR="$work/data"
cat > "$work/airm.toml" <<TOML
[[gateway.upstreams]]
name = "mock"
base_url = "$mock"
TOML
export AIRM_CONFIG="$work/airm.toml"
unset AIRM_DATABASE_URL AIRM_REDIS_URL
target/release/airm -q systems add bench >/dev/null
key="$(target/release/airm --format json gateway keys create --system bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
target/release/airm gateway --listen 127.0.0.1:0 > "$work/gw.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$work/gw.out" 2>/dev/null && break; sleep 0.1; done
gw="$(sed -n 's/.*listening on \(http[^ ]*\)\/v1.*/\1/p' "$work/gw.out" | head -n1)"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H 'content-type: application/json' --data @"$work/body.json" "$gw/v1/chat/completions")"
[ "$code" = 200 ] || { echo "gateway answered $code to the benchmark request"; exit 1; }

run() { # name url [auth header]
  local name="$1" url="$2"; shift 2
  "$oha" --no-tui --output-format json -z "${secs}s" -q "$rate" -c "$conns" -m POST \
    -H 'content-type: application/json' "$@" -D "$work/body.json" "$url" > "$work/$name.json"
}

# LiteLLM's proxy (optional).
litellm=""
if [ ! -x target/bench-litellm/bin/litellm ]; then
  (python3 -m venv target/bench-litellm && target/bench-litellm/bin/pip install -q "litellm[proxy]") >/dev/null 2>&1 || true
fi
if [ -x target/bench-litellm/bin/litellm ]; then
  cat > "$work/litellm.yaml" <<YAML
model_list:
  - model_name: mock-1
    litellm_params:
      model: openai/mock-1
      api_base: $mock
      api_key: sk-mock
YAML
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  target/bench-litellm/bin/litellm --config "$work/litellm.yaml" --host 127.0.0.1 --port "$port" > "$work/litellm.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "http://127.0.0.1:$port/health/liveliness" && break; sleep 1
  done
  if curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data @"$work/body.json" "http://127.0.0.1:$port/v1/chat/completions" | grep -q 200; then
    litellm="http://127.0.0.1:$port"
  fi
fi

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), ${secs}s at ${rate} req/s, ${conns} connections, 1 KB prompts, oha $("$oha" --version | awk '{print $2}')"
run direct "$mock/chat/completions"
run airm "$gw/v1/chat/completions" -H "Authorization: Bearer $key"
if [ -n "$litellm" ]; then
  run litellm "$litellm/v1/chat/completions"
  target/bench-litellm/bin/python -c 'import importlib.metadata as m; print("# litellm", m.version("litellm"))'
fi
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
def load(name):
    p = os.path.join(work, name + ".json")
    if not os.path.exists(p):
        return None
    d = json.load(open(p))
    s = d["summary"]; pct = d["latencyPercentiles"]
    codes = d.get("statusCodeDistribution", {})
    ok = codes.get("200", 0)
    errors = sum(v for k, v in codes.items() if k != "200") + sum(d.get("errorDistribution", {}).values())
    return {"rps": s["requestsPerSec"], "p50": pct["p50"] * 1e3, "p99": pct["p99"] * 1e3, "ok": ok, "errors": errors}
direct = load("direct")
print(f"| target | achieved req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | 200s | errors |")
print("|---|---|---|---|---|---|---|---|")
for name in ["direct", "airm", "litellm"]:
    r = load(name)
    if r is None:
        continue
    add50 = "" if name == "direct" else f"{r['p50'] - direct['p50']:.3f}"
    add99 = "" if name == "direct" else f"{r['p99'] - direct['p99']:.3f}"
    print(f"| {name} | {r['rps']:.0f} | {r['p50']:.3f} | {r['p99']:.3f} | {add50} | {add99} | {r['ok']} | {r['errors']} |")
PY
