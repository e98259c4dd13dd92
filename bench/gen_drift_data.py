"""Writes the drift benchmark data: reference.csv and current.csv, ROWS rows x 20 columns
(16 numeric of several shapes, 4 categorical), the current file with drift in 6 columns.

    python3 bench/gen_drift_data.py DIR [ROWS]
"""
import os
import sys

import numpy as np
import pandas as pd


def frame(rng, n, drift):
    d = {}
    s = 0.3 if drift else 0.0
    for i in range(4):
        d[f"normal_{i}"] = rng.normal(s if i < 2 else 0.0, 1.0, n)
    for i in range(4):
        d[f"lognormal_{i}"] = rng.lognormal(0.0, 1.0 + (0.2 if drift and i == 0 else 0.0), n)
    for i in range(4):
        d[f"uniform_{i}"] = rng.uniform(0.0, 100.0 + (10.0 if drift and i == 0 else 0.0), n)
    for i in range(4):
        d[f"count_{i}"] = rng.poisson(3.0 + (1.0 if drift and i == 0 else 0.0), n).astype(float)
    cats = [f"c{j}" for j in range(20)]
    for i in range(4):
        p = np.arange(1, 21, dtype=float)
        if drift and i == 0:
            p = p[::-1]
        d[f"category_{i}"] = rng.choice(cats, size=n, p=p / p.sum())
    df = pd.DataFrame(d)
    # A few missing values everywhere.
    mask = rng.random(n) < 0.01
    df.loc[mask, "normal_3"] = np.nan
    return df


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    for name, drift in [("reference", False), ("current", True)]:
        path = os.path.join(out, f"{name}.csv")
        frame(rng, rows, drift).to_csv(path, index=False, float_format="%.6g")
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
