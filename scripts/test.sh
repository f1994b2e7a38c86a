#!/usr/bin/env bash
# Sets up everything the tests need (idempotent), then runs every test: static checks, unit,
# integration against the real libvirtd and QEMU guests, Playwright end to end, and last, alone,
# the one test that restarts libvirtd. Ends with one line "N passed, N failed, N skipped", skipped
# tests listed above it with their reason; with CI set (.ci/run sets it) a skip fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/setup.sh test || { echo "setup failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
# Each step says when it began, in seconds since the run started, so a slow phase shows in CI's log.
step() { printf '\n\033[1m== %s\033[0m (at %d s)\n' "$*" "$SECONDS"; }

# The Debian test guest (scripts/build-debian-guest.sh) takes ~3 minutes to build on a fresh machine
# and is a no-op once built. Built in the background, niced so the TCG guests of the integration
# phase keep the CPU, and waited for only by the phase whose tests boot it.
step "Debian test guest: building in the background (niced); its tests wait for it after the integration tests"
debian_build_started=$SECONDS
nice -n 15 bash scripts/build-debian-guest.sh </dev/null >"$results/debian-guest-build.log" 2>&1 &
debian_build_pid=$!

# Restarts the machine's libvirtd, which fails whatever else is talking to it at the time.
LIBVIRTD_RESTART_TEST=server/libvirt/reconnect.itest.ts

# A test that sets no timeout of its own fails after this long (scripts/lib/test-timeout.mjs), so a
# lost event costs that test, by name, instead of the run. Generous for a loaded 2-core machine: the
# slowest unit test takes ~10 s there, and integration tests wait up to 180 s for a TCG guest.
UNIT_TEST_TIMEOUT_MS=120000
INTEGRATION_TEST_TIMEOUT_MS=300000
# The bound of a whole file, hooks included: what node's --test-timeout means on Node 20. It
# also ends a file whose timed-out test left a socket or timer open. (Not --test-force-exit: on Node
# 20 it exits before the TAP file has its totals.)
FILE_TIMEOUT_MS=900000

# Two `npm test` runs on one machine share its libvirtd: phases that use it hold this lock shared,
# the restart holds it alone, so it waits until no other run is in such a phase. flock -o keeps the
# lock to flock itself: a libvirtd or dashboard that a test starts must not inherit it and outlive us.
LIBVIRTD_LOCK="${TMPDIR:-/tmp}/kvmm-libvirtd.lock"

# run_node_tests <results name> <title> <concurrency> <per-test timeout ms> <libvirtd lock: none|shared|exclusive> <file>...
# The number in the results name orders the node phases in the summary.
run_node_tests() {
  local name=$1 title=$2 concurrency=$3 timeout=$4 lock=$5
  shift 5
  [ $# -eq 0 ] && return 0
  local locked=()
  [ "$lock" != none ] && locked=(flock -o "--$lock" "$LIBVIRTD_LOCK")
  step "$title ($# files)"
  "${locked[@]}" env KVMM_TEST_TIMEOUT_MS="$timeout" node --import tsx --import ./scripts/lib/test-timeout.mjs \
    --test --test-concurrency="$concurrency" --test-timeout="$FILE_TIMEOUT_MS" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$results/$name.tap" \
    "$@" || status=1
}
find_tests() { find server agent app e2e scripts -name "$1" -not -path '*/node_modules/*' | sort; }

mapfile -t unit < <(find_tests '*.test.ts')
# Tests that boot the Debian guest run in a phase of their own, after the build they need.
mapfile -t integration < <(find_tests '*.itest.ts' | grep -vxF "$LIBVIRTD_RESTART_TEST" | grep -v '^e2e/debian/')
mapfile -t debian < <(find e2e/debian -name '*.itest.ts' | sort)

# The static checks and the unit tests need no libvirtd guest; the integration tests spend most of
# their time waiting for TCG guests to boot. So the first run beside the second (saving their ~2.5
# minutes of a ~28-minute run on 2 cores), their output kept apart and printed after it.
static_and_unit() {
  step "type check"
  npx tsc --noEmit || { status=1; echo "type check failed" >>"$results/static"; }
  step "lint"
  npx eslint . || { status=1; echo "lint failed" >>"$results/static"; }
  step "format (prettier --check; npm run format fixes it)"
  npx prettier --check --log-level warn . || { status=1; echo "format check failed" >>"$results/static"; }
  run_node_tests 1-unit unit 2 "$UNIT_TEST_TIMEOUT_MS" none "${unit[@]}"
  echo "$status" >"$results/static-and-unit.status"
}
step "type check, lint, format and unit tests: running beside the integration tests, their output follows them"
static_and_unit >"$results/static-and-unit.log" 2>&1 &
static_and_unit_pid=$!
run_node_tests 2-integration integration 1 "$INTEGRATION_TEST_TIMEOUT_MS" shared "${integration[@]}"

step "Debian test guest: waiting for its build"
if wait "$debian_build_pid"; then
  printf 'built or up to date %d s after it started:\n' "$((SECONDS - debian_build_started))"
  tail -n 5 "$results/debian-guest-build.log"
  run_node_tests 3-debian "integration (Debian guest)" 1 "$INTEGRATION_TEST_TIMEOUT_MS" shared "${debian[@]}"
else
  status=1
  echo "Debian guest build failed" >>"$results/static"
  echo "scripts/build-debian-guest.sh failed, so e2e/debian/ did not run; its log:"
  cat "$results/debian-guest-build.log"
fi
wait "$static_and_unit_pid"
step "type check, lint, format and unit tests (ran beside the integration tests)"
cat "$results/static-and-unit.log"
[ "$(cat "$results/static-and-unit.status" 2>/dev/null)" = 0 ] || status=1

# Two spec files at a time (playwright.config.ts); then, one at a time on a dashboard of their own, the
# tests tagged @alone: those that measure the manager itself (its memory during an upload), which would
# count the other worker's load as theirs, and those that add an address to this machine (a second libvirt
# host's interface, a started virtual network's bridge): Chromium then aborts every open page's requests in
# flight (net::ERR_NETWORK_CHANGED).
step "end to end (Playwright, two files at a time)"
flock -o --shared "$LIBVIRTD_LOCK" env PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright-1.json" \
  npx playwright test --grep-invert @alone --reporter=list,json || status=1
step "end to end (Playwright, the tests that measure the manager, alone)"
# Its own output folder: a run empties its folder first, and the phase above's failures keep their traces.
flock -o --shared "$LIBVIRTD_LOCK" env KVMM_E2E_WORKERS=1 PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright-2.json" \
  npx playwright test --grep @alone --output test-results/alone --reporter=list,json || status=1

# Last, after Playwright has stopped its dashboard: nothing of this run talks to libvirtd any more,
# and a libvirtd that fails to come back fails this phase alone, not every page test after it.
run_node_tests 4-libvirtd-restart "libvirtd restart (alone, last)" 1 "$INTEGRATION_TEST_TIMEOUT_MS" exclusive "$LIBVIRTD_RESTART_TEST"

node --import tsx scripts/lib/test-summary.ts "$results" ${CI:+--ci} || status=1
exit "$status"
