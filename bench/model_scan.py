#!/usr/bin/env python3
"""Side-by-side throughput of `airm scan` and the open model-file scanners.

Generates harmless model files (a ~200 MB pickle of many small objects, a ~200 MB pickle of
large byte buffers, a ~1 GiB PyTorch-style zip checkpoint whose data.pkl references
torch._utils._rebuild_tensor_v2 with persistent storage ids, and a ~1 GiB safetensors file
of 16 float32 tensors), then times, on each file and
in one run: `cat FILE > /dev/null` (read ceiling), `airm scan`, modelscan, picklescan,
fickling and modelaudit (whichever are installed in the venv given by --peers).
Prints a Markdown table with wall and CPU time, MB/s, the ratio to airm and peak RSS.

Usage: model_scan.py --airm target/release/airm --peers /path/to/venv --dir /tmp/bench
       [--only small,tensors,zip,safetensors]
"""
import argparse
import atexit
import io
import json
import os
import struct
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import types
import zipfile


def fake_module(name, **attrs):
    mod = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(mod, k, v)
        if callable(v):
            v.__module__ = name
            v.__qualname__ = k
    sys.modules[name] = mod
    return mod


def gen_small(path, target):
    # dict of str -> (float, int, str): about 30 bytes per entry, everything memoised.
    d = {}
    i = 0
    approx = 0
    while approx < target:
        d[f"k{i}"] = (float(i), i, "v")
        i += 1
        approx += 30
    with open(path, "wb") as f:
        pickle.dump(d, f, protocol=4)


