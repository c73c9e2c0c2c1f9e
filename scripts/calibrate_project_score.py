#!/usr/bin/env python3
"""Calibrates `min_project_score` on planted judgements.

Ranks the teams of every judged demand with the engine (`shuanggao eval --depth 30`, the same scores and
list length a proposal uses), then finds the lowest score level, in steps of 0.01, at which at least
TARGET of the (demand, team) pairs scoring at or above it are judged relevant. Prints the table and the
level.

Usage: scripts/calibrate_project_score.py [--bin target/release/shuanggao] [--data datasets/jiangsu]
                                          [--target 0.9]
"""
import argparse
import os
import subprocess
import sys
import tempfile


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/shuanggao")
    ap.add_argument("--data", default="datasets/jiangsu")
    ap.add_argument("--target", type=float, default=0.9)
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
        pairs = []
        with open(run, encoding="utf-8") as f:
            for line in f:
                q, _, d, _, score, _ = line.split()
                pairs.append((float(score), relevant.get((q, d), False)))
    pairs.sort(reverse=True)
    print(f"{len(pairs)} (demand, team) pairs from the top 30 of {len({q for q, _ in relevant})} demands")
    print("level  pairs_at_or_above  relevant_share  relevant_share_below")
    chosen = None
    for step in range(5, 51):
        level = step / 100
        above = [r for s, r in pairs if s >= level]
        below = [r for s, r in pairs if s < level]
        share = sum(above) / len(above) if above else 0.0
        share_below = sum(below) / len(below) if below else 0.0
        if step % 5 == 0 or (chosen is None and share >= args.target):
            print(f"{level:5.2f}  {len(above):17d}  {share:14.3f}  {share_below:20.3f}")
        if chosen is None and share >= args.target and above:
            chosen = (level, share, len(above))
    if chosen is None:
        print(f"no level reaches a relevant share of {args.target}", file=sys.stderr)
        return 1
    level, share, n = chosen
    print(f"min_project_score = {level:.2f}: {share:.1%} of the {n} pairs at or above it are relevant")
    return 0


if __name__ == "__main__":
    sys.exit(main())
