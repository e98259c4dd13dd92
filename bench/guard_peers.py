#!/usr/bin/env python3
"""Runtime guard side by side: airm's per-prompt results (JSON Lines from the airm-guard
`latency` example) and offline peer guards run here on the same texts, single thread.

Each tool checks every text once as a warm-up, then once timed. Reported per tool: median and
p99 latency per prompt, the ratio to airm, recall on attacks (any label other than `benign`)
and false alarms on benign and hard-benign (`tags` containing `hard-benign`) texts. airm
counts a detection when the default policy blocks; ai-injection-guard when its severity
reaches its default threshold (MEDIUM); llm-guard when a scanner returns is_valid=False.
Called by bench/guard.sh.
"""

import argparse
import importlib
import json
import statistics
import sys
import time
import types
from pathlib import Path


def load(path, size):
    items = []
    # Split on "\n" only, as Rust's `str::lines` does (`splitlines` also splits on U+2028...).
    for line in Path(path).read_text(encoding="utf-8").split("\n"):
        line = line.removesuffix("\r")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("{"):
            v = json.loads(line)
            items.append((v.get("label", ""), v.get("tags") or [], v.get("text", "")))
        elif "\t" in line:
            label, text = line.split("\t", 1)
            items.append((label, [], text.replace("\\n", "\n")))
    if size:
        items = [(lab, tags, grow(t, size)) for lab, tags, t in items]
    return items


def grow(t, n):
    """Same as the latency example: repeat with newlines, cut to at most n UTF-8 bytes."""
    if not t:
        return t
    s = ""
    while len(s.encode()) < n:
        s += t + "\n"
    return s.encode()[:n].decode("utf-8", "ignore")


def prompt_shield_tool():
    from prompt_shield import PromptScanner

    sc = PromptScanner(threshold="MEDIUM")
    order = sc.SEVERITY_ORDER
    limit = order.index("MEDIUM")

    def check(text):
        r = sc.scan(text)
        return r.severity in order and order.index(r.severity) >= limit

    return "ai-injection-guard 0.3.0 (prompt_shield)", check


def llm_guard_tool():
    # Import the scanner modules without running llm_guard/__init__.py and
    # llm_guard/input_scanners/__init__.py, which import every scanner, including the
    # transformer-based ones (torch): both packages are registered as bare namespaces.
    import importlib.util

    spec = importlib.util.find_spec("llm_guard")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("llm_guard is not installed")
    root = Path(list(spec.submodule_search_locations)[0])
    for name, path in (("llm_guard", root), ("llm_guard.input_scanners", root / "input_scanners")):
        mod = types.ModuleType(name)
        mod.__path__ = [str(path)]
        sys.modules[name] = mod
    import logging

    logging.disable(logging.WARNING)
    inv = importlib.import_module("llm_guard.input_scanners.invisible_text").InvisibleText()
    sec = importlib.import_module("llm_guard.input_scanners.secrets").Secrets()
    try:
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    except Exception:
        pass

    def check(text):
        flagged = False
        for s in (inv, sec):
            text, valid, _ = s.scan(text)
            flagged |= not valid
        return flagged

    return "llm-guard 0.3.16 model-free (InvisibleText+Secrets)", check


def fmt(x, scale, spec):
    return "–" if x is None else format(x * scale, spec)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def summary(name, lat, det, items):
    att = [d for d, (lab, _, _) in zip(det, items) if lab != "benign"]
    ben = [d for d, (lab, _, _) in zip(det, items) if lab == "benign"]
    hard = [d for d, (lab, tags, _) in zip(det, items) if lab == "benign" and "hard-benign" in tags]
    rate = lambda xs: (sum(xs) / len(xs)) if xs else None
    return {
        "tool": name,
        "median": statistics.median(lat),
        "p99": pct(lat, 0.99),
        "recall": rate(att),
        "fa": rate(ben),
        "fa_hard": rate(hard),
        "n": (len(att), len(ben), len(hard)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--airm", required=True, help="latency example output for the same data/size")
    a = ap.parse_args()
    items = load(a.data, a.size)
    rows = [json.loads(l) for l in Path(a.airm).read_text(encoding="utf-8").split("\n") if l.strip()]
    if len(rows) != len(items):
        sys.exit(f"airm rows {len(rows)} != items {len(items)}")
    res = [summary("airm (default policy)", [r["us"] for r in rows], [r["blocked"] for r in rows], items)]
    for make in (prompt_shield_tool, llm_guard_tool):
        try:
            name, check = make()
        except Exception as e:  # a peer that cannot be set up is reported, not hidden
            print(f"# {make.__name__}: unavailable: {e!r}")
            continue
        for _, _, t in items:
            check(t)
        lat, det = [], []
        for _, _, t in items:
            t0 = time.perf_counter_ns()
            d = check(t)
            lat.append((time.perf_counter_ns() - t0) / 1000)
            det.append(bool(d))
        res.append(summary(name, lat, det, items))
    base = res[0]
    na, nb, nh = base["n"]
    size = f"grown to {a.size} bytes" if a.size else "as they are"
    mb = statistics.median(len(t.encode()) for _, _, t in items)
    print(f"\n### {len(items)} texts {size} (median {mb:.0f} bytes); attacks {na}, benign {nb}, hard-benign {nh}\n")
    print("| tool | median µs | p99 µs | median vs airm | p99 vs airm | recall (attacks) | false alarms benign | false alarms hard-benign |")
    print("|---|---|---|---|---|---|---|---|")
    for r in res:
        print(
            f"| {r['tool']} | {r['median']:.1f} | {r['p99']:.1f} | {r['median'] / base['median']:.1f}× "
            f"| {r['p99'] / base['p99']:.1f}× | {fmt(r['recall'], 1, '.3f')} | {fmt(r['fa'], 100, '.1f')} % "
            f"| {fmt(r['fa_hard'], 100, '.1f')} % |"
        )


if __name__ == "__main__":
    main()
