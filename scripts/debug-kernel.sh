#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) the sdp debug kernel from Debian's linux-source-6.1 with
# scripts/debug.config merged over tinyconfig. The tree is cached outside the
# repository, keyed by the fragment's hash and the source package version.
# Prints the path of the built tree on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${SDP_CACHE:-/var/cache/sdp}
frag=$here/scripts/debug.config
tarball=/usr/src/linux-source-6.1.tar.xz
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( (cat "$frag"; echo "$srcver") | sha256sum | cut -c1-16)
tree=$cache/debug-kernel-$key
log=$cache/debug-kernel-$key.log

if [ -f "$tree/.sdp-built" ]; then
	echo "$tree"
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.debug-kernel.lock"
flock 9
if [ -f "$tree/.sdp-built" ]; then
	echo "$tree"
	exit 0
fi
echo "debug kernel: building $tree (log $log), about 10-15 minutes" >&2
rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
{
	cd "$tree.tmp"
	make tinyconfig
	scripts/kconfig/merge_config.sh -m .config "$frag"
	make olddefconfig
	# every line of the fragment must have survived olddefconfig
	missing=0
	while read -r line; do
		case "$line" in CONFIG_*) ;; *) continue ;; esac
		grep -qx "$line" .config || { echo "fragment line lost: $line"; missing=1; }
	done < "$frag"
	[ "$missing" = 0 ]
	make -j"$(nproc)" bzImage modules
} > "$log" 2>&1 || { echo "debug kernel build failed, see $log" >&2; tail -30 "$log" >&2; exit 1; }
mv "$tree.tmp" "$tree"
touch "$tree/.sdp-built"
echo "$tree"
