#!/usr/bin/env python3
"""The retrieval of `shuanggao bench` done with Python jieba (search mode) and bm25s, for comparison.

On the same dataset directory and the same query sample (the ids written by `shuanggao bench --json`), this
script segments every team and demand with `jieba.cut_for_search` (HMM off, with the engine's domain
dictionary `models/dict.txt`, dropping punctuation and whitespace), indexes teams and demands with bm25s
(k1 1.2, b 0.75), and runs each sampled query (the full text of the demand, or of the team) one at a time for
the top 20 of the other side. Segmentation runs on one process per core (`--processes`). It prints index
time, documents/s, p50 / p99 / max latency per direction and peak RSS, side by side with the Rust figures
when given the bench JSON. With `--scales` it does the same for every scale of one `shuanggao bench
--scales` run, each in a process of its own (so that each has its own peak RSS), on the datasets that run
kept (`--keep-data`), and prints one table over the scales. It is a benchmark only; the service never
runs it.

    python3 -m venv /tmp/bm25venv && /tmp/bm25venv/bin/pip install jieba bm25s
    shuanggao bench --scales 1000/2000,5000/10000 --keep-data /tmp/scales --json /tmp/bench.json
    /tmp/bm25venv/bin/python scripts/bench_bm25s.py --scales 1000/2000,5000/10000 \
        --data-root /tmp/scales --rust /tmp/bench.json
"""

import argparse
import json
import math
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

import bm25s
import jieba
import numpy as np


def texts_of_team(t):
    parts = [t.get("name", "")]
    parts += t.get("fields", [])
    parts += t.get("keywords", [])
    parts.append(t.get("description", ""))
    for a in t.get("achievements", []):
        parts.append(a.get("title", ""))
        parts.append(a.get("abstract", ""))
    return "\n".join(p for p in parts if p)


def texts_of_demand(d):
    parts = [d.get("title", "")] + d.get("keywords", []) + [d.get("description", "")]
    return "\n".join(p for p in parts if p)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def init_jieba(dict_path):
    jieba.setLogLevel(60)
    jieba.initialize()
    if dict_path and os.path.exists(dict_path):
        jieba.load_userdict(dict_path)


def tokenize(text):
    out = []
    for w in jieba.cut_for_search(text, HMM=False):
        w = w.strip().lower()
        if w and any(c.isalnum() for c in w):
            out.append(w)
    return out


def tokenize_all(texts, processes, dict_path):
    """Segments every text, on `processes` worker processes; equal terms share one string object."""
    if processes > 1:
        with multiprocessing.Pool(processes, initializer=init_jieba, initargs=(dict_path,)) as pool:
            docs = pool.map(tokenize, texts, chunksize=256)
    else:
        docs = [tokenize(t) for t in texts]
    return [[sys.intern(w) for w in d] for d in docs]


def percentile(ms, q):
    s = sorted(ms)
    if not s:
        return 0.0
    rank = min(len(s), max(1, math.ceil(q * len(s))))
    return s[rank - 1]


def figures(ms):
    return {
        "queries": len(ms),
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=0.0),
        "mean_ms": sum(ms) / max(1, len(ms)),
    }


def rust_report(path, data):
    """The report of `shuanggao bench --json` for the dataset directory `data` (the file holds a list)."""
    with open(path, encoding="utf-8") as f:
        reports = json.load(f)
    if isinstance(reports, dict):
        reports = [reports]
    want = os.path.realpath(data)
    for r in reports:
        if os.path.realpath(r["dataset"]) == want:
            return r
    sys.exit(f"{path} has no report for {data}")


