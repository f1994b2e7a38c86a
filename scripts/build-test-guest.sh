#!/usr/bin/env bash
# Builds the throwaway guest that integration tests boot under QEMU (TCG):
# Debian's kernel (extracted from its .deb, never installed) and a busybox
# initramfs carrying the host's node and, optionally, stock qemu-guest-agent;
# busybox's fsfreeze applet and the ext4 modules serve guests with a data disk.
# Built once per machine; a stamp over every input makes a second run a no-op
# until the kernel package, node, busybox, qemu-ga or this recipe changes.
#
# Environment:
#   KVMM_CACHE_DIR      cache root (default /var/cache/kvm-manager); must be
#                       readable by libvirt's qemu user, so not under /root
#   KVMM_GUEST_NODE     node binary to ship (default: node on PATH)
#   KVMM_GUEST_QGA=0    leave qemu-guest-agent out
#   KVMM_GUEST_REBUILD=1  rebuild even when the stamp matches
set -euo pipefail
umask 022

readonly RECIPE_VERSION=1
readonly REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOTFS_SRC=$REPO_ROOT/e2e/fixtures/test-guest/rootfs
readonly CACHE_DIR=${KVMM_CACHE_DIR:-/var/cache/kvm-manager}
readonly OUT_DIR=$CACHE_DIR/test-guest
readonly WITH_QGA=${KVMM_GUEST_QGA:-1}

# Loaded by the guest's /init in this order: virtio core and PCI transport,
# then the console (virtio-serial ports), NIC, disk, entropy and the ACPI
# power button.
readonly MODULES=(
  virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
  virtio_console
  failover net_failover virtio_net
  virtio_blk
  virtio-rng
  button evdev
)
# Installed but loaded only by a guest that has a data disk (kvmm.datadisk=, see
# e2e/fixtures/test-host.ts `dataDisk`): ext4 and what it needs, in load order
# (busybox insmod resolves no dependencies). Guests without one boot as fast as before.
readonly DATA_DISK_MODULES=(crc16 mbcache jbd2 crc32c_generic ext4)

die() { echo "build-test-guest: $*" >&2; exit 1; }

# One apt-cache call for every package we track: each call costs ~0.5 s, and
# this runs at the start of every integration test run.
candidate_versions() {
  apt-cache policy "$@" | awk '
    /^[^ ].*:$/ { package = substr($0, 1, length($0) - 1) }
    /^ +Candidate:/ { print package "=" $2 }'
}

candidate_of() {
  local version
  version=$(awk -F= -v package="$1" '$1 == package { print $2 }' <<<"$CANDIDATES")
  [[ -n $version && $version != "(none)" ]] || die "apt has no candidate for $1 (apt-get update?)"
  echo "$version"
}

kernel_package() {
  local package
  package=$(apt-cache depends linux-image-amd64 |
    awk '/Depends: linux-image-[0-9].*-amd64$/ { print $2; exit }')
  [[ -n $package ]] || die "cannot find the kernel package linux-image-amd64 depends on"
  echo "$package"
}

