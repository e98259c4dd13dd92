#!/usr/bin/env bash
# Gateway overhead: the mock LLM provider called directly vs through `airm gateway` (guard on
# input and output, key check, rate-limit counters, metrics, one activity event per request),
# and through LiteLLM's proxy in front of the same mock when it installs — side by side, at a
# fixed request rate with 1 KB prompts. The load comes from `examples/load.rs`, an open-loop
# generator (latency from each request's scheduled time, no coordinated omission); `oha`
# needed 20+ minutes to compile on this shared 2-core machine.
# Then, through the same gateway process: its peak RSS after a 10,000- and a 100,000-chunk
# stream (constant memory), and 1,000 concurrent streaming clients (direct vs through airm).
# Usage: bench/gateway.sh [SECONDS] [RATE]      (defaults: 60 s at 1000 requests/s;
#        STREAM_CHUNKS="10000 100000" sets the long-stream sizes)
# Needs python3 and curl. LiteLLM is installed into target/bench-litellm (skipped if that
# fails, or with LITELLM=0).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
rate="${2:-1000}"
root="$PWD"
profile="${PROFILE:-release}"   # PROFILE=debug only to try the script quickly
if [ "$profile" = release ]; then
  cargo build --release --locked -p airm --bin airm -p airm-gateway --example mock_upstream --example load >/dev/null
else
  cargo build --locked -p airm --bin airm -p airm-gateway --example mock_upstream --example load >/dev/null
fi
bin="target/$profile"
load="$bin/examples/load"
work="$(mktemp -d)"
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# The mock provider.
"$bin/examples/mock_upstream" > "$work/mock.url" &
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
"$bin/airm" -q systems add bench >/dev/null
key="$("$bin/airm" --format json gateway keys create --system bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
"$bin/airm" gateway --listen 127.0.0.1:0 > "$work/gw.out" 2>/dev/null &
pids+=($!)
gwpid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/gw.out" 2>/dev/null && break; sleep 0.1; done
gw="$(sed -n 's/.*listening on \(http[^ ]*\)\/v1.*/\1/p' "$work/gw.out" | head -n1)"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H 'content-type: application/json' --data @"$work/body.json" "$gw/v1/chat/completions")"
[ "$code" = 200 ] || { echo "gateway answered $code to the benchmark request"; exit 1; }

# Long streams first, on the fresh gateway: its resident memory after each (from /proc);
# printed after the latency table.
stream_body() { python3 -c 'import json,sys; print(json.dumps({"model": sys.argv[1], "stream": True, "messages": [{"role": "user", "content": "count"}]}))' "$1" > "$2"; }
{
echo "| stream through airm | chunks | ends with [DONE] | seconds | gateway VmRSS after, MB | gateway peak RSS (VmHWM), MB |"
echo "|---|---|---|---|---|---|"
for n in ${STREAM_CHUNKS:-10000 100000}; do
  stream_body "chunks-$n" "$work/s$n.json"
  t0=$(date +%s.%N)
  end="$(curl -sN -H "Authorization: Bearer $key" -H 'content-type: application/json' --data @"$work/s$n.json" "$gw/v1/chat/completions" | tail -c 40)"
  t1=$(date +%s.%N)
  done_ok=no; case "$end" in *"[DONE]"*) done_ok=yes;; esac
  rss=$(awk '/^VmRSS/{printf "%.1f", $2/1024}' /proc/$gwpid/status)
  hwm=$(awk '/^VmHWM/{printf "%.1f", $2/1024}' /proc/$gwpid/status)
  echo "| $n chunks | $n | $done_ok | $(python3 -c "print(f'{$t1-$t0:.2f}')") | $rss | $hwm |"
done
} > "$work/mem.md"


run() { # name url [bearer token]
  local name="$1" url="$2"; shift 2
  "$load" "$url" "$work/body.json" "$rate" "$secs" "$@" > "$work/$name.json"
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1 /proc/loadavg), ${secs}s at ${rate} req/s, 1 KB prompts"
run direct "$mock/chat/completions"
run airm "$gw/v1/chat/completions" "$key"

# LiteLLM's proxy (optional), started only now so it idles during the other runs.
litellm=""
if [ "${LITELLM:-1}" = 0 ]; then
  :
elif [ ! -x target/bench-litellm/bin/litellm ]; then
  (python3 -m venv target/bench-litellm && target/bench-litellm/bin/pip install -q "litellm[proxy]") >/dev/null 2>&1 || true
fi
if [ "${LITELLM:-1}" != 0 ] && [ -x target/bench-litellm/bin/litellm ]; then
  cat > "$work/litellm.yaml" <<YAML
model_list:
  - model_name: mock-1
    litellm_params:
      model: openai/mock-1
      api_base: $mock
      api_key: sk-mock
YAML
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export LITELLM_MASTER_KEY="sk-bench-$RANDOM$RANDOM$RANDOM"
  target/bench-litellm/bin/litellm --config "$work/litellm.yaml" --host 127.0.0.1 --port "$port" > "$work/litellm.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "http://127.0.0.1:$port/health/liveliness" && break; sleep 1
  done
  if curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $LITELLM_MASTER_KEY" -H 'content-type: application/json' --data @"$work/body.json" "http://127.0.0.1:$port/v1/chat/completions" | grep -q 200; then
    litellm="http://127.0.0.1:$port"
  fi
fi

if [ -n "$litellm" ]; then
  run litellm "$litellm/v1/chat/completions" "$LITELLM_MASTER_KEY"
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
    return {"rps": d["achieved_rps"], "p50": d["p50_ms"], "p99": d["p99_ms"], "ok": d["ok"], "errors": d["errors"]}
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

echo
cat "$work/mem.md"

# 1,000 concurrent streaming clients (each stream: 12 chunks, 20 ms apart).
stream_body slow-stream "$work/slow.json"
echo
echo "| 1,000 concurrent streams | ok | errors | p50 stream ms | p99 stream ms | wall s |"
echo "|---|---|---|---|---|---|"
for t in direct airm; do
  if [ "$t" = direct ]; then u="$mock/chat/completions"; tok=""; else u="$gw/v1/chat/completions"; tok="$key"; fi
  "$load" --streams 1000 "$u" "$work/slow.json" $tok | python3 -c "import json,sys; d=json.load(sys.stdin); print(f\"| $t | {d['ok']} | {d['errors']} | {d['p50_ms']:.1f} | {d['p99_ms']:.1f} | {d['wall_s']:.2f} |\")"
done
