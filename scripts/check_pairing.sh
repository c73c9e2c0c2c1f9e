#!/usr/bin/env bash
# Checks the pairing optimiser against an external MILP solver (PuLP with CBC, scripts/check_instance.py):
# bare random instances, synthetic datasets under loose and tight constraints, and the shipped dataset
# (all future-industry tracks) once it has teams and demands, whose batch must also follow the
# programme's rules (scripts/check_batch_rules.py). Exits non-zero on the first failure.
#
# Usage: scripts/check_pairing.sh [path/to/shuanggao]   (default: target/release/shuanggao)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/shuanggao}
python3 -c "import pulp" 2>/dev/null || python3 -m pip install --quiet pulp
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { python3 scripts/check_instance.py "$1/INSTANCE.json" "$1/BATCH.json"; }

for seed in 1 2 3 4 5 6; do
  "$BIN" synth-propose --out-dir "$tmp/r$seed" --seed "$seed" --zones 10 --universities 12 --tracks 3 \
    --instance-density 0.3 >/dev/null
  check "$tmp/r$seed"
done

run_synth() {
  local name=$1; shift
  "$BIN" synth-propose --out-dir "$tmp/$name" --zones 18 --universities 46 --teams 800 --demands 1500 \
    --tracks 40 "$@" >/dev/null
  check "$tmp/$name"
}
run_synth s1 --seed 1 --select 14
run_synth s2 --seed 2 --select 10 --forced 4 --forbidden 20
run_synth s3 --seed 3 --select 14 --university-max 1
run_synth s4 --seed 4 --select 8 --zone-track-min 2 --zone-track-max 2 --university-max 2 --min-quality 0.2
run_synth s5 --seed 5 --select 6 --forced 12 --zone-track-max 1

if [ -s datasets/jiangsu/teams.jsonl ] && [ -s datasets/jiangsu/demands.jsonl ]; then
  tracks=$(python3 -c "
import json
rows = [json.loads(l) for l in open('datasets/jiangsu/tracks.jsonl', encoding='utf-8') if l.strip()]
print(','.join(r['id'] for r in rows if r['kind'] == 'future'))")
  mkdir -p "$tmp/jiangsu"
  "$BIN" propose --data datasets/jiangsu --tracks "$tracks" --out "$tmp/jiangsu/BATCH.json" \
    --instance "$tmp/jiangsu/INSTANCE.json"
  check "$tmp/jiangsu"
  python3 scripts/check_batch_rules.py "$tmp/jiangsu/BATCH.json" datasets/jiangsu
else
  echo "skip: datasets/jiangsu has no teams.jsonl/demands.jsonl yet"
fi
echo "pairing check: all instances agree with the MILP"
