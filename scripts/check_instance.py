#!/usr/bin/env python3
"""Checks a shuanggao pairing batch against an external MILP solver (PuLP with CBC).

Usage: check_instance.py INSTANCE.json BATCH.json

Reads the instance exactly as `shuanggao propose --instance` writes it, solves the same model as a MILP
(binary x per pair; every (zone, track) of the pairs takes between zone_track_min and zone_track_max;
every university at most university_max; forced x = 1; forbidden x = 0) and asserts that:
  * every triple of the batch is a pair of the instance, and the batch satisfies every constraint;
  * the batch objective equals the sum of its triples' qualities;
  * the batch objective is >= the MILP optimum - 1e-6.
When the MILP is infeasible, the batch must say so (optimality.feasible false); then the minimums are
made soft and the batch must leave no more of them unmet than the MILP does, and reach its quality
given that many unmet. Exits 0 when all holds, 1 otherwise (2 for unreadable input).
"""

import json
import sys
from collections import defaultdict

import pulp

TOL = 1e-6


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def solve(inst, soft, fixed_slack=None):
    pairs = inst["pairs"]
    lo, hi, umax = inst["zone_track_min"], inst["zone_track_max"], inst["university_max"]
    prob = pulp.LpProblem("pairing", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(len(pairs))]
    groups, univs = defaultdict(list), defaultdict(list)
    index = {}
    for i, p in enumerate(pairs):
        groups[(p["zone_id"], p["track_id"])].append(i)
        univs[p["university_id"]].append(i)
        index[(p["zone_id"], p["university_id"], p["track_id"])] = i
    slack = {}
    for g, idx in groups.items():
        total = pulp.lpSum(x[i] for i in idx)
        prob += total <= hi
        if soft:
            s = pulp.LpVariable(f"s{len(slack)}", lowBound=0, upBound=lo)
            slack[g] = s
            prob += total + s >= lo
        else:
            prob += total >= lo
    for idx in univs.values():
        prob += pulp.lpSum(x[i] for i in idx) <= umax
    for t in inst["forced"]:
        if tuple(t) not in index:
            fail(f"forced triple {t} is not among the pairs")
        prob += x[index[tuple(t)]] == 1
    for t in inst["forbidden"]:
        if tuple(t) in index:
            prob += x[index[tuple(t)]] == 0
    quality = pulp.lpSum(p["quality"] * x[i] for i, p in enumerate(pairs))
    if soft and fixed_slack is None:
        prob += -pulp.lpSum(slack.values())
    else:
        if soft:
            prob += pulp.lpSum(slack.values()) <= fixed_slack + 1e-7
        prob += quality
    status = prob.solve(pulp.PULP_CBC_CMD(msg=0))
    if pulp.LpStatus[status] != "Optimal":
        return None
    chosen = [i for i in range(len(pairs)) if x[i].value() is not None and x[i].value() > 0.5]
    q = sum(pairs[i]["quality"] for i in chosen)
    unmet = sum(max(0, lo - sum(1 for i in idx if i in set(chosen))) for idx in groups.values())
    return q, unmet


def check_batch_constraints(inst, batch, soft):
    pairs = inst["pairs"]
    quality = {(p["zone_id"], p["university_id"], p["track_id"]): p["quality"] for p in pairs}
    groups_all = {(p["zone_id"], p["track_id"]) for p in pairs}
    triples = [(p["zone_id"], p["university_id"], p["track_id"]) for p in batch["pairings"]]
    if len(set(triples)) != len(triples):
        fail("the batch repeats a triple")
    for t in triples:
        if t not in quality:
            fail(f"batch triple {t} is not a pair of the instance")
    per_group, per_univ = defaultdict(int), defaultdict(int)
    for z, u, t in triples:
        per_group[(z, t)] += 1
        per_univ[u] += 1
    for g, n in per_group.items():
        if n > inst["zone_track_max"]:
            fail(f"group {g} has {n} pairings > zone_track_max {inst['zone_track_max']}")
    unmet = 0
    for g in groups_all:
        missing = inst["zone_track_min"] - per_group.get(g, 0)
        if missing > 0:
            if not soft:
                fail(f"group {g} has {per_group.get(g, 0)} pairings < zone_track_min {inst['zone_track_min']}")
            unmet += missing
    for u, n in per_univ.items():
        if n > inst["university_max"]:
            fail(f"university {u} has {n} pairings > university_max {inst['university_max']}")
    chosen = set(triples)
    for t in inst["forbidden"]:
        if tuple(t) in chosen:
            fail(f"forbidden triple {t} is in the batch")
    if not soft:
        for t in inst["forced"]:
            if tuple(t) not in chosen:
                fail(f"forced triple {t} is missing from the batch")
    total = sum(quality[t] for t in triples)
    if abs(total - batch["objective"]) > TOL:
        fail(f"batch objective {batch['objective']} != sum of its qualities {total}")
    return total, unmet


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            inst = json.load(f)
        with open(sys.argv[2], encoding="utf-8") as f:
            batch = json.load(f)
    except (OSError, ValueError) as e:
        print(f"error: {e}")
        sys.exit(2)
    feasible_flag = batch.get("optimality", {}).get("feasible", True)
    hard = solve(inst, soft=False)
    if hard is not None:
        opt, _ = hard
        if not feasible_flag:
            fail("the MILP is feasible but the batch says it is not")
        total, _ = check_batch_constraints(inst, batch, soft=False)
        if total < opt - TOL:
            fail(f"batch objective {total:.6f} < MILP optimum {opt:.6f}")
        print(f"OK pairs={len(inst['pairs'])} selected={len(batch['pairings'])} batch={total:.6f} milp={opt:.6f}")
        return
    if feasible_flag:
        fail("the MILP is infeasible but the batch says it is feasible")
    total, unmet = check_batch_constraints(inst, batch, soft=True)
    first = solve(inst, soft=True)
    if first is None:
        print(f"OK (forced triples alone break a limit) pairs={len(inst['pairs'])} batch={total:.6f}")
        return
    _, min_unmet = first
    second = solve(inst, soft=True, fixed_slack=min_unmet)
    if second is None:
        fail("soft MILP lost feasibility in its second phase")
    opt, _ = second
    if unmet > min_unmet:
        fail(f"batch leaves {unmet} minimums unmet, the MILP only {min_unmet}")
    if unmet == min_unmet and total < opt - TOL:
        fail(f"batch objective {total:.6f} < soft MILP optimum {opt:.6f} at {unmet} unmet minimums")
    print(
        f"OK infeasible pairs={len(inst['pairs'])} unmet={unmet} (milp {min_unmet}) "
        f"batch={total:.6f} milp={opt:.6f}"
    )


if __name__ == "__main__":
    main()
