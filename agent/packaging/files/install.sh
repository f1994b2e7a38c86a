#!/bin/sh
# Installs the KVM Manager guest agent from this folder (the agent ISO) on systemd
# or OpenRC guests. Installs Node.js from the distribution when it is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=/usr/lib/kvmmanager-agent

say() { printf 'kvmmanager-agent: %s\n' "$*"; }
fail() { say "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root"

distro_id=unknown
if [ -r /etc/os-release ]; then
	# shellcheck disable=SC1091
	distro_id=$(. /etc/os-release && printf '%s' "${ID:-unknown}")
fi

node_major() {
	command -v node >/dev/null 2>&1 || { echo 0; return; }
	node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(node_major)" -lt 18 ]; then
	say "installing Node.js for $distro_id"
	case "$distro_id" in
		debian|ubuntu|linuxmint|raspbian) apt-get update && apt-get install -y nodejs ;;
		fedora|rhel|centos|rocky|almalinux|ol) dnf install -y nodejs ;;
		opensuse*|sles) zypper --non-interactive install nodejs ;;
		alpine) apk add --no-cache nodejs ;;
		arch|manjaro) pacman -Sy --noconfirm nodejs ;;
		*) fail "unknown distribution '$distro_id': install Node.js 18 or newer, then run this again" ;;
	esac
	[ "$(node_major)" -ge 18 ] || fail "Node.js 18 or newer is required; found $(node --version 2>/dev/null || echo none)"
fi

install -d -m 0755 "$prefix" /etc/kvmmanager-agent
install -m 0755 "$here/kvmm-agent.cjs" "$prefix/kvmm-agent.cjs"
install -m 0755 "$here/kvmm-launcher.cjs" "$prefix/kvmm-launcher.cjs"
# The public half of the host's update signing key: present when the ISO was built with one.
[ -e "$here/update-key.pem" ] && install -m 0644 "$here/update-key.pem" "$prefix/update-key.pem"
install -d -m 0700 /var/lib/kvmmanager-agent
ln -sf "$prefix/kvmm-launcher.cjs" /usr/bin/kvmmanager-agent
[ -e /etc/kvmmanager-agent/config.json ] || install -m 0644 "$here/config.json" /etc/kvmmanager-agent/config.json

if [ -d /run/systemd/system ]; then
	install -m 0644 "$here/kvmmanager-agent.service" /etc/systemd/system/kvmmanager-agent.service
	install -m 0644 "$here/60-kvmmanager-agent.rules" /etc/udev/rules.d/60-kvmmanager-agent.rules
	systemctl daemon-reload
	udevadm control --reload-rules
	udevadm trigger --subsystem-match=virtio-ports
	if [ -e /dev/virtio-ports/org.kvmmanager.agent.0 ]; then
		systemctl restart kvmmanager-agent.service
	fi
	say "installed (systemd); status: systemctl status kvmmanager-agent"
elif command -v openrc-run >/dev/null 2>&1 || [ -x /sbin/openrc-run ]; then
	install -m 0755 "$here/kvmmanager-agent.openrc" /etc/init.d/kvmmanager-agent
	rc-update add kvmmanager-agent default
	rc-service kvmmanager-agent restart
	say "installed (OpenRC); status: rc-service kvmmanager-agent status"
else
	fail "neither systemd nor OpenRC found: start /usr/bin/kvmmanager-agent with your init system"
fi