def gen_tensors(path, target):
    size = 8 << 20
    # distinct buffers (pickle would memoise one shared object and write it once)
    d = {f"layer{i}.weight": bytes([0x3F]) * (size - 1) + bytes([i % 256]) for i in range(max(1, target // size))}
    with open(path, "wb") as f:
        pickle.dump(d, f, protocol=4)


def gen_torch_zip(path, target):
    def _rebuild_tensor_v2(*a):
        return a

    class FloatStorage:
        pass

    fake_module("torch")
    fake_module("torch._utils", _rebuild_tensor_v2=_rebuild_tensor_v2)
    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"
    sys.modules["torch"].FloatStorage = FloatStorage

    n = 16
    size = max(1, target // n)
    numel = size // 4

    class Storage:
        def __init__(self, key):
            self.key = key

    class Tensor:
        def __init__(self, key):
            self.key = key

        def __reduce__(self):
            from collections import OrderedDict
            return (_rebuild_tensor_v2, (Storage(self.key), 0, (numel,), (1,), False, OrderedDict()))

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", FloatStorage, obj.key, "cpu", numel)
            return None

    import collections
    state = collections.OrderedDict((f"layer{i}.weight", Tensor(str(i))) for i in range(n))
    buf = io.BytesIO()
    P(buf, protocol=2).dump(state)
    block = bytes([0x3F]) * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/version", "3\n")
        for i in range(n):
            with z.open(f"archive/data/{i}", "w", force_zip64=True) as f:
                for _ in range(size // len(block)):
                    f.write(block)


def gen_safetensors(path, target):
    # The format itself, written directly: an 8-byte little-endian header length, the JSON
    # header (dtype, shape, data_offsets per tensor, __metadata__), then the tensor data.
    n = 16
    numel = max(1, target // n // 4)
    header = {"__metadata__": {"format": "pt"}}
    for i in range(n):
        header[f"layer{i}.weight"] = {"dtype": "F32", "shape": [numel], "data_offsets": [i * numel * 4, (i + 1) * numel * 4]}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    block = struct.pack("<f", 0.5) * (1 << 18)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        left = n * numel * 4
        while left > 0:
            chunk = block[:left]
            f.write(chunk)
            left -= len(chunk)


TIMEOUT = 300


# Tools run in a scratch directory: fickling writes `safety_results.json` into its working
# directory, which must not be the repository.
SCRATCH = tempfile.mkdtemp(prefix="airm-bench-scan-")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)


def timed(cmd):
    cmd = [os.path.abspath(c) if os.path.exists(c) else c for c in cmd]
    t = time.monotonic()
    p = subprocess.run(["timeout", str(TIMEOUT), "/usr/bin/time", "-f", "%M %U %S"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=SCRATCH)
    wall = time.monotonic() - t
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "?"
    try:
        rss, user, sys_ = last.split()
        rss_mb, cpu = int(rss) / 1024, float(user) + float(sys_)
    except ValueError:
        rss_mb, cpu = float("nan"), float("nan")
    return wall, cpu, rss_mb, p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--airm", required=True)
    ap.add_argument("--peers", help="venv with the peer scanners")
    ap.add_argument("--dir", default="/tmp/airm-bench")
    ap.add_argument("--small-mb", type=int, default=200)
    ap.add_argument("--tensors-mb", type=int, default=200)
    ap.add_argument("--zip-mb", type=int, default=1024)
    ap.add_argument("--safetensors-mb", type=int, default=1024)
    ap.add_argument("--only", help="comma-separated subset of small,tensors,zip,safetensors")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    files = [
        ("small", "pickle, small objects", os.path.join(args.dir, "small.pkl"), gen_small, args.small_mb),
        ("tensors", "pickle, large buffers", os.path.join(args.dir, "tensors.pkl"), gen_tensors, args.tensors_mb),
        ("zip", "PyTorch zip checkpoint", os.path.join(args.dir, "model.pt"), gen_torch_zip, args.zip_mb),
        ("safetensors", "safetensors", os.path.join(args.dir, "model.safetensors"), gen_safetensors, args.safetensors_mb),
    ]
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {k for k, *_ in files}
        if unknown:
            sys.exit(f"--only: unknown file kind(s): {', '.join(sorted(unknown))}")
        files = [f for f in files if f[0] in wanted]
    files = [f[1:] for f in files]
    for _, path, gen, mb in files:
        if not os.path.exists(path):
            gen(path, mb << 20)
    tools = [("cat (read ceiling)", lambda f: ["sh", "-c", f"cat '{os.path.abspath(f)}' > /dev/null"]),
             ("airm scan", lambda f: [args.airm, "scan", "--no-store", "--fail-on", "none", f])]
    if args.peers:
        b = os.path.join(args.peers, "bin")
        peers = [
            ("modelscan", lambda f: [os.path.join(b, "modelscan"), "-p", f]),
            ("picklescan", lambda f: [os.path.join(b, "picklescan"), "--path", f]),
            ("fickling", lambda f: [os.path.join(b, "fickling"), "--check-safety", f]),
            ("modelaudit", lambda f: [os.path.join(b, "modelaudit"), "scan", f]),
        ]
        tools += [(n, c) for n, c in peers if shutil.which(c("x")[0])]
    print(f"| file | size | tool | wall s | CPU s | MB/s | airm is N× faster | peak RSS MB | exit |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, path, _, _ in files:
        size_mb = os.path.getsize(path) / 1e6
        # warm the page cache
        subprocess.run(["sh", "-c", f"cat '{path}' > /dev/null"])
        results = []
        for name, cmd in tools:
            # airm runs three times (best wall kept): it is short enough for noise to matter.
            runs = [timed(cmd(path)) for _ in range(3 if name == "airm scan" else 1)]
            wall, cpu, rss, rc = min(runs)
            results.append((name, wall, cpu, rss, rc))
        airm_wall = next(w for n, w, _, _, _ in results if n == "airm scan")
        for name, wall, cpu, rss, rc in results:
            ratio = "" if name in ("airm scan", "cat (read ceiling)") else f"{wall / airm_wall:.1f}×"
            if rc == 124:
                ratio = f"> {wall / airm_wall:.0f}× (killed after {TIMEOUT} s)"
            print(f"| {label} | {size_mb:.0f} MB | {name} | {wall:.2f} | {cpu:.2f} | {size_mb / wall:.0f} | {ratio} | {rss:.0f} | {rc} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
