#!/usr/bin/env python3
"""Calibrates the 0-100 匹配度 scale and its labels (强/较强/一般/弱) on planted judgements.

Ranks the teams of every judged demand with the engine (`shuanggao eval --depth 30`), then prints, for the
pair score levels that anchor the scale, the share of pairs at or above each level that are judged
relevant (precision) and the share of relevant pairs at or above it (recall), and finally how the relevant
pairs of the run are labelled by the scale in `src/matching/explain.rs` (ANCHORS below must match it).

Usage: scripts/calibrate_match_degree.py [--bin target/release/shuanggao] [--data datasets/jiangsu]
"""
import argparse
import os
import subprocess
import tempfile

# (pair score, 匹配度) anchors of the piecewise-linear scale, as in src/matching/explain.rs.
ANCHORS = [(0.0, 0), (0.08, 40), (0.125, 60), (0.20, 80), (0.45, 100)]
LABELS = [(80, "强"), (60, "较强"), (40, "一般"), (0, "弱")]


def degree(score: float) -> int:
    if score <= ANCHORS[0][0]:
        return 0
    for (s0, d0), (s1, d1) in zip(ANCHORS, ANCHORS[1:]):
        if score < s1:
            return round(d0 + (d1 - d0) * (score - s0) / (s1 - s0))
    return 100


def label(d: int) -> str:
    return next(name for floor, name in LABELS if d >= floor)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/shuanggao")
    ap.add_argument("--data", default="datasets/jiangsu")
    ap.add_argument("--keep-run", help="also write the engine's run (TREC format) to this file")
    args = ap.parse_args()
    qrels_path = os.path.join(args.data, "planted.qrels")
    relevant = {}
    with open(qrels_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                q, _, d, g = line.split()
                relevant[(q, d)] = int(g) > 0
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run.txt")
        subprocess.run(
            [args.bin, "eval", "--data", args.data, "--qrels", qrels_path, "--depth", "30",
             "--run", run],
            check=True, stdout=subprocess.DEVNULL)
        if args.keep_run:
            with open(run, encoding="utf-8") as src, open(args.keep_run, "w", encoding="utf-8") as dst:
                dst.write(src.read())
        pairs = []
        with open(run, encoding="utf-8") as f:
            for line in f:
                q, _, d, _, score, _ = line.split()
                pairs.append((float(score), relevant.get((q, d), False)))
    n_rel = sum(r for _, r in pairs)
    print(f"{len(pairs)} pairs from the top 30 of each judged demand, {n_rel} of them relevant")
    rel_scores = sorted(x for x, r in pairs if r)
    quantiles = "  ".join(
        f"p{q}={rel_scores[int(q / 100 * (len(rel_scores) - 1))]:.3f}" for q in (5, 10, 25, 50, 75, 90))
    print(f"relevant pairs' scores: {quantiles}, max {max(x for x, _ in pairs):.3f}")
    print("score  匹配度  pairs_at_or_above  precision  recall")
    levels = sorted({s for s, _ in ANCHORS[1:]} | {x / 100 for x in range(6, 41, 2)})
    for s in levels:
        above = [r for x, r in pairs if x >= s]
        precision = sum(above) / len(above) if above else 0.0
        recall = sum(above) / n_rel if n_rel else 0.0
        print(f"{s:5.2f}  {degree(s):6d}  {len(above):17d}  {precision:9.3f}  {recall:6.3f}")
    for name, wanted in [("relevant", True), ("not relevant", False)]:
        counts = {n: 0 for _, n in LABELS}
        for x, r in pairs:
            if r == wanted:
                counts[label(degree(x))] += 1
        total = sum(counts.values()) or 1
        shares = "  ".join(f"{n} {c} ({100 * c / total:.1f} %)" for n, c in counts.items())
        print(f"{name} pairs: {shares}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
