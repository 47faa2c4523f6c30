#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the initramfs of an sdp test guest.
#
#   scripts/mkimage.sh --kernel stock|debug
#       Build (or reuse) the cached base image and print its path:
#       build/images/base-<flavour>-<hash>.cpio.gz. The hash covers this
#       script, scripts/guest/*, scripts/run-selftests.sh, the package
#       versions of the guest tools and (stock) the kernel release.
#
#   scripts/mkimage.sh --kernel stock|debug --out FILE [--ko FILE]...
#           [--selftests DIR] [--cmd 'shell command'] [--set VAR=VALUE]...
#       Write FILE = base image + a second gzip cpio with the per-run part:
#       /sdp/<name>.ko for every --ko (missing files are skipped with a
#       note), the executables of DIR in /sdp/selftests/, the command in
#       /sdp/cmd.sh and VAR=VALUE lines in /sdp/run.conf (read by /init:
#       SDP_MODE, SDP_GUEST, SDP_ROLE, SDP_ADDR, SDP_PEER, ...). Prints FILE.
#
# Base image contents: static busybox (applets linked in /bin, but not
# over the real tools), iproute2 ip/rdma as /usr/sbin/ip and /usr/sbin/rdma,
# verbs/rdma_cm tools (ibv_devices ibv_devinfo ib_{send,read,write}_bw
# ib_send_lat rping rstream) with their ldd libraries, libgcc_s, the rxe
# verbs provider, /init and the /sdp helper scripts. The stock flavour also
# carries the rdma_rxe/veth/sctp/e1000/virtio_net modules and their
# dependencies, listed in load order in /etc/sdp/modules.
set -euo pipefail
. "$(dirname "$0")/common.sh"

flavour= out= selftests= cmd= have_cmd=0
kos=() sets=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) flavour=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--ko) kos+=("$2"); shift 2 ;;
	--selftests) selftests=$2; shift 2 ;;
	--cmd) cmd=$2; have_cmd=1; shift 2 ;;
	--set) sets+=("$2"); shift 2 ;;
	-h|--help) sed -n '3,27p' "$0"; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
case $flavour in stock|debug) ;; *) die "--kernel stock|debug is required" ;; esac

tools_bin="ibv_devices ibv_devinfo ib_send_bw ib_read_bw ib_write_bw ib_send_lat rping rstream"
stock_mods="crc32_generic udp_tunnel ip6_udp_tunnel ib_core ib_uverbs iw_cm ib_cm rdma_cm rdma_ucm rdma_rxe veth sctp e1000 virtio_pci virtio_net"
libdir=/usr/lib/x86_64-linux-gnu
guest=$SDP_TOP/scripts/guest
imgdir=$SDP_BUILD/images
mkdir -p "$imgdir"

