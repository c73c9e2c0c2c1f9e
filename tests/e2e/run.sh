#!/usr/bin/env bash
# Runs the console's end-to-end test in headless Chromium against a real `shuanggao serve`.
# Installs what it needs: Debian's chromium (+ driver and CJK fonts for legible screenshots), Node and
# the locked npm packages; builds the debug binary. Screenshots land in tests/artifacts/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium chromium-driver)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

echo "== npm ci (tests/e2e)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

if [ -z "${SHUANGGAO_BIN:-}" ]; then
  echo "== cargo build (debug binary)"
  (cd "$root" && cargo build --quiet --bin shuanggao)
  export SHUANGGAO_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/shuanggao"
fi

echo "== console end-to-end test (headless Chromium)"
cd "$here"
node --test --test-reporter=spec --test-concurrency=1 ui.test.mjs console.test.mjs
