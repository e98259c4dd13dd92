"""Writes the benchmark data for airm-monitor's metrics and times scikit-learn on it.

Usage: monitor_metrics.py gen FILE ROWS | monitor_metrics.py sklearn FILE REPEATS
Timing covers the same work as airm's `perf::metrics`: accuracy, precision, recall, F1,
ROC AUC, log-loss, RMSE and MAE of one set of labelled predictions (best of REPEATS).
"""
import json
import sys
import time

import numpy as np


def gen(path, rows):
    rng = np.random.default_rng(42)
    y = rng.integers(0, 2, rows)
    # Scores rounded to 3 decimals: many ties, as real classifiers produce.
    s = np.round(np.clip(rng.normal(0.35 + 0.3 * y, 0.25), 0, 1), 3)
    p = (s >= 0.5).astype(int)
    with open(path, "w") as f:
        f.write("label,score,prediction\n")
        for a, b, c in zip(y, s, p):
            f.write(f"{a},{b},{c}\n")


def bench(path, repeats):
    from sklearn.metrics import (accuracy_score, f1_score, log_loss, mean_absolute_error,
                                 mean_squared_error, precision_score, recall_score,
                                 roc_auc_score)
    d = np.loadtxt(path, delimiter=",", skiprows=1)
    y, s, p = d[:, 0].astype(int), d[:, 1], d[:, 2].astype(int)
    best, out = float("inf"), {}
    for _ in range(repeats):
        t = time.perf_counter()
        out = {
            "accuracy": accuracy_score(y, p), "precision": precision_score(y, p),
            "recall": recall_score(y, p), "f1": f1_score(y, p),
            "roc_auc": roc_auc_score(y, s), "log_loss": log_loss(y, s, labels=[0, 1]),
            "rmse": float(np.sqrt(mean_squared_error(y, p))), "mae": mean_absolute_error(y, p),
        }
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"rows": len(y), "seconds": best, "metrics": out}))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    else:
        bench(sys.argv[2], int(sys.argv[3]))
