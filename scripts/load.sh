#!/usr/bin/env bash
# Load benchmark of the ranking endpoints with wrk: starts `shuanggao serve` (release build) on a
# fresh database in a temporary folder, then runs wrk at 32 connections against
#   1. GET /v1/zones/{zone}/candidates   (one zone, the one with the most demands)
#   2. GET /v1/demands/{id}/teams         (cycling through every demand of that zone)
#   3. reads: both of the above, one zone-candidates request to nine demand rankings
#   4. mixed: the same reads with one write in twenty requests (a demand or a team of that zone's
#      rankings replaced, alternately), then 20 single writes each followed by one zone-candidates request
# and prints requests/s, p50, p99, max and errors for each, the timed zone-candidates requests after the
# writes, and the server's peak RSS. Traffic stays on 127.0.0.1.
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

# Reads, and the same reads with one write in twenty: demands of the zone and teams fitting them, each
# replaced by itself with a note appended to its description.
zc = f"/v1/zones/{best['id']}/candidates?limit=10"
dts = [f"/v1/demands/{d['id']}/teams?limit=20" for d in best["demands"]]
reads = []
for i, path in enumerate(dts):
    if i % 9 == 0:
        reads.append(zc)
    reads.append(path)
open(f"{work}/reads.paths", "w").write("".join(p + "\n" for p in reads))
writes = []
for i, d in enumerate(best["demands"][:40]):
    demand = get(f"/v1/demands/{d['id']}")
    demand["description"] += "（需求已更新）"
    writes.append(f"PUT /v1/demands/{demand['id']} {json.dumps(demand, ensure_ascii=False)}")
    team_id = get(f"/v1/demands/{d['id']}/teams?limit=1")["items"][0]["team_id"]
    team = get(f"/v1/teams/{team_id}")
    team["description"] += "（团队简介已更新）"
    writes.append(f"PUT /v1/teams/{team_id} {json.dumps(team, ensure_ascii=False)}")
mixed = []
for i, path in enumerate(reads * 2):
    mixed.append(path)
    if i % 19 == 18:
        mixed.append(writes[(i // 19) % len(writes)])
open(f"{work}/mixed.paths", "w").write("".join(p + "\n" for p in mixed))
open(f"{work}/writes.paths", "w").write("".join(w + "\n" for w in writes[:20]))
PY

for name in ${SCENARIOS:-candidates demand-teams reads mixed}; do
  # One pass to warm up, as a client would after start-up.
  while read -r path; do
    [[ "$path" == *" "* ]] && continue   # writes are not part of the warm-up
    curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE$path"
  done <"$WORK/$name.paths"
  echo "== wrk $name: -t$THREADS -c$CONNECTIONS -d$DURATION"
  PATHS_FILE="$WORK/$name.paths" TOKEN="$TOKEN" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/load.lua "$BASE" | tee "$WORK/$name.out"
done

if [[ " ${SCENARIOS:-mixed} " == *" mixed "* ]]; then
  echo "== one write, then one zone-candidates request, 20 times"
  python3 - "$BASE" "$TOKEN" "$WORK" <<'PY'
import json, sys, time, urllib.request
base, token, work = sys.argv[1:]
zone = open(f"{work}/zone").read()
def send(method, path, body=None):
    req = urllib.request.Request(base + path, data=body, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    t = time.perf_counter(); urllib.request.urlopen(req).read(); return (time.perf_counter() - t) * 1000
after = []
for line in open(f"{work}/writes.paths"):
    method, path, body = line.rstrip("\n").split(" ", 2)
    write_ms = send(method, path, body.encode())
    after.append((path.split("/")[2], write_ms, send("GET", f"/v1/zones/{zone}/candidates?limit=10")))
for kind in ("demands", "teams"):
    w = sorted(x[1] for x in after if x[0] == kind); z = sorted(x[2] for x in after if x[0] == kind)
    print(f"after a {kind[:-1]} write: write p50 {w[len(w)//2]:.1f} ms max {w[-1]:.1f} ms; "
          f"next zone-candidates p50 {z[len(z)//2]:.1f} ms max {z[-1]:.1f} ms")
PY
fi
echo "== server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$SERVER_PID/status)"