recipe_hash() {
  { cat "${BASH_SOURCE[0]}"
    (cd "$ROOTFS_SRC" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -d' ' -f1
}

NODE_BIN=$(command -v "${KVMM_GUEST_NODE:-node}") || die "node not found (set KVMM_GUEST_NODE)"
NODE_VERSION=$("$NODE_BIN" --version)
CANDIDATES=$(candidate_versions linux-image-amd64 qemu-guest-agent)
# The meta package's version names the kernel build; the ABI package it
# depends on is resolved only when we actually build.
KERNEL_META_VERSION=$(candidate_of linux-image-amd64)
BUSYBOX_VERSION=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) ||
  die "busybox-static is not installed"
QGA_VERSION=""
[[ $WITH_QGA == 1 ]] && QGA_VERSION=$(candidate_of qemu-guest-agent)

STAMP_TEXT="recipe=$RECIPE_VERSION
recipe-hash=$(recipe_hash)
kernel=linux-image-amd64=$KERNEL_META_VERSION
node=$NODE_VERSION $(stat -c %s "$NODE_BIN")
busybox=$BUSYBOX_VERSION
qemu-guest-agent=${QGA_VERSION:-none}"
STAMP=$(sha256sum <<<"$STAMP_TEXT" | cut -d' ' -f1)

print_outputs() {
  echo "kernel:   $OUT_DIR/vmlinuz"
  echo "initrd:   $OUT_DIR/initrd.img ($(du -h "$OUT_DIR/initrd.img" | cut -f1))"
  echo "manifest: $OUT_DIR/image.json"
}

is_current() {
  [[ ${KVMM_GUEST_REBUILD:-0} != 1 && -f $OUT_DIR/stamp && -f $OUT_DIR/vmlinuz &&
     -f $OUT_DIR/initrd.img && -f $OUT_DIR/image.json &&
     $(cat "$OUT_DIR/stamp") == "$STAMP" ]]
}

if is_current; then
  echo "build-test-guest: up to date ($STAMP)"
  print_outputs
  exit 0
fi

mkdir -p "$CACHE_DIR"
chmod 0755 "$CACHE_DIR"
# Parallel test runs share the cache: one builds, the others wait and reuse it.
exec 9>"$CACHE_DIR/test-guest.lock"
flock 9
if is_current; then
  echo "build-test-guest: built by a concurrent run ($STAMP)"
  print_outputs
  exit 0
fi

WORK=$(mktemp -d "$CACHE_DIR/test-guest.build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
echo "build-test-guest: building in $WORK"

fetch_debs() {
  mkdir -p "$WORK/debs"
  KERNEL_PACKAGE=$(kernel_package)
  local packages=("$KERNEL_PACKAGE")
  [[ -n $QGA_VERSION ]] && packages+=("qemu-guest-agent=$QGA_VERSION")
  # apt's sandbox user cannot write into our root-owned work dir.
  (cd "$WORK/debs" && apt-get download -q -o APT::Sandbox::User=root "${packages[@]}") ||
    die "apt-get download ${packages[*]} failed"
}

# Only the kernel and the few modules we load are extracted: the whole package
# unpacks to ~400 MB.
extract_kernel() {
  local deb patterns=(--wildcards './boot/vmlinuz-*')
  deb=$(echo "$WORK"/debs/"$KERNEL_PACKAGE"_*.deb)
  KERNEL_VERSION=$(dpkg-deb -f "$deb" Version)
  for module in "${MODULES[@]}" "${DATA_DISK_MODULES[@]}"; do
    patterns+=("./lib/modules/*/$module.ko*")
  done
  mkdir -p "$WORK/kernel"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$WORK/kernel" "${patterns[@]}" ||
    die "extracting the kernel and modules from $deb failed"
  KERNEL_RELEASE=$(basename "$(echo "$WORK"/kernel/lib/modules/*)")
  [[ -f $WORK/kernel/boot/vmlinuz-$KERNEL_RELEASE ]] || die "no vmlinuz-$KERNEL_RELEASE in $deb"
}

# busybox insmod cannot read compressed modules, so decompress them here.
# $1: the list init loads them from; the rest: the modules, in load order.
install_modules() {
  local dest=$ROOT/lib/modules/$KERNEL_RELEASE list=$ROOT/lib/kvmm/$1 found module
  shift
  mkdir -p "$dest" "$ROOT/lib/kvmm"
  : > "$list"
  for module in "$@"; do
    found=$(find "$WORK/kernel/lib/modules" -name "$module.ko*" -print -quit)
    [[ -n $found ]] || die "module $module is not in $KERNEL_PACKAGE"
    case $found in
      *.ko) cp "$found" "$dest/$module.ko" ;;
      *.ko.xz) xz -dc "$found" > "$dest/$module.ko" ;;
      *.ko.zst) zstd -qdc "$found" > "$dest/$module.ko" ;;
      *.ko.gz) gzip -dc "$found" > "$dest/$module.ko" ;;
      *) die "unknown module format: $found" ;;
    esac
    echo "$module" >> "$list"
  done
}

install_busybox() {
  mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin}
  cp /bin/busybox "$ROOT/bin/busybox"
  local applet
  while read -r applet; do
    [[ $applet == bin/busybox || $applet == linuxrc ]] && continue
    ln -s /bin/busybox "$ROOT/$applet"
  done < <(/bin/busybox --list-full)
}

# Copies a dynamically linked program with every library ldd resolves for it,
# at the same paths, plus the dynamic loader.
install_with_libraries() {
  local source=$1 target=$2 line path
  mkdir -p "$(dirname "$ROOT$target")"
  cp "$source" "$ROOT$target"
  while read -r line; do
    [[ $line == *"not found"* ]] && die "$source needs a library the host lacks: $line"
    path=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; exit } }' <<<"$line")
    [[ -z $path ]] && continue
    mkdir -p "$(dirname "$ROOT$path")"
    cp -L "$path" "$ROOT$path"
  done < <(ldd "$source")
}

