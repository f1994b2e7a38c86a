#!/usr/bin/env bash
# Fetches libvirt's RPC protocol definitions (.x files), the public C
# headers that define their constants (and the API's enums: domain states,
# flags, error codes) and the public API's sources (whose doc comments say
# which flag enum each call takes) for the installed libvirt version into a
# cache dir and prints that dir. They feed server/libvirt/codegen and are
# never committed.
#
# apt runs with a private sources list, lists dir and cache so the system's
# apt configuration and state stay untouched.
set -euo pipefail

version="$(dpkg-query -W -f='${Version}' libvirt0)"
cache_root="${KVMM_CACHE_DIR:-/var/cache/kvm-manager}/libvirt-protocol"
dest="$cache_root/$version"
wanted=(
  src/rpc/virnetprotocol.x
  src/rpc/virkeepaliveprotocol.x
  src/remote/remote_protocol.x
  src/remote/qemu_protocol.x
)
# The admin and lxc headers belong to protocols we do not speak.
headers=(
  libvirt-common.h.in libvirt-host.h libvirt-domain.h libvirt-domain-checkpoint.h
  libvirt-domain-snapshot.h libvirt-event.h libvirt-interface.h libvirt-network.h
  libvirt-nodedev.h libvirt-nwfilter.h libvirt-secret.h libvirt-storage.h
  libvirt-stream.h libvirt-qemu.h virterror.h
)
# Keep in step with API_SOURCE_FILES in server/libvirt/codegen/generate.ts.
api_sources=(
  libvirt.c libvirt-host.c libvirt-domain.c libvirt-domain-checkpoint.c
  libvirt-domain-snapshot.c libvirt-interface.c libvirt-network.c libvirt-nodedev.c
  libvirt-nwfilter.c libvirt-secret.c libvirt-storage.c libvirt-stream.c libvirt-qemu.c
)

have_all() {
  local f
  for f in "${wanted[@]}"; do
    [[ -s "$dest/$(basename "$f")" ]] || return 1
  done
  for f in "${headers[@]}"; do
    [[ -s "$dest/include/$f" ]] || return 1
  done
  for f in "${api_sources[@]}"; do
    [[ -s "$dest/src/$f" ]] || return 1
  done
}

if have_all; then
  echo "$dest"
  exit 0
fi

command -v dpkg-source >/dev/null || {
  echo "fetch-libvirt-protocol: dpkg-source missing, installing dpkg-dev" >&2
  apt-get install -y -q dpkg-dev >&2
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"

# Build deb-src lines from the deb822 sources the machine already uses.
sources_file=/etc/apt/sources.list.d/debian.sources
awk '
  function flush() {
    if (uris != "" && suites != "") {
      nu = split(uris, u, " ")
      ns = split(suites, s, " ")
      for (i = 1; i <= nu; i++)
        for (j = 1; j <= ns; j++)
          printf "deb-src %s %s %s %s\n", opts, u[i], s[j], comps
    }
    uris = ""; suites = ""; comps = "main"; opts = ""
  }
  BEGIN { comps = "main" }
  /^[[:space:]]*$/ { flush(); next }
  /^URIs:/       { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
  /^Suites:/     { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
  /^Components:/ { sub(/^Components:[[:space:]]*/, ""); comps = $0 }
  /^Signed-By:/  { sub(/^Signed-By:[[:space:]]*/, ""); opts = "[signed-by=" $0 "]" }
  END { flush() }
' "$sources_file" >"$work/sources.list"

[[ -s "$work/sources.list" ]] || {
  echo "fetch-libvirt-protocol: no URIs/Suites found in $sources_file" >&2
  exit 1
}

apt_opts=(
  -q
  -o "Dir::Etc::SourceList=$work/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  # The private dirs belong to us, not to apt's sandbox user.
  -o APT::Sandbox::User=root
)

apt-get "${apt_opts[@]}" update >&2
(cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only "libvirt=$version" >&2)

dsc="$(find "$work/src" -maxdepth 1 -name 'libvirt_*.dsc' | head -n 1)"
[[ -n "$dsc" ]] || {
  echo "fetch-libvirt-protocol: no .dsc downloaded for libvirt=$version" >&2
  exit 1
}
dpkg-source --no-check -x "$dsc" "$work/src/tree" >&2

staging="$dest.tmp.$$"
rm -rf "$staging"
mkdir -p "$staging/include" "$staging/src"
for f in "${wanted[@]}"; do
  cp "$work/src/tree/$f" "$staging/"
done
for f in "${headers[@]}"; do
  cp "$work/src/tree/include/libvirt/$f" "$staging/include/"
done
for f in "${api_sources[@]}"; do
  cp "$work/src/tree/src/$f" "$staging/src/"
done
rm -rf "$dest"
mv "$staging" "$dest"
echo "$dest"
