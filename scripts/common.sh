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

# kernel image to boot for a flavour
kernel_image() {
	case $1 in
	stock) echo "/boot/vmlinuz-$(stock_kver)" ;;
	debug) echo "$(debug_tree)/arch/x86/boot/bzImage" ;;
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
