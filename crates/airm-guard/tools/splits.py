#!/usr/bin/env python3
"""Compares training choices on random 80/20 splits of the training set, without dev.

For each seed, the lines of TRAIN.jsonl are shuffled (Python's `random.seed(seed)`), the
first fifth is held out and the rest trained on with the `train` example (the shipped
recipe: the CC BY-NC sources left out, thresholds set by the trainer's own hold-out and
calibration rule). The held-out fifth is then scored with the `scores` example under that
model, and an item counts as detected when PI001 or PI014 reaches its threshold or another
rule blocks it. Printed per split and as the mean: recall of all attacks, of the hh-rlhf
red-team requests, of MultiJail in English, Chinese and the eight other languages, of the
injections, and false alarms on the held-out benign items. `at_1pct` is the recall of all
attacks with PI014's threshold moved to where the held-out benign items reach 1 % false
alarms: it compares how well two recipes *rank*, apart from where their calibration rule
puts the threshold (a recipe can raise the recall at its own threshold by only moving along
the same curve, with more false alarms).

This is how the session-10 concept features were chosen (docs/guard-eval.md, "Longer
training and concepts shared across languages"); one threshold's recall moves by several
points between fits, so a choice should hold on the mean of several splits.

Usage (from the repository root, after
`cargo build --release -p airm-guard --example train --example scores`):

    python3 crates/airm-guard/tools/splits.py TRAIN.jsonl [--seeds 11 12 13] [--params JSON]
        [--extra EXTRA.jsonl] [--probe PROBE.jsonl ...]

`--extra` rows (same format) are added to every training fifth and never held out, so a
candidate data set is judged on the prompt set's own held-out items. `--probe` rows (benign
texts a model must let through, e.g. a held-out half of such a data set, or attacks, whose
share blocked is then a recall) are scored under every split's model and reported as
`probe1_fa`, `probe2_fa`, ... (one per file), the share that would be blocked, and as `probe1_fa_at_1pct`, ... with PI014's threshold where
`at_1pct` puts it.

Standard library only. Writes its splits and models under a temporary directory.
"""
import argparse
import collections
import os
import random
import re
import subprocess
import sys
import tempfile

EXCLUDE = ["hikariming/alpaca_chinese_dataset", "tatsu-lab/alpaca_eval"]
BIN = os.path.join("target", "release", "examples")


def group(label, source, lang):
    if label == "benign":
        return "false_alarms"
    if "hh-rlhf" in source:
        return "hh"
    if "MultiJail" in source:
        return {"en": "mj_en", "zh": "mj_zh"}.get(lang, "mj_other")
    return "injection" if label == "injection" else "jailbreak_other"


def run_split(lines, seed, params, tmp, extra=(), probe=()):
    rows = lines[:]
    random.seed(seed)
    random.shuffle(rows)
    k = len(rows) // 5
    held, rest = os.path.join(tmp, f"h{seed}.jsonl"), os.path.join(tmp, f"t{seed}.jsonl")
    model = os.path.join(tmp, f"m{seed}.bin")
    with open(held, "w", encoding="utf-8") as f:
        f.writelines(rows[:k])
    with open(rest, "w", encoding="utf-8") as f:
        f.writelines(rows[k:])
        f.writelines(extra)
    cmd = [os.path.join(BIN, "train"), rest, model]
    for e in EXCLUDE:
        cmd += ["--exclude-source", e]
    if params:
        cmd.append(params)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    m = re.search(r"thresholds ([0-9.]+) \(injection\), ([0-9.]+) \(harmful\)", out.stdout + out.stderr)
    if not m:
        sys.exit("train printed no thresholds:\n" + out.stdout + out.stderr)
    t1, t2 = float(m.group(1)), float(m.group(2))
    env = dict(os.environ, MODEL=model)
    scores = subprocess.run([os.path.join(BIN, "scores"), held], capture_output=True, text=True,
                            check=True, env=env).stdout
    counts = collections.defaultdict(lambda: [0, 0])
    rows = []
    for line in scores.splitlines():
        label, _tags, source, lang, pi001, pi014, other = line.split("\t")
        fixed = float(pi001) >= t1 or other != "0"
        rows.append((label == "benign", fixed, float(pi014)))
        blocked = fixed or float(pi014) >= t2
        for g in (group(label, source, lang), None if label == "benign" else "all_attacks"):
            if g:
                counts[g][0] += 1
                counts[g][1] += blocked
    rates = {g: b / n for g, (n, b) in counts.items()}
    rates["at_1pct"], t_at = recall_at(rows, 0.01)
    for n, path in enumerate(probe or (), start=1):
        out = subprocess.run([os.path.join(BIN, "scores"), path], capture_output=True, text=True,
                             check=True, env=env).stdout.splitlines()
        blocked, blocked_at = 0, 0
        for line in out:
            _label, _tags, _source, _lang, pi001, pi014, other = line.split("\t")
            fixed = float(pi001) >= t1 or other != "0"
            blocked += fixed or float(pi014) >= t2
            blocked_at += fixed or float(pi014) > t_at
        rates[f"probe{n}_fa"] = blocked / max(1, len(out))
        rates[f"probe{n}_fa_at_1pct"] = blocked_at / max(1, len(out))
    return (t1, t2), rates


def recall_at(rows, budget):
    """Recall of all attacks with PI014's threshold moved to where the held-out benign items
    reach `budget` false alarms (PI001 and the other rules as they are): a yardstick of the
    ranking, free of the calibration rule (the shipped threshold never sees these items)."""
    benign = [r for r in rows if r[0]]
    allowed = int(budget * len(benign)) - sum(1 for r in benign if r[1])
    free = sorted((r[2] for r in benign if not r[1]), reverse=True)
    t = free[allowed] if 0 <= allowed < len(free) else (0.0 if allowed >= len(free) else 2.0)
    attacks = [r for r in rows if not r[0]]
    return sum(1 for r in attacks if r[1] or r[2] > t) / max(1, len(attacks)), t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("train")
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    ap.add_argument("--params", default="", help="TrainParams as JSON, as the train example takes them")
    ap.add_argument("--extra", help="JSON Lines added to every training split, never held out")
    ap.add_argument("--probe", nargs="+", help="benign JSON Lines scored under every split's model")
    a = ap.parse_args()
    with open(a.train, encoding="utf-8") as f:
        lines = [l for l in f if l.strip()]
    extra = []
    if a.extra:
        with open(a.extra, encoding="utf-8") as f:
            extra = [l if l.endswith("\n") else l + "\n" for l in f if l.strip()]
    total = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        for seed in a.seeds:
            (t1, t2), rates = run_split(lines, seed, a.params, tmp, extra, a.probe)
            print(f"seed {seed}: thresholds {t1:.3f} / {t2:.3f}  "
                  + "  ".join(f"{g} {r:.3f}" for g, r in sorted(rates.items())))
            for g, r in rates.items():
                total[g].append(r)
    print("mean: " + "  ".join(f"{g} {sum(v) / len(v):.3f}" for g, v in sorted(total.items())))


if __name__ == "__main__":
    main()
