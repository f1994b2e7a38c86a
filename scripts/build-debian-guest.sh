#!/usr/bin/env bash
# Builds the Debian 12 test guest: a real systemd distro with qemu-guest-agent, nodejs, cloud-init
# and our agent installed from its .deb — for tests where realism matters (packaging, systemd,
# cloud-init). The busybox guest (scripts/build-test-guest.sh) stays the fast one.
#
# Two stages, each built once per machine into the test cache and skipped while its inputs match:
#   1. rootfs (slow, ~3–4 min): debootstrap minbase from the mirror in
#      /etc/apt/sources.list.d/debian.sources, kept as a tarball keyed on the package list, the
#      mirror and the rootfs() recipe below.
#   2. image (fast, seconds): unpack the tarball, configure, `dpkg -i` our agent's .deb,
#      `mkfs.ext4 -d` → qcow2, the guest's own kernel and initrd copied out for direct kernel boot.
#      Keyed on the rootfs, this script and the agent's sources, so an agent change rebuilds only this.
#
# Why it is built this way (libvirt 9.0, QEMU 7.2, TCG; docs/ARCHITECTURE.md "Two test guests"):
# - No loop mounts: `mkfs.ext4 -d` copies a directory into a fresh filesystem image (owners, modes,
#   setuid kept; e2fsck clean) and needs neither root mounts nor a block device.
# - Direct kernel boot with the guest's own kernel and an initramfs-tools image made with
#   MODULES=list: virtio_blk, virtio_pci, ext4, and ahci/sr_mod for the SATA CD-ROM that carries a
#   cloud-init seed (server/domains/create.ts attaches seeds on the sata bus). Debian's default
#   (MODULES=most, 36 MB) cost ~16 s of each TCG boot in unpacking it and loading every driver.
# - systemd-networkd owns the network (DHCP on en*/eth*); cloud-init's network stage is disabled so
#   one program configures the NIC and a guest boots the same with or without a seed.
# - cloud-init looks only for NoCloud (the seed CD-ROM labelled cidata): probing the cloud
#   datasources costs seconds under TCG and finds nothing here. Without a seed ds-identify
#   disables cloud-init for that boot (measured: with [NoCloud, None] it did not even look).
# - cloud-init's locale module is off: it would run locale-gen on first boot, ~10 s of TCG CPU.
# - Timers and services that wake a guest for housekeeping (apt, e2scrub, fstrim, dpkg-db-backup)
#   are masked: they would disturb idle measurements of the agent and slow a test's boot.
# - A fixed machine-id and a masked systemd-firstboot: an empty machine-id makes systemd treat
#   the boot as a first boot (firstboot prompts on the console, preset-all re-enables units).
# - The root account stays locked; tests reach the guest through qemu-guest-agent and our agent.
# - Our agent's postinst does nothing in a chroot; its udev rule starts the unit when the port
#   appears at boot, as on any installed guest.
#
# Measured here (2 cores shared with other jobs, load 4–9; bookworm, kernel 6.1, systemd 252,
# nodejs 18.20, cloud-init 22.4, qemu-ga 7.2):
# - cold build 3.6–4.0 min: debootstrap + tarball 180–216 s (206 packages; debootstrap's resolver
#   needs python3-cffi-backend named, see PACKAGES), image 10–25 s. Niced beside the integration
#   tests: a busybox guest test took 15.6–19.5 s instead of 13.7–14.4 s while it ran.
# - up to date: 0.03 s. After an agent change: 10–16 s (the image stage alone).
# - rootfs tarball 235 MB (zstd -3); disk.qcow2 849 MiB (3 GiB virtual); initrd 7 MB.
# - boot (TCG, 1 GiB, 2 vCPUs) with a seed: qemu-ga answers 24–33 s after `virsh start`, our agent
#   37–39 s, cloud-init done 38–43 s (its four stages take 8.4 + 5.5 + 7.1 + 3.9 s, mostly Python
#   starting; qemu-ga and our agent start after cloud-init.service, which is Before=sysinit.target).
#   Without a seed: qemu-ga 26 s, cloud-init disabled. Our agent at start: 65 MB RSS, 4 s CPU.
#
# Environment:
#   KVMM_CACHE_DIR          cache root (default /var/cache/kvm-manager); must be readable by
#                           libvirt's qemu user, so not under /root
#   KVMM_DEBIAN_REBUILD=1   rebuild the image (not the rootfs) even when the stamp matches
#   KVMM_DEBIAN_REBUILD=2   rebuild the rootfs too (fresh packages from the mirror)
set -euo pipefail
umask 022

