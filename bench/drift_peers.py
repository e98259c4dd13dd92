"""The peers of `airm monitor drift`, each timed end to end (read both CSV files, compute
every column's statistics):

- scipy: a per-column loop with pandas.read_csv, scipy.stats.ks_2samp (asymp),
  wasserstein_distance, chi2_contingency, scipy.spatial.distance.jensenshannon and
  NumPy PSI on reference deciles: the same statistics airm computes;
- evidently: Report([DataDriftPreset()]) on the same DataFrames.

    python3 bench/drift_peers.py scipy|evidently REF CUR
Prints the seconds taken.
"""
import sys
import time

import numpy as np
import pandas as pd


def scipy_loop(ref_path, cur_path):
    from scipy import stats
    from scipy.spatial.distance import jensenshannon

    ref = pd.read_csv(ref_path)
    cur = pd.read_csv(cur_path)
    out = {}
    for col in ref.columns:
        r = ref[col].dropna()
        c = cur[col].dropna()
        if pd.api.types.is_numeric_dtype(r):
            r = r.to_numpy()
            c = c.to_numpy()
            edges = np.unique(np.quantile(r, np.arange(1, 10) / 10))
            ca = np.bincount(np.searchsorted(edges, r, side="right"), minlength=len(edges) + 1)
            cb = np.bincount(np.searchsorted(edges, c, side="right"), minlength=len(edges) + 1)
            ks = stats.ks_2samp(r, c, method="asymp")
            w = stats.wasserstein_distance(r, c)
            res = {"ks": ks.pvalue, "w": w / np.std(r)}
        else:
            cats = sorted(set(r.unique()) | set(c.unique()))
            ca = r.value_counts().reindex(cats, fill_value=0).to_numpy()
            cb = c.value_counts().reindex(cats, fill_value=0).to_numpy()
            res = {}
        pa = np.maximum(ca / ca.sum(), 1e-4)
        pb = np.maximum(cb / cb.sum(), 1e-4)
        res["psi"] = float(np.sum((pb - pa) * np.log(pb / pa)))
        table = np.array([ca, cb])
        table = table[:, table.sum(axis=0) > 0]
        res["chi2"] = stats.chi2_contingency(table).pvalue
        res["js"] = jensenshannon(ca, cb)
        out[col] = res
    return out


def evidently_report(ref_path, cur_path):
    ref = pd.read_csv(ref_path)
    cur = pd.read_csv(cur_path)
    try:  # evidently >= 0.7
        from evidently import Report
        from evidently.presets import DataDriftPreset

        return Report([DataDriftPreset()]).run(cur, ref).dict()
    except ImportError:  # evidently 0.4 - 0.6
        from evidently.metric_preset import DataDriftPreset
        from evidently.report import Report

        report = Report(metrics=[DataDriftPreset()])
        report.run(reference_data=ref, current_data=cur)
        return report.as_dict()


def main():
    which, ref, cur = sys.argv[1], sys.argv[2], sys.argv[3]
    t = time.perf_counter()
    (scipy_loop if which == "scipy" else evidently_report)(ref, cur)
    print(f"{time.perf_counter() - t:.3f}")


if __name__ == "__main__":
    main()
