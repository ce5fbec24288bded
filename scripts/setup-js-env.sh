#!/usr/bin/env bash
# Installs the AWS SDK for JavaScript v3 (pinned in tests/js/package-lock.json) into tests/js/node_modules.
# Idempotent: does nothing when node_modules matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../tests/js"
if ! command -v npm >/dev/null; then
  echo "npm not found: the JavaScript SDK tests need Node.js 18+ and npm" >&2
  exit 1
fi
stamp=node_modules/.nimbus-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  echo "js env up to date (tests/js/node_modules)"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
