#!/usr/bin/env bash
# Debian packages the node runtime's real backends and their tests use (docs: ../shared/docs/machine.md).
# Run as root on Debian/Ubuntu; elsewhere it says what it would need and exits 0 (the sim backend still works).
set -euo pipefail
PACKAGES=(
  iproute2 nftables iptables util-linux e2fsprogs kmod
  runc busybox-static
  extlinux syslinux-common
  wireguard-go wireguard-tools
  qemu-system-x86 qemu-utils
  redis-tools
  curl ca-certificates openssl
  iputils-ping
  docker.io
)
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: not root on Debian; the real node backends need: ${PACKAGES[*]}" >&2
  exit 0
fi
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-deps: all present"
else
  echo "install-system-deps: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The guest kernel the local hub's VM flist boots (local/hub/vm-flist.ts reads the same cache): the .deb of
# the kernel linux-image-amd64 depends on, downloaded, not installed. A failure only warns: the grid then
# runs without tf/vm.flist and says why in its hub log.
KERNEL_CACHE="${TFGRID_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tfgrid/kernel}"
if ls "$KERNEL_CACHE"/linux-image-*-amd64_*.deb >/dev/null 2>&1; then
  echo "install-system-deps: guest kernel cached in $KERNEL_CACHE"
else
  kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1 || true; }
  pkg="$(kernel_pkg)"
  if [ -z "$pkg" ]; then apt-get update -qq; pkg="$(kernel_pkg)"; fi
  mkdir -p "$KERNEL_CACHE"
  tmp="$(mktemp -d "$KERNEL_CACHE/.download-XXXXXX")"
  if [ -n "$pkg" ] && (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) && mv "$tmp"/*.deb "$KERNEL_CACHE"/; then
    echo "install-system-deps: guest kernel $pkg cached in $KERNEL_CACHE"
  else
    echo "install-system-deps: WARNING could not download the guest kernel (${pkg:-linux-image-amd64}) into $KERNEL_CACHE; VM examples will not boot" >&2
  fi
  rm -rf "$tmp"
fi
