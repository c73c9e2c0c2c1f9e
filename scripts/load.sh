#!/usr/bin/env bash
# Load benchmark of the ranking endpoints with wrk: starts `shuanggao serve` (release build) on a
# fresh database in a temporary folder, then runs wrk at 32 connections against
#   1. GET /v1/zones/{zone}/candidates   (one zone, the one with the most demands)
#   2. GET /v1/demands/{id}/teams         (cycling through every demand of that zone)
# and prints requests/s, p50, p99 and errors for each. Traffic stays on 127.0.0.1.
#
# Usage: scripts/load.sh [DATA_DIR] (default datasets/jiangsu)
# Environment: DURATION (default 30s), CONNECTIONS (32), THREADS (2), SHUANGGAO_BIN (a built binary).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${1:-datasets/jiangsu}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}

if ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
if [[ -z "${SHUANGGAO_BIN:-}" ]]; then
  echo "== building the release binary"
  cargo build --release --quiet
  SHUANGGAO_BIN=${CARGO_TARGET_DIR:-target}/release/shuanggao
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== starting the server on $DATA"
START=$(date +%s%N)
RUST_LOG=warn "$SHUANGGAO_BIN" serve --data "$DATA" --addr 127.0.0.1:0 --db "$WORK/db.sqlite" \
  --index "$WORK/index" --models "$WORK/models" >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
for _ in $(seq 1 600); do
  grep -q '^listening on ' "$WORK/stdout" 2>/dev/null && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/stderr"; exit 1; fi
  sleep 0.1
done
BASE=$(sed -n 's/^listening on //p' "$WORK/stdout")
TOKEN=$(sed -n 's/.*shown once.*: //p' "$WORK/stdout")
echo "   listening on $BASE after $(( ($(date +%s%N) - START) / 1000000 )) ms"

# The zone with the most demands, and the paths of its demands' rankings.
python3 - "$BASE" "$TOKEN" "$WORK" <<'PY'
import json, sys, urllib.request
base, token, work = sys.argv[1:]
def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req))
zones, offset = [], 0
while True:
    page = get(f"/v1/zones?limit=100&offset={offset}")
    zones += page["items"]; offset += 100
    if offset >= page["total"]: break
best = max((get(f"/v1/zones/{z['id']}") for z in zones), key=lambda z: len(z["demands"]))
if not best["demands"]:
    sys.exit("no zone has demands: nothing to rank")
open(f"{work}/zone", "w").write(best["id"])
open(f"{work}/candidates.paths", "w").write(f"/v1/zones/{best['id']}/candidates?limit=10\n")
open(f"{work}/demand-teams.paths", "w").write(
    "".join(f"/v1/demands/{d['id']}/teams?limit=20\n" for d in best["demands"]))
print(f"   zone {best['id']} ({best['name']}): {len(best['demands'])} demands")
PY

for name in candidates demand-teams; do
  # One pass to warm up, as a client would after start-up.
  while read -r path; do
    curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE$path"
  done <"$WORK/$name.paths"
  echo "== wrk $name: -t$THREADS -c$CONNECTIONS -d$DURATION"
  PATHS_FILE="$WORK/$name.paths" TOKEN="$TOKEN" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/load.lua "$BASE" | tee "$WORK/$name.out"
done
