# SPDX-License-Identifier: GPL-2.0
# Sourced by the host-side scripts: paths and kernel lookups shared by
# mkimage.sh, vm.sh and check.sh.
SDP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SDP_BUILD=${SDP_BUILD:-$SDP_TOP/build}
SDP_LOGS=$SDP_BUILD/logs

# the Debian kernel the stock guests boot and sdp.ko is built against
stock_kver() {
	if [ -n "${KVER:-}" ]; then
		echo "$KVER"
	else
		ls /lib/modules 2>/dev/null | grep -- '-amd64$' | sort -V | tail -1
	fi
}

# the built debug kernel tree; builds it (or waits for a running build) if
# needed - scripts/debug-kernel.sh is cached and locked
debug_tree() {
	if [ -n "${SDP_DEBUG_TREE:-}" ]; then
		echo "$SDP_DEBUG_TREE"
	else
		"$SDP_TOP/scripts/debug-kernel.sh"
	fi
}

# Kernel image to boot for a flavour. A kernel built with CONFIG_PVH boots
# from its uncompressed ELF vmlinux, which skips the 5-8 s that the xz
# decompressor takes under TCG; the stock one is extracted from
# /boot/vmlinuz once into build/kernels/. SDP_NO_PVH=1 boots the bzImage.
kernel_image() {
	local kver tree vmz out off tmp
	case $1 in
	stock)
		kver=$(stock_kver)
		vmz=/boot/vmlinuz-$kver
		out=$SDP_BUILD/kernels/vmlinux-$kver
		if [ "${SDP_NO_PVH:-0}" = 1 ] || ! grep -qx CONFIG_PVH=y "/boot/config-$kver" 2>/dev/null; then
			echo "$vmz"
			return
		fi
		if [ ! -s "$out" ] || [ "$out" -ot "$vmz" ]; then
			mkdir -p "${out%/*}"
			tmp=$(mktemp "$out.XXXXXX")
			off=$(LC_ALL=C grep -abo -P '\xfd7zXZ\x00' "$vmz" 2>/dev/null | head -1 | cut -d: -f1)
			if [ -n "$off" ]; then
				tail -c +$((off + 1)) "$vmz" | xz -dc >"$tmp" 2>/dev/null
			fi
			if [ -s "$tmp" ] && [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				mv "$tmp" "$out"
			else
				rm -f "$tmp"
				echo "$vmz"
				return
			fi
		fi
		echo "$out"
		;;
	debug)
		tree=$(debug_tree) || return 1
		if [ "${SDP_NO_PVH:-0}" != 1 ] && grep -qx CONFIG_PVH=y "$tree/.config" && [ -f "$tree/vmlinux" ]; then
			echo "$tree/vmlinux"
		else
			echo "$tree/arch/x86/boot/bzImage"
		fi
		;;
	*) return 1 ;;
	esac
}

# kernel release string (what `uname -r` says in the guest)
kernel_release() {
	case $1 in
	stock) stock_kver ;;
	debug) cat "$(debug_tree)/include/config/kernel.release" ;;
	*) return 1 ;;
	esac
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}
