#!/usr/bin/env bash
# Property-based test of the HTTP API generated from its own OpenAPI document (schemathesis): starts
# `shuanggao serve` on a fresh database over the shipped dataset, then lets schemathesis generate requests
# for every operation, valid and invalid, as the department, and fails on any 5xx, any status the
# document does not list, any response whose body does not match its documented schema or content type.
# Bounded by MAX_TIME seconds (default 120); a fixed SEED (default 1) makes runs repeatable.
#
# Usage: scripts/check_openapi.sh BINARY [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "$1")
DATA=${2:-datasets/jiangsu}
VENV=${SCHEMATHESIS_VENV:-target/schemathesis}

if [[ ! -x "$VENV/bin/st" ]]; then
  echo "== installing schemathesis into $VENV"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install --quiet "schemathesis==4.32.5"
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

RUST_LOG=warn "$BIN" serve --data "$DATA" --addr 127.0.0.1:0 --db "$WORK/db.sqlite" \
  --index "$WORK/index" --models "$WORK/models" >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
for _ in $(seq 1 600); do
  grep -q '^listening on ' "$WORK/stdout" 2>/dev/null && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/stderr"; exit 1; fi
  sleep 0.1
done
BASE=$(sed -n 's/^listening on //p' "$WORK/stdout")
TOKEN=$(sed -n 's/.*shown once.*: //p' "$WORK/stdout")

echo "== schemathesis against $BASE/openapi.json"
# One worker: on Python 3.11 before 3.11.8 two threads building syntax trees at once (hypothesis describes
# its filters that way) can fail with "AST constructor recursion depth mismatch", an error of the tool.
"$VENV/bin/st" run "$BASE/openapi.json" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-time "${MAX_TIME:-120}" --seed "${SEED:-1}" --workers 1 \
  --warnings off