readonly RECIPE_VERSION=1
readonly SUITE=bookworm
readonly REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly CACHE_DIR=${KVMM_CACHE_DIR:-/var/cache/kvm-manager}
readonly OUT_DIR=$CACHE_DIR/debian-guest
readonly ROOTFS_TARBALL=$CACHE_DIR/debian-rootfs.tar.zst
# Where the new image and tarball are staged: beside the cache, so each goes live in one rename.
readonly WORK_DIR=$CACHE_DIR/debian-guest.work
# Where the root filesystem is unpacked and the raw disk made: RAM (/dev/shm) when it has room.
# dpkg syncs every file it unpacks; on disk those syncs stalled the integration tests' guests and
# databases running beside this build (measured: the integration phase 8 → 11 min); on tmpfs a sync
# costs nothing and the disk sees only the finished tarball and qcow2.
scratch_dir() {
  local free_kib
  free_kib=$(df -k --output=avail /dev/shm 2>/dev/null | tail -n 1)
  if [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs && ${free_kib:-0} -gt $((6 * 1024 * 1024)) ]]; then
    echo /dev/shm/kvmm-debian-guest.work
  else
    echo "$WORK_DIR"
  fi
}
readonly SCRATCH_DIR=$(scratch_dir)
readonly REBUILD=${KVMM_DEBIAN_REBUILD:-0}
# Virtual size of the root disk; qcow2 stores only what the files use (~1 GiB).
readonly DISK_SIZE=3G
readonly KERNEL_CMDLINE="root=/dev/vda rw console=ttyS0"
readonly PACKAGES=(
  systemd-sysv udev dbus kmod linux-image-amd64 initramfs-tools
  qemu-guest-agent nodejs iproute2 procps isc-dhcp-client
  cloud-init sudo
  # pam_systemd: registers PAM sessions with logind, which the agent's get_users reads where utmp has none.
  libpam-systemd
  # debootstrap's resolver ignores virtual packages: python3-cryptography (cloud-init → oauthlib)
  # needs python3-cffi-backend-api-min/max, which only this package provides.
  python3-cffi-backend
)
# Masked in the image (see above).
readonly MASKED_UNITS=(
  systemd-firstboot.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service
  fstrim.timer dpkg-db-backup.timer
)
# Loaded by the initramfs (MODULES=list): the virtio disk and ext4 for the root filesystem, and
# the SATA CD-ROM (ahci, sr_mod), which must exist before cloud-init's systemd generator
# (ds-identify) looks for a filesystem labelled cidata — before udev runs in the real root.
readonly INITRAMFS_MODULES=(virtio_pci virtio_blk ext4 ahci sr_mod)

die() { echo "build-debian-guest: $*" >&2; exit 1; }
log() { echo "build-debian-guest: $*"; }

