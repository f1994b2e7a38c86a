#!/usr/bin/env bash
# Sets up everything the tests need (idempotent), then runs every test: static checks, unit,
# integration against the real libvirtd and QEMU guests, and Playwright end to end.
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/setup.sh test || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "type check"
npx tsc --noEmit || { status=1; echo "type check failed" >>"$results/static"; }
step "lint"
npx eslint . || { status=1; echo "lint failed" >>"$results/static"; }
step "format (prettier --check; npm run format fixes it)"
npx prettier --check --log-level warn . || { status=1; echo "format check failed" >>"$results/static"; }

run_node_tests() {
  local name=$1 concurrency=$2; shift 2
  local files
  mapfile -t files < <(find server agent app e2e scripts -name "$1" -not -path '*/node_modules/*' | sort)
  [ ${#files[@]} -eq 0 ] && return 0
  step "$name (${#files[@]} files)"
  node --import tsx --test --test-concurrency="$concurrency" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$results/$name.tap" \
    "${files[@]}" || status=1
}
run_node_tests unit 2 '*.test.ts'
run_node_tests integration 1 '*.itest.ts'

step "end to end (Playwright)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright.json" npx playwright test --reporter=list,json || status=1

passed=0
failed=0
for tap in "$results"/*.tap; do
  [ -f "$tap" ] || continue
  p=$(grep -E '^# pass ' "$tap" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail ' "$tap" | tail -1 | awk '{print $3}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if [ -f "$results/playwright.json" ]; then
  read -r p f < <(node -e 'const s=require(process.argv[1]).stats;console.log(s.expected+s.flaky, s.unexpected)' "$results/playwright.json")
  passed=$((passed + p))
  failed=$((failed + f))
else
  failed=$((failed + 1))
fi
[ -f "$results/static" ] && failed=$((failed + $(wc -l <"$results/static")))
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo
echo "$passed passed, $failed failed"
exit "$status"
