#!/usr/bin/env bash
# Installs and starts what KVM Manager needs on this host; every step is skipped when already done.
#   scripts/setup.sh up     what the dashboard needs to run
#   scripts/setup.sh test   that, plus what the test suite needs (browser, test guest image, protocol sources)
set -euo pipefail
mode="${1:-up}"
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# shellcheck source=lib/start-daemon.sh
. scripts/lib/start-daemon.sh

UP_PACKAGES=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils ovmf swtpm swtpm-tools dnsmasq-base xorriso openssl)
# With all of these no test skips (README, Tests): chromium-headless-shell, the browser Playwright
# drives (e2e/support/chromium.ts); rpm (rpmbuild) and systemd (systemd-analyze) for the agent's
# packages, gcc and libc6-dev for the LD_PRELOAD library the exec test plants,
# openssh-server and netcat-openbsd for qemu+ssh://, isolinux and syslinux-common for the bootable
# ISO the upload test builds with xorriso (e2e/fixtures/bootable-iso.ts), debootstrap for the Debian test
# guest (scripts/build-debian-guest.sh, which test.sh runs in the background), iproute2 and procps
# for the second libvirt host the multi-host tests start in namespaces (e2e/fixtures/second-host.ts).
TEST_PACKAGES=(chromium-headless-shell fonts-liberation busybox-static cpio dpkg-dev xz-utils zstd rpm systemd gcc libc6-dev openssh-server openssh-client netcat-openbsd isolinux syslinux-common debootstrap iproute2 procps)

ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

ensure_node() {
  local major minor want=9 purpose=""
  # The tests need node's --test-timeout (20.11).
  [ "$mode" = test ] && { want=11; purpose=" to run the tests"; }
  IFS=. read -r major minor _ <<<"$(node -p 'process.versions.node')"
  if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt "$want" ]; }; then
    echo "Node.js >= 20.$want is required$purpose (found $(node --version))" >&2
    exit 1
  fi
}

ensure_node_modules() {
  local want have=""
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ -f node_modules/.kvmm-lock-hash ] && have=$(cat node_modules/.kvmm-lock-hash)
  [ "$want" = "$have" ] && return 0
  log "installing npm packages (npm ci)"
  # Native addons compile against the Node headers Debian ships when no prebuilt binary can be fetched.
  if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
  npm ci --no-audit --no-fund
  echo "$want" >node_modules/.kvmm-lock-hash
}

libvirt_answers() { virsh -c qemu:///system version >/dev/null 2>&1; }

ensure_libvirtd() {
  libvirt_answers && return 0
  log "starting virtlogd and libvirtd (no service manager runs them here)"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    as_root systemctl start virtlogd libvirtd
  else
    pgrep -x virtlogd >/dev/null || start_daemon virtlogd -d
    pgrep -x libvirtd >/dev/null || start_daemon libvirtd -d
  fi
  for _ in $(seq 1 100); do libvirt_answers && return 0; sleep 0.1; done
  echo "libvirtd did not answer on qemu:///system within 10 s" >&2
  exit 1
}

# Without udev nobody gives /dev/kvm its usual group and mode; libvirt then sees KVM when it probes
# QEMU (as root) but not when it checks as the qemu user, and re-probes QEMU on every call (~4 s each).
ensure_kvm_device_access() {
  [ -c /dev/kvm ] || return 0
  [ "$(stat -c '%G %a' /dev/kvm)" = "kvm 660" ] && return 0
  getent group kvm >/dev/null || return 0
  log "giving /dev/kvm the group and mode udev would (kvm, 0660)"
  as_root chgrp kvm /dev/kvm
  as_root chmod 0660 /dev/kvm
}

ensure_next_build() {
  if [ -f .next/BUILD_ID ] && [ -z "$(find app server agent/protocol public drizzle next.config.mjs postcss.config.mjs tsconfig.json package-lock.json -newer .next/BUILD_ID -type f -print -quit)" ]; then
    return 0
  fi
  log "building the web app (next build)"
  npx next build
}

# Two setups at once (a test run and `npm run up`, say) would both run `npm ci` into one node_modules.
exec 9>.setup.lock
flock 9

ensure_packages "${UP_PACKAGES[@]}"
[ "$mode" = test ] && ensure_packages "${TEST_PACKAGES[@]}"
ensure_node
ensure_node_modules
ensure_kvm_device_access
ensure_libvirtd
if [ "$mode" = test ]; then
  bash scripts/fetch-libvirt-protocol.sh >/dev/null
  bash scripts/build-test-guest.sh
  npm run --silent build:agent
fi
ensure_next_build
log "ready"