install_qemu_ga() {
  local deb
  deb=$(echo "$WORK"/debs/qemu-guest-agent_*.deb)
  mkdir -p "$WORK/qga"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$WORK/qga" ./usr/sbin/qemu-ga ||
    die "extracting qemu-ga from $deb failed"
  install_with_libraries "$WORK/qga/usr/sbin/qemu-ga" /usr/sbin/qemu-ga
}

install_base_files() {
  mkdir -p "$ROOT"/{dev,proc,sys,tmp,run,root,opt,var/log,etc/kvmm/init.d,mnt}
  ln -s ../run "$ROOT/var/run"
  # The kernel opens /dev/console before /init can mount devtmpfs.
  mknod -m 0600 "$ROOT/dev/console" c 5 1
  mknod -m 0666 "$ROOT/dev/null" c 1 3
  cp -a "$ROOTFS_SRC/." "$ROOT/"
  chmod 0755 "$ROOT/init" "$ROOT/lib/kvmm/run-init-d" "$ROOT/lib/kvmm/on-shutdown" \
    "$ROOT/sbin/shutdown" "$ROOT/usr/share/udhcpc/default.script" "$ROOT/etc/acpi/PWRF/00000080"
  chmod 1777 "$ROOT/tmp"
  cat > "$ROOT/etc/os-release" <<EOF
NAME="KVM Manager test guest"
ID=kvmm-test-guest
ID_LIKE=debian
VERSION_ID=$RECIPE_VERSION
PRETTY_NAME="KVM Manager test guest $RECIPE_VERSION (kernel $KERNEL_RELEASE, node $NODE_VERSION)"
EOF
}

write_manifest() {
  "$NODE_BIN" -e '
    const [file, ...pairs] = process.argv.slice(1);
    const manifest = {};
    for (const pair of pairs) {
      const at = pair.indexOf("=");
      manifest[pair.slice(0, at)] = pair.slice(at + 1);
    }
    manifest.recipeVersion = Number(manifest.recipeVersion);
    manifest.modules = manifest.modules.split(" ");
    manifest.dataDiskModules = manifest.dataDiskModules.split(" ");
    manifest.qemuGuestAgentVersion ||= null;
    manifest.qemuGuestAgentPath = manifest.qemuGuestAgentVersion ? "/usr/sbin/qemu-ga" : null;
    require("node:fs").writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
  ' "$1" \
    "stamp=$STAMP" "recipeVersion=$RECIPE_VERSION" \
    "kernel=$OUT_DIR/vmlinuz" "initrd=$OUT_DIR/initrd.img" \
    "kernelPackage=$KERNEL_PACKAGE" "kernelPackageVersion=$KERNEL_VERSION" \
    "kernelRelease=$KERNEL_RELEASE" "nodeVersion=$NODE_VERSION" \
    "busyboxVersion=$BUSYBOX_VERSION" "qemuGuestAgentVersion=$QGA_VERSION" \
    "modules=${MODULES[*]}" "dataDiskModules=${DATA_DISK_MODULES[*]}" "builtAt=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

fetch_debs
extract_kernel
install_base_files
install_modules modules "${MODULES[@]}"
install_modules data-disk-modules "${DATA_DISK_MODULES[@]}"
install_busybox
install_with_libraries "$NODE_BIN" /usr/bin/node
[[ -n $QGA_VERSION ]] && install_qemu_ga

NEW=$WORK/out
mkdir -p "$NEW"
cp "$WORK/kernel/boot/vmlinuz-$KERNEL_RELEASE" "$NEW/vmlinuz"
# Uncompressed: under TCG the guest kernel took 8–11 s to gunzip the 43 MB gzip -1 archive, and
# reading the 106 MB plain one takes 2 s; the test guest boots to ready in ~13 s instead of ~25 s
# (measured on this 2-core machine under load). QEMU hands it over in memory, so size costs little.
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
  cpio --quiet -o -H newc -R 0:0 --reproducible) > "$NEW/initrd.img"
write_manifest "$NEW/image.json"
echo "$STAMP" > "$NEW/stamp"
echo "$STAMP_TEXT" > "$NEW/stamp.inputs"
chmod 0755 "$NEW"
chmod 0644 "$NEW"/*

# Swap in the new image in one rename; running guests already read the old one.
if [[ -d $OUT_DIR ]]; then
  mv "$OUT_DIR" "$WORK/previous"
fi
mv "$NEW" "$OUT_DIR"
echo "build-test-guest: built $STAMP"
print_outputs
