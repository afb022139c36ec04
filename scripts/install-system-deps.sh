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
  curl ca-certificates
  iputils-ping
)
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: not root on Debian; the real node backends need: ${PACKAGES[*]}" >&2
  exit 0
fi
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "install-system-deps: all present"; exit 0; fi
echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
