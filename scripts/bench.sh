#!/usr/bin/env bash
# npm run bench: sets up the host (idempotent), then prints benchmark figures — never pass/fail on time.
#   scripts/bench/main.ts   list-all-domains (our client vs virsh), 1,000 calls in flight, vm.list for 1,000 VMs,
#                           the /vms page at 1,000 VMs (server render, time to interactive, scroll, event → row),
#                           a sign-in flood, the CPU the agent's virtio-serial transport spends waiting,
#                           a graphical console's first frame, the metrics collector's CPU per tick at 1,000 VMs,
#                           the dashboard at 1,000 VMs with live usage (server render, dashboard.summary)
#   scripts/bench-guest.ts  guest agent vs qemu-guest-agent, when that script exists; first the agent's idle
#                           footprint next to a bare node in the busybox test guest (scripts/bench/agent-footprint.ts)
#   scripts/bench/debian-footprint.ts
#                           the same footprint in the Debian 12 test guest, the agent run by its packaged unit
#   (KVMM_BENCH_IDLE_S sets both footprints' idle window, default 120 s)
#   scripts/bench/metrics-history.ts
#                           metrics history: insert throughput (ticks of 1,000 VMs), one VM's history over
#                           30 days / 7 days / 24 h / 6 h on a database filled with 30 days of 100 VMs, a clean-up run
#   scripts/bench/insights.ts
#                           insights at 1,000 VMs with 7 days of 1-hour rollups: reading the history, the rules, storing
#   scripts/bench/backups.ts
#                           backup throughput of a running VM's 1 GiB qcow2 disk: full, then incremental after 10 MiB changed
#   scripts/bench/many-hosts.ts
#                           20 hosts × 50 VMs (20 libvirtd in namespaces, test driver over TCP): vm.list across hosts vs
#                           the slowest host alone, dashboard.summary, memory per connection, one host stalled
# Ends with one summary table. Every libvirt object it creates is named kvmm-bench-<run>-* and removed
# on exit, even when a benchmark fails or is interrupted.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
log() { printf '\033[1m[bench]\033[0m %s\n' "$*"; }

status=0
started=$SECONDS
if ! bash scripts/setup.sh test; then
  status=1
  log "setup failed; benchmarking with what is installed"
fi
setup_seconds=$((SECONDS - started))

run_id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
summary=$(mktemp)
cleanup() {
  # Only what a run killed before its own clean-up could leave behind: this run's domains.
  local name
  virsh -c "${KVMM_BENCH_URI:-qemu:///system}" list --all --name 2>/dev/null | grep "^kvmm-bench-$run_id-" | while read -r name; do
    virsh -c "${KVMM_BENCH_URI:-qemu:///system}" undefine "$name" >/dev/null 2>&1 && log "removed leftover domain $name"
  done
  rm -f "$summary"
  rm -rf "${TMPDIR:-/tmp}/kvmm-bench-$run_id-"*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$SECONDS
main_result="ok"
if ! KVMM_BENCH_RUN=$run_id KVMM_BENCH_SUMMARY=$summary npx tsx scripts/bench/main.ts; then
  status=1
  main_result="FAILED (see above)"
fi
main_seconds=$((SECONDS - started))

guest_result="skipped: scripts/bench-guest.ts does not exist"
guest_seconds=0
if [ -f scripts/bench-guest.ts ]; then
  printf '\n\033[1m== guest agent vs qemu-guest-agent (scripts/bench-guest.ts)\033[0m\n'
  started=$SECONDS
  if npx tsx scripts/bench-guest.ts; then
    guest_result="ran: its figures are above"
  else
    guest_result="FAILED (exit $?): see above"
    status=1
  fi
  guest_seconds=$((SECONDS - started))
fi

printf '\n\033[1m== agent footprint in the Debian 12 guest (scripts/bench/debian-footprint.ts)\033[0m\n'
started=$SECONDS
if npx tsx scripts/bench/debian-footprint.ts; then
  debian_result="ran: its figures are above"
else
  debian_result="FAILED (exit $?): see above"
  status=1
fi
debian_seconds=$((SECONDS - started))

printf '\n\033[1m== metrics history (scripts/bench/metrics-history.ts)\033[0m\n'
started=$SECONDS
if npx tsx scripts/bench/metrics-history.ts; then
  history_result="ran: its figures are above"
else
  history_result="FAILED (exit $?): see above"
  status=1
fi
history_seconds=$((SECONDS - started))

printf '\n\033[1m== insights (scripts/bench/insights.ts)\033[0m\n'
started=$SECONDS
if npx tsx scripts/bench/insights.ts; then
  insights_result="ran: its figures are above"
else
  insights_result="FAILED (exit $?): see above"
  status=1
fi
insights_seconds=$((SECONDS - started))

printf '\n\033[1m== backups (scripts/bench/backups.ts)\033[0m\n'
started=$SECONDS
if KVMM_BENCH_RUN=$run_id npx tsx scripts/bench/backups.ts; then
  backups_result="ran: its figures are above"
else
  backups_result="FAILED (exit $?): see above"
  status=1
fi
backups_seconds=$((SECONDS - started))

printf '\n\033[1m== 20 hosts × 50 VMs (scripts/bench/many-hosts.ts)\033[0m\n'
started=$SECONDS
if KVMM_BENCH_RUN=$run_id node --expose-gc --import tsx scripts/bench/many-hosts.ts; then
  hosts_result="ran: its figures are above"
else
  hosts_result="FAILED (exit $?): see above"
  status=1
fi
hosts_seconds=$((SECONDS - started))

printf '\n\033[1m== summary\033[0m\n'
if [ -s "$summary" ]; then cat "$summary"; else echo "scripts/bench/main.ts: $main_result"; fi
echo "guest bench: $guest_result"
echo "Debian footprint bench: $debian_result"
echo "metrics history bench: $history_result"
echo "insights bench: $insights_result"
echo "backups bench: $backups_result"
echo "20 hosts bench: $hosts_result"
echo "time: setup ${setup_seconds} s, benchmarks ${main_seconds} s, guest bench ${guest_seconds} s, Debian footprint ${debian_seconds} s, metrics history ${history_seconds} s, insights ${insights_seconds} s, backups ${backups_seconds} s, 20 hosts ${hosts_seconds} s"
exit "$status"
