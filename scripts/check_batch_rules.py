#!/usr/bin/env python3
"""Checks a proposal batch against the programme's rules, independently of the optimiser.

- every pairing is in one of its zone's declared directions (the track, its parent cluster or a child
  chain), unless the department forced it;
- no zone platform or fund in a bundle is tied to another university or to unrelated tracks, and none
  names another university;
- no person leads more than `talent_max` pairings;
- no pairing has fewer than `min_projects` benchmark projects (forced ones aside), none below
  `min_project_score`;
- the grade and the 待共建 list agree with the bundle;
- no message a department reads (diagnostics, summaries, runner-up reasons) holds an English sentence
  (three Latin words in a row; technical terms such as CCUS or PEM are fine).

Usage: scripts/check_batch_rules.py BATCH.json DATA_DIR
"""
import json
import re
import sys


def rows(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main() -> int:
    batch_path, data = sys.argv[1], sys.argv[2]
    batch = json.load(open(batch_path, encoding="utf-8"))
    cfg = batch["config"]
    tracks = {t["id"]: t for t in rows(f"{data}/tracks.jsonl")}
    zones = {z["id"]: z for z in rows(f"{data}/zones.jsonl")}
    universities = {u["id"]: u for u in rows(f"{data}/universities.jsonl")}
    teams = {t["id"]: t for t in rows(f"{data}/teams.jsonl")}
    forced = {tuple(t) for t in cfg.get("forced", [])}
    errors = []

    def related(track_id):
        ids = {track_id}
        parent = tracks[track_id].get("parent")
        if parent:
            ids.add(parent)
        ids.update(t for t, row in tracks.items() if row.get("parent") == track_id)
        return ids

    leads = {}
    for p in batch["pairings"]:
        key = (p["zone_id"], p["university_id"], p["track_id"])
        where = f"{p['zone_name']} × {p['university_name']} × {p['track_name']}"
        zone = zones[p["zone_id"]]
        b = p["bundle"]
        rel = related(p["track_id"])
        if key not in forced and not rel & set(zone.get("track_ids", [])):
            errors.append(f"{where}: outside the zone's directions")
        others = [u["name"] for uid, u in universities.items() if uid != p["university_id"]]
        components = [("platform", b["innovation_platform"].get("zone"), zone.get("platforms", [])),
                      ("fund", b.get("transformation_fund"), zone.get("funds", []))]
        for kind, chosen, own in components:
            if chosen is None:
                continue
            row = next((c for c in own if c["name"] == chosen["name"]), None)
            if row is None:
                errors.append(f"{where}: {kind} {chosen['name']} is not the zone's")
                continue
            unis = row.get("university_ids", [])
            if unis and p["university_id"] not in unis:
                errors.append(f"{where}: {kind} {row['name']} is tied to {unis}")
            if row.get("track_ids") and not rel & set(row["track_ids"]):
                errors.append(f"{where}: {kind} {row['name']} serves {row['track_ids']}")
            if any(name in row["name"] for name in others):
                errors.append(f"{where}: {kind} {row['name']} names another university")
        n = len(b["benchmark_projects"])
        if key not in forced and n < cfg["min_projects"]:
            errors.append(f"{where}: {n} projects < min_projects {cfg['min_projects']}")
        for x in b["benchmark_projects"]:
            if x["score"] < cfg["min_project_score"] - 1e-6:
                errors.append(f"{where}: project {x['demand_id']} scores {x['score']}")
        grade = "qualified" if n >= cfg["benchmark_target"] else "incubating"
        if b["grade"] != grade:
            errors.append(f"{where}: grade {b['grade']} with {n} projects")
        for field, component in [(b["leading_talent"], "leading_talent"),
                                 (b["transformation_fund"], "transformation_fund"),
                                 (b["innovation_platform"].get("zone"), "zone_platform"),
                                 (b["innovation_platform"].get("university"), "university_platform")]:
            if (field is None) != (component in b["to_build"]):
                errors.append(f"{where}: to_build disagrees on {component}")
        talent = b.get("leading_talent")
        if talent:
            person = (teams[talent["team_id"]]["university_id"], talent["name"])
            leads.setdefault(person, []).append(where)
    for person, where in leads.items():
        if len(where) > cfg["talent_max"]:
            errors.append(f"{person[1]} leads {len(where)} pairings: {where}")
    # An English sentence: three Latin words in a row. Technical terms (CCUS, token, PEM) are allowed.
    english = re.compile(r"[A-Za-z]+[ ,;:]+[A-Za-z]+[ ,;:]+[A-Za-z]+")
    texts = [d["message"] for d in batch["diagnostics"]]
    for p in batch["pairings"]:
        texts.append(p["explanation"]["summary"])
        if p["explanation"].get("runner_up"):
            texts.append(p["explanation"]["runner_up"]["reason"])
    errors.extend(f"English in a message: {t}" for t in texts if english.search(t))
    for e in errors:
        print(f"{batch_path}: {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"{batch_path}: {len(batch['pairings'])} pairings follow the programme's rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
