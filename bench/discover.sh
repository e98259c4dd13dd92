#!/usr/bin/env bash
# Discovery benchmark: generates a tree of mixed code, data and a few models (default
# 200,000 files) in /tmp, then times, in one run and with a warm page cache,
# `airm discover --no-store` against `rg --files` (ripgrep, Debian package) and `find -type f`
# on the same tree, and against ripgrep reading the files discovery reads. airm is timed
# twice: reading every file (`--no-cache`) and re-run over the unchanged tree with its
# discovery cache (primed by one run first; the script checks that both print the same
# report). Prints files/s and the ratios of wall time, and the CPU time (user + system, best
# of RUNS) of each tool and its ratio to ripgrep's — the fairer figure on a shared machine.
# Usage: bench/discover.sh [FILES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
files="${1:-200000}"
runs="${2:-3}"
command -v rg >/dev/null || { apt-get update -qq && apt-get install -y -qq ripgrep >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -p airm >/dev/null
airm="$PWD/target/release/airm"
tree="/tmp/airm-discover-bench-$files"

if [ ! -f "$tree/.complete" ]; then
  rm -rf "$tree"
  python3 - "$tree" "$files" <<'EOF'
import os, random, struct, sys, json
root, total = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
made = 0
def write(rel, data):
    global made
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    made += 1
plain_py = "import os\nimport json\n\ndef handler(event):\n    return json.dumps({'ok': True, 'n': len(event)})\n" * 8
ai_py = "from transformers import AutoModel\nimport openai\nm = AutoModel.from_pretrained('acme/m')\n" + plain_py
plain_js = "const express = require('express');\nmodule.exports = function route(req, res) { res.json({ ok: true }); };\n" * 8
css = "body { margin: 0; padding: 0; }\n" * 20
md = "# Notes\n\nSome documentation text.\n" * 10
csv = "id,name,price\n" + "".join(f"{i},item{i},{i*3}\n" for i in range(50))
header = json.dumps({"w": {"dtype": "F32", "shape": [16, 16], "data_offsets": [0, 1024]}}).encode()
st = struct.pack("<Q", len(header)) + header + bytes(1024)
pkl = b"\x80\x02}q\x00X\x01\x00\x00\x00aK\x01s."
i = 0
while made < total:
    svc = f"services/svc{i // 2000:03d}/pkg{(i // 100) % 20:02d}"
    r = i % 100
    if r < 40:
        write(f"{svc}/mod{i}.py", ai_py if i % 500 == 0 else plain_py)
    elif r < 65:
        write(f"{svc}/mod{i}.js", plain_js)
    elif r < 75:
        write(f"{svc}/style{i}.css", css)
    elif r < 85:
        write(f"{svc}/doc{i}.md", md)
    elif r < 90:
        write(f"{svc}/data{i}.csv", csv)
    elif r < 95:
        write(f"{svc}/asset{i}.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    else:
        write(f"{svc}/blob{i}.bin", bytes(rnd.getrandbits(8) for _ in range(256)))
    if i % 20000 == 0:
        write(f"models/m{i}/model.safetensors", st)
        write(f"models/m{i}/model.pkl", pkl)
        write(f"{svc}/requirements.txt", "torch==2.3.1\nflask==3.0.0\n")
    i += 1
open(os.path.join(root, ".complete"), "w").close()
EOF
fi

count=$(find "$tree" -type f | wc -l)
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $count files in $tree, best of $runs warm runs"
best() {
  local best=""
  for _ in $(seq 1 "$runs"); do
    local s e t
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
# Best CPU time (user + system seconds) of RUNS runs.
cpu() {
  local best=""
  for _ in $(seq 1 "$runs"); do
    local t out
    out=$(mktemp)
    /usr/bin/time -f "%U %S" -o "$out" "$@" >/dev/null 2>&1 || true
    t=$(tail -1 "$out" | awk '{print $1 + $2}')
    rm -f "$out"
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
# Warm the cache.
find "$tree" -type f >/dev/null
cat $(find "$tree" -type f -name '*.py' | head -1000) >/dev/null
t_find=$(best find "$tree" -type f)
t_rg=$(best rg --files --no-ignore --hidden "$tree")
# ripgrep reading the files discovery reads (code, datasets, blobs, models, manifests),
# searching them for a word none contains: what opening and reading them costs a fast tool.
rg_read=(rg -c --no-ignore --hidden -g '*.py' -g '*.js' -g '*.csv' -g '*.bin' -g '*.safetensors'
  -g '*.pkl' -g 'requirements*.txt' zqxjzqxj "$tree")
t_rgread=$(best "${rg_read[@]}")
export AIRM_CACHE_DIR=/tmp/airm-discover-bench-cache
rm -rf "$AIRM_CACHE_DIR"
airm_run=("$airm" --data-dir /tmp/airm-discover-bench-data discover "$tree" --no-store --fail-on none)
t_airm=$(best "${airm_run[@]}" --no-cache)
# The cache keeps results only of files at least 2 s old: a tree generated just now waits.
sleep 3
"${airm_run[@]}" >/dev/null 2>&1 || true
t_cached=$(best "${airm_run[@]}")
c_find=$(cpu find "$tree" -type f)
c_rg=$(cpu rg --files --no-ignore --hidden "$tree")
c_rgread=$(cpu "${rg_read[@]}")
c_airm=$(cpu "${airm_run[@]}" --no-cache)
c_cached=$(cpu "${airm_run[@]}")
"${airm_run[@]}" --no-cache --format json >/tmp/airm-discover-bench-plain.json 2>/dev/null || true
"${airm_run[@]}" --format json >/tmp/airm-discover-bench-cached.json 2>/dev/null || true
assets=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["assets"]))' /tmp/airm-discover-bench-plain.json)
same=no
cmp -s /tmp/airm-discover-bench-plain.json /tmp/airm-discover-bench-cached.json && same=yes
printf '%-44s %8s %12s %10s %8s %10s\n' tool seconds files/s "vs rg" "CPU s" "CPU vs rg"
for row in "find -type f:$t_find:$c_find" "rg --files:$t_rg:$c_rg" "rg reading the same files:$t_rgread:$c_rgread" \
  "airm discover --no-store --no-cache:$t_airm:$c_airm" "airm discover --no-store (cache, unchanged):$t_cached:$c_cached"; do
  IFS=: read -r name t c <<<"$row"
  printf '%-44s %8.3f %12.0f %9.2fx %8.2f %9.2fx\n' "$name" "$t" "$(echo "$count / $t" | bc -l)" \
    "$(echo "$t / $t_rg" | bc -l)" "$c" "$(echo "$c / $c_rg" | bc -l)"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "airm discover found $assets AI assets; same report with and without the cache: $same"
