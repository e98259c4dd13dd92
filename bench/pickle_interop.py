#!/usr/bin/env python3
"""Interop check of the model scanner against real Python output.

Writes, into DIR: CPython pickles of protocols 0-5 (stdlib, recursive and shared objects:
expected clean; `os.system`, `subprocess.Popen`, `eval`, `exec` and a nested `pickle.loads`
payload: expected malicious), and joblib files (if joblib and numpy are importable) with
every `compress=` setting (zlib, gzip: clean / malicious; bz2, lzma, xz: unknown), and
legacy-Keras-style HDF5 files written by h5py (if importable: `model_config` root attributes
as Keras writes them and as `str`, earliest and latest file formats, a user block, a config
added after the weights; clean / Lambda suspicious / `builtins.exec` malicious; dense attribute
storage: unknown). Then runs
SCAN_PATH (the `scan_path` example) over them and prints every wrong verdict and a summary;
exits 1 if any verdict is wrong.

Usage: pickle_interop.py SCAN_PATH DIR
"""
import collections
import datetime
import decimal
import fractions
import json
import os
import pickle
import subprocess
import sys
import uuid


class P:
    def __init__(self, f, *a):
        self.f, self.a = f, a

    def __reduce__(self):
        return (self.f, self.a)


def write(d):
    expected = {}
    benign = {
        "dict": {"a": 1, "b": [1, 2.5, "x"], "c": (1, 2, 3), "d": {1, 2}, "e": frozenset([3])},
        "od": collections.OrderedDict([("x", 1), ("y", [1, 2])]),
        "dt": [datetime.datetime(2020, 1, 2, 3, 4, 5), datetime.date(2021, 1, 1), datetime.timedelta(3)],
        "dec": [decimal.Decimal("1.5"), fractions.Fraction(1, 3)],
        "bytes": [b"abc" * 100, bytearray(b"xyz"), "s" * 100000],
        "deque": collections.deque([1, 2, 3]),
        "counter": collections.Counter("hello"),
        "uuid": uuid.UUID(int=5),
    }
    rec = []
    rec.append(rec)
    benign["recursive"] = rec
    shared = [1, 2]
    benign["shared"] = [shared, shared, {"k": shared}]
    evil = {
        "system": P(os.system, "true"),
        "popen": P(subprocess.Popen, ["true"]),
        "eval": P(eval, "1+1"),
        "exec": P(exec, "x=1"),
        "nested": P(pickle.loads, pickle.dumps(P(os.system, "true"))),
    }
    for proto in range(6):
        for k, v in benign.items():
            p = os.path.join(d, f"benign_{k}_{proto}.pkl")
            open(p, "wb").write(pickle.dumps(v, protocol=proto))
            expected[p] = "clean"
        for k, v in evil.items():
            p = os.path.join(d, f"evil_{k}_{proto}.pkl")
            open(p, "wb").write(pickle.dumps({"x": [1, v]}, protocol=proto))
            expected[p] = "malicious"
    try:
        import joblib
        import numpy as np
    except ImportError:
        print("joblib/numpy not importable: joblib files skipped")
        return expected
    b = {"w": np.arange(1000, dtype=np.float64).reshape(10, 100), "o": np.array([1, "a", None], dtype=object)}
    e = {"w": np.zeros(10), "x": P(os.system, "true")}
    for name, c, ok in [("raw", 0, True), ("zlib", True, True), ("zlib9", ("zlib", 9), True),
                        ("gzip", ("gzip", 3), True), ("bz2", ("bz2", 3), False),
                        ("lzma", ("lzma", 3), False), ("xz", ("xz", 3), False)]:
        for kind, obj, want in [("benign", b, "clean"), ("evil", e, "malicious")]:
            p = os.path.join(d, f"joblib_{kind}_{name}.joblib")
            joblib.dump(obj, p, compress=c)
            expected[p] = want if ok else "unknown"
    return expected


def write_hdf5(d):
    expected = {}
    try:
        import h5py
        import numpy as np
    except ImportError:
        print("h5py/numpy not importable: HDF5 files skipped")
        return expected
    dense = {"class_name": "Dense", "module": "keras.layers", "config": {"units": 2}}
    configs = {
        "clean": dense,
        "suspicious": {"class_name": "Lambda", "config": {"function": ["4wEAAAA", None, None]}},
        "malicious": {"class_name": "Dense", "module": "keras.layers", "config": {
            "activation": {"module": "builtins", "class_name": "function", "config": "exec"}}},
    }
    for want, layer in configs.items():
        cfg = json.dumps({"class_name": "Sequential", "config": {"layers": [dense, layer]}})
        for variant, kw, as_str, late in [("earliest", {}, False, False),
                                          ("latest", {"libver": "latest"}, False, False),
                                          ("str", {}, True, False),
                                          ("userblock", {"userblock_size": 512}, False, False),
                                          ("late", {}, False, True)]:
            p = os.path.join(d, f"keras_{want}_{variant}.h5")
            with h5py.File(p, "w", **kw) as f:
                f.attrs["keras_version"] = b"2.15.0"
                if late:
                    f.create_dataset("model_weights", data=np.zeros((500, 500)))
                    for i in range(30):
                        f.attrs[f"pad{i}"] = b"x" * 100
                f.attrs["model_config"] = cfg if as_str else cfg.encode()
                if not late:
                    f.create_dataset("model_weights", data=np.zeros((50, 50)))
            expected[p] = want
    p = os.path.join(d, "keras_dense_attributes.h5")
    with h5py.File(p, "w", libver="latest") as f:
        for i in range(20):
            f.attrs[f"a{i}"] = b"x"
        f.attrs["model_config"] = json.dumps(dense).encode()
    expected[p] = "unknown"
    return expected


def main():
    scan_path, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    expected = write(d)
    expected.update(write_hdf5(d))
    out = subprocess.run([scan_path] + sorted(expected), capture_output=True, text=True, check=True).stdout
    wrong = 0
    for line in out.splitlines():
        r = json.loads(line)
        want = expected[r["path"]]
        if r.get("verdict") != want:
            wrong += 1
            print("WRONG", r["path"], r.get("verdict"), "expected", want)
    counts = collections.Counter(expected.values())
    print(f"{len(expected)} files ({dict(counts)}), {wrong} wrong verdicts")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