def run_scales(args):
    """Runs this script once per scale, each in a process of its own, and prints one table over them."""
    rows = []
    for scale in args.scales.split(","):
        teams, demands = scale.split("/")
        data = os.path.join(args.data_root, f"{teams}x{demands}")
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            cmd = [sys.executable, __file__, data, "--rust", args.rust, "--json", out.name,
                   "--processes", str(args.processes), "--dict", args.dict]
            print(f"== {teams} teams / {demands} demands", flush=True)
            subprocess.run(cmd, check=True)
            with open(out.name, encoding="utf-8") as f:
                py = json.load(f)
        rows.append((teams, demands, rust_report(args.rust, data), py))
    print()
    print("| teams / demands | direction | shuanggao warm p50 / p99 / max ms | jieba + bm25s p50 / p99 / max ms "
          "| p99 ratio | build s (shuanggao, bm25s) | peak RSS MiB (shuanggao, bm25s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for teams, demands, rust, py in rows:
        for direction, key in (("demand → top", "demand_to_teams"), ("team → top", "team_to_demands")):
            r, p = rust["warm"][key], py[key]
            print(f"| {teams} / {demands} | {direction} {py['limit']} "
                  f"| {r['p50_ms']:.2f} / {r['p99_ms']:.2f} / {r['max_ms']:.2f} "
                  f"| {p['p50_ms']:.2f} / {p['p99_ms']:.2f} / {p['max_ms']:.2f} "
                  f"| {r['p99_ms'] / max(p['p99_ms'], 1e-9):.2f} "
                  f"| {rust['build']['seconds']:.1f}, {py['build']['seconds']:.1f} "
                  f"| {rust['peak_rss_bytes'] / 1048576:.0f}, {py['peak_rss_bytes'] / 1048576:.0f} |")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", help="dataset directory (teams.jsonl, demands.jsonl)")
    ap.add_argument("--scales", help="TEAMS/DEMANDS,... as given to `shuanggao bench --scales` (needs --rust "
                    "and --data-root)")
    ap.add_argument("--data-root", help="the --keep-data directory of that bench run")
    ap.add_argument("--rust", help="JSON written by `shuanggao bench --json` (query sample and figures)")
    ap.add_argument("--queries", type=int, default=1000, help="queries per direction without --rust")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--dict", default=os.path.join(os.path.dirname(__file__), "..", "models", "dict.txt"))
    ap.add_argument("--json", help="write the Python figures here")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                    help="jieba worker processes (default: one per core, as the engine uses every core)")
    args = ap.parse_args()
    if args.scales:
        if not (args.rust and args.data_root):
            ap.error("--scales needs --rust and --data-root")
        return run_scales(args)
    if not args.data:
        ap.error("give a dataset directory or --scales")

    init_jieba(args.dict)

    started = time.perf_counter()
    teams = read_jsonl(os.path.join(args.data, "teams.jsonl"))
    demands = read_jsonl(os.path.join(args.data, "demands.jsonl"))
    seconds_load = time.perf_counter() - started
    print(f"dataset {args.data}: {len(teams)} teams, {len(demands)} demands, loaded in {seconds_load:.1f} s",
          flush=True)

    rust = None
    if args.rust:
        rust = rust_report(args.rust, args.data)
        demand_sample = rust["sample"]["demands"]
        team_sample = rust["sample"]["teams"]
        limit = rust.get("limit", args.limit)
    else:
        rng = random.Random(args.seed)
        demand_sample = [d["id"] for d in rng.sample(demands, min(args.queries, len(demands)))]
        team_sample = [t["id"] for t in rng.sample(teams, min(args.queries, len(teams)))]
        limit = args.limit

    # 1. Segment and index both sides.
    t0 = time.perf_counter()
    team_tokens = tokenize_all([texts_of_team(t) for t in teams], args.processes, args.dict)
    t1 = time.perf_counter()
    demand_tokens = tokenize_all([texts_of_demand(d) for d in demands], args.processes, args.dict)
    t2 = time.perf_counter()
    team_index = bm25s.BM25(k1=1.2, b=0.75)
    team_index.index(team_tokens, show_progress=False)
    demand_index = bm25s.BM25(k1=1.2, b=0.75)
    demand_index.index(demand_tokens, show_progress=False)
    t3 = time.perf_counter()
    n_docs = len(teams) + len(demands)
    build = {
        "documents": n_docs,
        "seconds": t3 - t0,
        "docs_per_s": n_docs / (t3 - t0),
        "seconds_segmentation": t2 - t0,
        "seconds_segmentation_teams": t1 - t0,
        "seconds_bm25s_index": t3 - t2,
    }
    print(f"build            {n_docs} documents in {build['seconds']:.1f} s: {build['docs_per_s']:.0f} docs/s "
          f"(jieba on {args.processes} processes {build['seconds_segmentation']:.1f} s, "
          f"bm25s index {build['seconds_bm25s_index']:.1f} s)",
          flush=True)

    team_pos = {t["id"]: i for i, t in enumerate(teams)}
    demand_pos = {d["id"]: i for i, d in enumerate(demands)}

    def run(index, query_tokens_of, sample, k):
        ms = []
        for qid in sample:
            q0 = time.perf_counter()
            tokens = query_tokens_of(qid)
            docs, scores = index.retrieve([tokens], k=k, show_progress=False, n_threads=1)
            ms.append((time.perf_counter() - q0) * 1000.0)
        return ms

    # A query is the stored tokens of the demand (or team), as the engine reads a query's stored terms and
    # analyses nothing at query time.
    def demand_query(qid):
        return demand_tokens[demand_pos[qid]]

    def team_query(qid):
        return team_tokens[team_pos[qid]]

    # A short warm-up on other queries.
    warm_d = [d["id"] for d in demands[:10]]
    warm_t = [t["id"] for t in teams[:10]]
    run(team_index, demand_query, warm_d, limit)
    run(demand_index, team_query, warm_t, limit)
    d2t = figures(run(team_index, demand_query, demand_sample, limit))
    print(f"demand → top {limit}  {d2t['queries']} queries: p50 {d2t['p50_ms']:.2f} ms, p99 {d2t['p99_ms']:.2f} ms, "
          f"max {d2t['max_ms']:.2f} ms, mean {d2t['mean_ms']:.2f} ms", flush=True)
    t2d = figures(run(demand_index, team_query, team_sample, limit))
    print(f"team → top {limit}    {t2d['queries']} queries: p50 {t2d['p50_ms']:.2f} ms, p99 {t2d['p99_ms']:.2f} ms, "
          f"max {t2d['max_ms']:.2f} ms, mean {t2d['mean_ms']:.2f} ms", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"peak RSS         {peak / 1048576:.0f} MB")

    build["processes"] = args.processes
    out = {"build": build, "demand_to_teams": d2t, "team_to_demands": t2d, "peak_rss_bytes": peak,
           "limit": limit, "load": os.getloadavg()}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)

    if rust:
        rows = [
            ("documents/s (whole build)", f"{rust['build']['docs_per_s']:,.0f}", f"{build['docs_per_s']:,.0f}"),
            ("build seconds", f"{rust['build']['seconds']:.1f}", f"{build['seconds']:.1f}"),
            (f"demand → top {limit} p50 ms", f"{rust['warm']['demand_to_teams']['p50_ms']:.2f}", f"{d2t['p50_ms']:.2f}"),
            (f"demand → top {limit} p99 ms", f"{rust['warm']['demand_to_teams']['p99_ms']:.2f}", f"{d2t['p99_ms']:.2f}"),
            (f"team → top {limit} p50 ms", f"{rust['warm']['team_to_demands']['p50_ms']:.2f}", f"{t2d['p50_ms']:.2f}"),
            (f"team → top {limit} p99 ms", f"{rust['warm']['team_to_demands']['p99_ms']:.2f}", f"{t2d['p99_ms']:.2f}"),
            ("peak RSS MB", f"{rust['peak_rss_bytes'] / 1048576:.0f}", f"{peak / 1048576:.0f}"),
        ]
        print()
        print(f"{'':<28} {'shuanggao (Rust)':>18} {'jieba + bm25s':>16}")
        for name, a, b in rows:
            print(f"{name:<28} {a:>18} {b:>16}")
        print("(shuanggao: analysis, text index, TF-IDF/LSA/KMeans training, vectors and feedback, then full "
              "scoring with explanations; bm25s: segmentation and BM25 only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