# The mirror apt uses here, so the guest comes from where this machine may fetch: the first URIs:
# of the deb822 stanza whose Suites: name ours, else the first one-line `deb` entry for our suite,
# else Debian's own redirector.
mirror() {
  local uri=""
  [[ -r /etc/apt/sources.list.d/debian.sources ]] && uri=$(awk -v suite="$SUITE" '
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite && uri != "") { print uri; exit } }
    /^$/ { uri = "" }' /etc/apt/sources.list.d/debian.sources)
  [[ -z $uri && -r /etc/apt/sources.list ]] && uri=$(awk -v suite="$SUITE" '
    $1 == "deb" { for (i = 2; i < NF; i++) if ($i !~ /^\[/ && $(i + 1) == suite) { print $i; exit } }' /etc/apt/sources.list)
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=$(mirror)

# Stage 1. Runs with fd 9 (the lock) closed: nothing started inside the chroot may hold it.
# (Called in an `||` list, where set -e does not apply: each step checks its own status.)
rootfs() {
  local target=$1
  debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" "$SUITE" "$target" "$MIRROR" || return 1
  chroot "$target" apt-get clean || return 1
  # A small initramfs with just what finds the root disk and the seed CD-ROM (see INITRAMFS_MODULES).
  echo MODULES=list >"$target/etc/initramfs-tools/conf.d/kvmm-test-guest.conf" || return 1
  printf '%s\n' "${INITRAMFS_MODULES[@]}" >>"$target/etc/initramfs-tools/modules" || return 1
  chroot "$target" update-initramfs -u -k all || return 1
}

# Stage 2, inside the unpacked rootfs.
configure() {
  local root=$1 deb=$2 unit
  echo kvmm-debian >"$root/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tkvmm-debian\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' >"$root/etc/fstab"
  mkdir -p "$root/etc/systemd/network"
  printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' >"$root/etc/systemd/network/80-dhcp.network"
  chroot "$root" systemctl enable --quiet systemd-networkd.service
  for unit in "${MASKED_UNITS[@]}"; do ln -sf /dev/null "$root/etc/systemd/system/$unit"; done
  : >"$root/etc/machine-id"
  chroot "$root" systemd-machine-id-setup >/dev/null
  cat >"$root/etc/cloud/cloud.cfg.d/90-kvmm-test-guest.cfg" <<'EOF'
# KVM Manager's Debian test guest (scripts/build-debian-guest.sh): seeds come on a CD-ROM labelled
# cidata; systemd-networkd owns the network; no locale-gen on first boot, no GRUB.
# Two entries and no None: with one (or one and None) ds-identify enables cloud-init without
# looking, and a boot without a seed would run every module on DataSourceNone (creating the
# default user). ConfigDrive costs one more blkid label check.
datasource_list: [NoCloud, ConfigDrive]
network:
  config: disabled
locale: false
# No GRUB here (direct kernel boot): its debconf module only costs a second of TCG CPU.
grub_dpkg:
  enabled: false
EOF
  cp "$deb" "$root/tmp/kvmmanager-agent.deb"
  chroot "$root" dpkg -i /tmp/kvmmanager-agent.deb >/dev/null
  rm -f "$root/tmp/kvmmanager-agent.deb"
}

agent_sources_hash() {
  (cd "$REPO_ROOT" && find agent/src agent/protocol agent/packaging/files agent/build.mjs agent/packaging/build.mjs agent/PROTOCOL.md package-lock.json \
    -type f -not -name '*.test.ts' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

ROOTFS_KEY=$({
  echo "suite=$SUITE mirror=$MIRROR packages=${PACKAGES[*]} initramfs-modules=${INITRAMFS_MODULES[*]}"
  declare -f rootfs
} | sha256sum | cut -d' ' -f1)
# The tests' agent-update signing key (e2e/fixtures/update-key.ts makes the same file): the .deb
# carries its public half, so the tests' host can push bundles this image's agent accepts.
UPDATE_KEY=$CACHE_DIR/agent-update-test-key.pem
if [[ ! -f $UPDATE_KEY ]]; then
  mkdir -p "$CACHE_DIR"
  node -e '
    const { generateKeyPairSync } = require("node:crypto");
    const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });
    try { require("node:fs").writeFileSync(process.argv[1], pem, { mode: 0o600, flag: "wx" }); }
    catch (error) { if (error.code !== "EEXIST") throw error; }
  ' "$UPDATE_KEY" || die "making the test update key $UPDATE_KEY failed"
fi
UPDATE_KEY_PUBLIC=$(node -e 'process.stdout.write(require("node:crypto").createPublicKey(require("node:fs").readFileSync(process.argv[1], "utf8")).export({ type: "spki", format: "pem" }))' "$UPDATE_KEY") ||
  die "reading the test update key $UPDATE_KEY failed"

STAMP_TEXT="recipe=$RECIPE_VERSION
rootfs=$ROOTFS_KEY
script=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
agent=$(agent_sources_hash)
update-key=$(sha256sum <<<"$UPDATE_KEY_PUBLIC" | cut -d' ' -f1)"
STAMP=$(sha256sum <<<"$STAMP_TEXT" | cut -d' ' -f1)

print_outputs() {
  echo "image:    $OUT_DIR/disk.qcow2 ($(du -h "$OUT_DIR/disk.qcow2" | cut -f1))"
  echo "kernel:   $OUT_DIR/vmlinuz"
  echo "initrd:   $OUT_DIR/initrd.img"
  echo "manifest: $OUT_DIR/image.json"
}

is_current() {
  [[ $REBUILD == 0 && -f $OUT_DIR/stamp && -f $OUT_DIR/disk.qcow2 && -f $OUT_DIR/vmlinuz &&
     -f $OUT_DIR/initrd.img && -f $OUT_DIR/image.json && $(cat "$OUT_DIR/stamp") == "$STAMP" ]]
}
rootfs_is_current() {
  [[ $REBUILD != 2 && -f $ROOTFS_TARBALL && -f $ROOTFS_TARBALL.key && $(cat "$ROOTFS_TARBALL.key") == "$ROOTFS_KEY" ]]
}

if is_current; then
  log "up to date ($STAMP)"
  print_outputs
  exit 0
fi

mkdir -p "$CACHE_DIR"
chmod 0755 "$CACHE_DIR"
# Parallel test runs share the cache: one builds, the others wait and reuse it. The work directory
# has a fixed name because only the lock holder uses it.
exec 9>"$CACHE_DIR/debian-guest.lock"
flock 9
if is_current; then
  log "built by a concurrent run ($STAMP)"
  print_outputs
  exit 0
fi

# debootstrap mounts /proc and /sys inside its target; if it fails midway they stay mounted.
# Unmount whatever is under the work directory, then delete only inside it, on its own filesystem.
clean_work() {
  local mount dir
  for dir in "$SCRATCH_DIR" "$WORK_DIR"; do
    while read -r mount; do umount -l "$mount" || true; done < <(awk -v dir="$dir/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r)
    [[ -d $dir ]] || continue
    (cd "$dir" && rm -rf --one-file-system -- ./rootfs ./pkg ./disk.raw ./out ./previous ./rootfs.tar.zst ./debootstrap.log)
    rmdir "$dir"
  done
}
clean_work
mkdir -p "$WORK_DIR" "$SCRATCH_DIR"
trap clean_work EXIT
ROOT=$SCRATCH_DIR/rootfs

if rootfs_is_current; then
  log "rootfs up to date ($ROOTFS_KEY)"
else
  command -v debootstrap >/dev/null || die "debootstrap is not installed (bash scripts/setup.sh test)"
  log "debootstrap $SUITE from $MIRROR (a few minutes)"
  started=$SECONDS
  rootfs "$ROOT" 9>&- >"$SCRATCH_DIR/debootstrap.log" 2>&1 || {
    tail -n 40 "$SCRATCH_DIR/debootstrap.log" "$ROOT/debootstrap/debootstrap.log" 2>/dev/null
    die "debootstrap failed"
  }
  # Numeric owners: the host's user names are not the guest's.
  tar -C "$ROOT" --one-file-system --numeric-owner --xattrs --xattrs-include='*' -cf - . | zstd -q -T0 -3 -o "$WORK_DIR/rootfs.tar.zst"
  mv "$WORK_DIR/rootfs.tar.zst" "$ROOTFS_TARBALL"
  echo "$ROOTFS_KEY" >"$ROOTFS_TARBALL.key"
  log "rootfs built in $((SECONDS - started)) s ($(du -h "$ROOTFS_TARBALL" | cut -f1) tarball)"
  (cd "$SCRATCH_DIR" && rm -rf --one-file-system -- ./rootfs)
fi

started=$SECONDS
mkdir -p "$ROOT"
zstd -q -dc "$ROOTFS_TARBALL" | tar -C "$ROOT" --numeric-owner --xattrs --xattrs-include='*' -xpf -
(cd "$REPO_ROOT" && node agent/packaging/build.mjs --out "$SCRATCH_DIR/pkg" --update-key "$UPDATE_KEY" >/dev/null) 9>&- || die "building the agent's packages failed"
DEB=$(find "$SCRATCH_DIR/pkg" -name 'kvmmanager-agent_*_all.deb' -print -quit)
[[ -n $DEB ]] || die "agent/packaging/build.mjs made no .deb"
AGENT_VERSION=$(dpkg-deb -f "$DEB" Version)
configure "$ROOT" "$DEB" 9>&-

KERNEL_RELEASE=$(basename "$(find "$ROOT/lib/modules" -mindepth 1 -maxdepth 1 -type d -print -quit)")
[[ -f $ROOT/boot/vmlinuz-$KERNEL_RELEASE && -f $ROOT/boot/initrd.img-$KERNEL_RELEASE ]] || die "no kernel or initrd for $KERNEL_RELEASE in the rootfs"
version_in_root() { chroot "$ROOT" dpkg-query -W -f='${Version}' "$1"; }

NEW=$WORK_DIR/out
mkdir -p "$NEW"
cp "$ROOT/boot/vmlinuz-$KERNEL_RELEASE" "$NEW/vmlinuz"
cp "$ROOT/boot/initrd.img-$KERNEL_RELEASE" "$NEW/initrd.img"
truncate -s "$DISK_SIZE" "$SCRATCH_DIR/disk.raw"
mkfs.ext4 -q -F -L kvmm-root -d "$ROOT" "$SCRATCH_DIR/disk.raw"
qemu-img convert -O qcow2 "$SCRATCH_DIR/disk.raw" "$NEW/disk.qcow2"
node -e '
  const [file, ...pairs] = process.argv.slice(1);
  const manifest = Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
  manifest.recipeVersion = Number(manifest.recipeVersion);
  require("node:fs").writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
' "$NEW/image.json" \
  "stamp=$STAMP" "recipeVersion=$RECIPE_VERSION" "suite=$SUITE" "mirror=$MIRROR" \
  "image=$OUT_DIR/disk.qcow2" "kernel=$OUT_DIR/vmlinuz" "initrd=$OUT_DIR/initrd.img" "cmdline=$KERNEL_CMDLINE" \
  "kernelRelease=$KERNEL_RELEASE" "systemdVersion=$(version_in_root systemd)" "nodejsVersion=$(version_in_root nodejs)" \
  "cloudInitVersion=$(version_in_root cloud-init)" "qemuGuestAgentVersion=$(version_in_root qemu-guest-agent)" \
  "agentVersion=$AGENT_VERSION" "builtAt=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "$STAMP" >"$NEW/stamp"
echo "$STAMP_TEXT" >"$NEW/stamp.inputs"
chmod 0755 "$NEW"
chmod 0644 "$NEW"/*
# Tests boot overlays over it: read-only, so a guest's QEMU (which libvirt makes its owner while
# the image backs an overlay, and does not give back) can never write it.
chmod 0444 "$NEW/disk.qcow2"

# Swap in the new image in one rename; running guests keep the old files open.
[[ -d $OUT_DIR ]] && mv "$OUT_DIR" "$WORK_DIR/previous"
mv "$NEW" "$OUT_DIR"
log "built $STAMP: image in $((SECONDS - started)) s (agent $AGENT_VERSION, kernel $KERNEL_RELEASE)"
print_outputs
