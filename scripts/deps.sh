#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install every Debian package the sdp test bed needs. Idempotent: does
# nothing when all are present; otherwise runs `apt-get update` once and
# installs the missing ones. Quiet unless something fails. Needs root.
set -euo pipefail

pkgs=(
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static iproute2 rdma-core ibverbs-utils
	rdmacm-utils perftest kmod cpio sparse
	build-essential bc flex bison libelf-dev libssl-dev xz-utils
	gnuplot-nox python3 libibverbs-dev librdmacm-dev
)

# one dpkg-query for all: prints "name installed" for the ones present
present=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" \
	2>/dev/null | awk '$2 == "installed" { print $1 }' || true)
missing=()
for p in "${pkgs[@]}"; do
	grep -qx -- "$p" <<<"$present" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]} (run as root to install)" >&2
	exit 1
fi

log=$(mktemp /tmp/sdp-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && \
       apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
       >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps.sh: failed to install: ${missing[*]}" >&2
	exit 1
fi