kver=
[ "$flavour" = stock ] && kver=$(stock_kver)
key=$( {
	cat "$0" "$guest"/* "$SDP_TOP/scripts/run-selftests.sh"
	echo "$flavour $kver"
	dpkg-query -W busybox-static iproute2 rdma-core ibverbs-utils \
		ibverbs-providers libibverbs1 librdmacm1 rdmacm-utils perftest \
		libc6 libgcc-s1 2>/dev/null
} | sha256sum | cut -c1-16)
base=$imgdir/base-$flavour-$key.cpio.gz

# copy a file (dereferenced) to the same path under the staging root, with
# /lib and /lib64 folded into /usr (the image has merged-usr symlinks)
put() {	# $1 = host path, $2 = path in image (default: same)
	local dst=${2:-$1}
	case $dst in /lib/*|/lib64/*) dst=/usr$dst ;; esac
	mkdir -p "$stage$(dirname "$dst")"
	cp -L "$1" "$stage$dst"
}

# the libraries a binary needs, by ldd
put_libs() {
	local f
	for f in $(ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\/.*ld-linux/ { print $1 }'); do
		[ -e "$stage$f" ] || put "$f"
	done
}

build_base() {
	stage=$(mktemp -d "$imgdir/.stage.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	chmod 755 "$stage"	# the guest's / : mktemp makes it 0700
	(cd "$stage" && mkdir -p bin sbin usr/bin usr/sbin usr/lib usr/lib64 \
		etc/sdp etc/libibverbs.d proc sys dev tmp run root sdp/bin sdp/selftests \
		&& ln -s usr/lib lib && ln -s usr/lib64 lib64)
	mknod -m 600 "$stage/dev/console" c 5 1
	mknod -m 666 "$stage/dev/null" c 1 3
	echo "$flavour" >"$stage/etc/sdp/flavour"
	echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
	echo "root:x:0:" >"$stage/etc/group"

	# real tools first, so busybox applets do not take their names
	put "$(command -v ip)" /usr/sbin/ip
	put "$(command -v rdma)" /usr/sbin/rdma
	put_libs /usr/sbin/ip
	put_libs "$(command -v rdma)"
	local t p
	for t in $tools_bin; do
		p=$(command -v "$t") || die "$t not found (run scripts/deps.sh)"
		put "$p" "/usr/bin/$t"
		put_libs "$p"
	done
	for p in "$libdir"/libibverbs/*rxe*; do
		put "$p"
		put_libs "$p"
	done
	put /etc/libibverbs.d/rxe.driver
	put "$libdir/libgcc_s.so.1"

	cp /bin/busybox "$stage/bin/busybox"
	local a
	for a in $(/bin/busybox --list); do
		[ -e "$stage/usr/sbin/$a" ] || [ -e "$stage/usr/bin/$a" ] || \
			[ -e "$stage/bin/$a" ] || ln -s busybox "$stage/bin/$a"
	done

	install -m 755 "$guest/init" "$stage/init"
	install -m 644 "$guest/lib.sh" "$stage/sdp/lib.sh"
	install -m 755 "$guest/load-sdp.sh" "$guest/run-kunit.sh" \
		"$SDP_TOP/scripts/run-selftests.sh" "$stage/sdp/"

	if [ "$flavour" = stock ]; then
		local m ko seen=" "
		: >"$stage/etc/sdp/modules"
		for m in $stock_mods; do
			for ko in $(modprobe --show-depends -S "$kver" "$m" | awk '$1 == "insmod" { print $2 }'); do
				case $seen in *" $ko "*) continue ;; esac
				# CPU-specific crypto (crc32c-intel, which sctp's
				# libcrc32c pulls in) refuses to load on the TCG
				# CPU; the generic module next to it does the work
				case $ko in */arch/x86/crypto/*) continue ;; esac
				seen="$seen$ko "
				put "$ko"
				echo "$ko" >>"$stage/etc/sdp/modules"
			done
		done
	fi

	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
		| gzip -6 >"$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$stage"
	trap - EXIT
	# drop superseded images of this flavour
	find "$imgdir" -maxdepth 1 -name "base-$flavour-*.cpio.gz" ! -name "${base##*/}" -delete
}

if [ ! -f "$base" ]; then
	exec 9>"$imgdir/.lock-$flavour"
	flock 9
	[ -f "$base" ] || build_base
	exec 9>&-
fi

if [ -z "$out" ]; then
	echo "$base"
	exit 0
fi

# ---- per-run part ----
stage=$(mktemp -d "$imgdir/.run.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
mkdir -p "$stage/sdp/selftests"
for ko in "${kos[@]}"; do
	if [ -f "$ko" ]; then
		cp "$ko" "$stage/sdp/"
	else
		echo "mkimage: note: $ko not built, not in the image" >&2
	fi
done
if [ -n "$selftests" ] && [ -d "$selftests" ]; then
	for f in "$selftests"/*; do
		[ -f "$f" ] && [ -x "$f" ] && cp "$f" "$stage/sdp/selftests/"
	done
fi
[ "$have_cmd" = 1 ] || cmd='echo "no command given"'
printf '%s\n' "$cmd" >"$stage/sdp/cmd.sh"
: >"$stage/sdp/run.conf"
for s in "${sets[@]}"; do
	case $s in [A-Za-z_]*=*) ;; *) die "bad --set $s" ;; esac
	v=${s#*=}
	printf "%s='%s'\n" "${s%%=*}" "${v//\'/\'\\\'\'}" >>"$stage/sdp/run.conf"
done
mkdir -p "$(dirname "$out")"
{
	cat "$base"
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
