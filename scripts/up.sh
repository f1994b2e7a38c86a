#!/usr/bin/env bash
# Sets up this host (idempotent) and serves the dashboard on $PORT (default 3000) on all interfaces.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh up
export NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
# Password hashes (Argon2) run on libuv's thread pool, which file reads and DNS lookups share:
# 4 threads (the default) would let two sign-ins and a slow disk stall everything else.
export UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-8}"
exec node_modules/.bin/tsx server/main.ts
