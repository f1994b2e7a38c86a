#!/usr/bin/env bash
# Sets up this host (idempotent) and serves the dashboard on $PORT (default 3000) on all interfaces.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh up
export NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
exec node_modules/.bin/tsx server/main.ts
