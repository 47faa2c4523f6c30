#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run a command in one or two QEMU (TCG) guests and return its exit status.
#
#   scripts/vm.sh --kernel stock|debug --cmd 'shell command'
#           [--guests 1|2] [--cmd2 'command for guest 2'] [--timeout SEC]
#           [--log NAME] [--ko FILE]... [--no-sdp] [--selftests DIR]
#           [--set VAR=VALUE]... [--nic e1000|virtio] [--mem MB]
#           [--append 'kernel args'] [--quiet]
#
# One guest: -m 2048 -smp 2, no NIC; /init makes veth0/veth1, 10.77.0.1/24
# on veth0 and rxe0 on veth0 (rxe loops traffic to its own address).
# Two guests: -m 1024 -smp 1 each, joined by a QEMU socket netdev on
# 127.0.0.1:<free port>; guest N gets 10.77.0.N/24 and rxe0 on its NIC.
# The command runs under busybox sh after /sdp/lib.sh (which routes `ip`
# and `rdma` to iproute2) with SDP_ADDR, SDP_PEER, SDP_ROLE (single |
# server | client), SDP_MODE (one|two), SDP_GUEST (1|2) in the
# environment, cwd /sdp. Guest 2 runs --cmd2, or --cmd if not given.
#
# The image carries sdp.ko / sdp_kunit.ko built for the booted kernel:
# --ko FILE (repeatable) or, by default, the first of
# build/mod-<kernel>/{net/sdp/sdp.ko,tests/kunit/sdp_kunit.ko} and
# net/sdp/sdp.ko, tests/kunit/sdp_kunit.ko whose vermagic matches the
# kernel (none is fine: /sdp/load-sdp.sh then fails). --no-sdp leaves them
# out. --selftests DIR (default tools/selftests/bin if present) is copied
# to /sdp/selftests. --set adds VAR=VALUE to the guest environment.
#
# Logs: build/logs/NAME-gN.console.log (kernel console; the command's output
# appears there prefixed with "| "), build/logs/NAME-gN.output.log (the
# command's output alone), build/logs/NAME.status (guestN_rc=, splats=).
# NAME defaults to vm-<kernel> (vm-<kernel>-<pid> while another run uses
# it). The command's output is printed on stdout unless --quiet.
#
# Exit status: the guest command's (first non-zero of both guests'); 124 if
# a guest did not print its exit marker within --timeout seconds (default
# 600) or died without it; 1 if the commands succeeded but a console shows a
# kernel splat (BUG:, WARNING:, KASAN:, lockdep, kmemleak leak, Oops, ...).
set -euo pipefail
. "$(dirname "$0")/common.sh"

flavour= guests=1 timeout=600 name= nic=e1000 mem= append= quiet=0
cmd= cmd2= have_cmd2=0 nosdp=0 selftests=
kos=() sets=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) flavour=$2; shift 2 ;;
	--guests) guests=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) name=$2; shift 2 ;;
	--cmd) cmd=$2; shift 2 ;;
	--cmd2) cmd2=$2; have_cmd2=1; shift 2 ;;
	--ko) kos+=("$2"); shift 2 ;;
	--no-sdp) nosdp=1; shift ;;
	--selftests) selftests=$2; shift 2 ;;
	--set) sets+=(--set "$2"); shift 2 ;;
	--nic) nic=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	-h|--help) sed -n '3,37p' "$0"; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
case $flavour in stock|debug) ;; *) die "--kernel stock|debug is required" ;; esac
case $guests in 1|2) ;; *) die "--guests must be 1 or 2" ;; esac
case $nic in e1000) nicdev=e1000 ;; virtio) nicdev=virtio-net-pci ;; *) die "--nic e1000|virtio" ;; esac
[ -n "$cmd" ] || die "--cmd is required"
[ "$have_cmd2" = 1 ] || cmd2=$cmd
name=${name:-vm-$flavour}
[ -n "$mem" ] || mem=$([ "$guests" = 1 ] && echo 2048 || echo 1024)
smp=$([ "$guests" = 1 ] && echo 2 || echo 1)
# after the marker: kmemleak scans and power-off
post=$([ "$flavour" = debug ] && echo 300 || echo 60)

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/deps.sh)"
kimg=$(kernel_image "$flavour")
[ -f "$kimg" ] || die "no kernel image $kimg"
krel=$(kernel_release "$flavour")

if [ "$flavour" = debug ] && [ "$guests" = 2 ]; then
	cfg=$(debug_tree)/.config
	case $nic in
	e1000) need="CONFIG_E1000=y" ;;
	virtio) need="CONFIG_VIRTIO_PCI=y CONFIG_VIRTIO_NET=y" ;;
	esac
	for l in $need; do
		grep -qx "$l" "$cfg" || die "the debug kernel has no $nic NIC driver; add to scripts/debug.config: $need"
	done
fi

# sdp modules for this kernel
ko_matches() { [ -f "$1" ] && [ "$(modinfo -F vermagic "$1" 2>/dev/null | awk '{print $1}')" = "$krel" ]; }
if [ "$nosdp" = 0 ] && [ ${#kos[@]} -eq 0 ]; then
	for m in net/sdp/sdp.ko tests/kunit/sdp_kunit.ko; do
		for c in "$SDP_BUILD/mod-$flavour/$m" "$SDP_TOP/$m"; do
			if ko_matches "$c"; then kos+=("$c"); break; fi
		done
	done
fi
[ "$nosdp" = 1 ] && kos=()
[ -n "$selftests" ] || selftests=$SDP_TOP/tools/selftests/bin
koargs=()
for k in "${kos[@]}"; do koargs+=(--ko "$k"); done

mkdir -p "$SDP_LOGS" "$SDP_BUILD/run"
# one run per log name at a time; a busy default name gets the pid appended
exec 8>"$SDP_LOGS/.$name.lock"
if ! flock -n 8; then
	[ "$name" = "vm-$flavour" ] || die "log name $name is in use by another vm.sh"
	name=$name-$$
	exec 8>"$SDP_LOGS/.$name.lock"
fi
pids=() ports=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -f "$SDP_BUILD/run/$name"-g*.initrd.gz
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		[ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
	done
}

start_guest() {	# $1 = guest number
	local n=$1 role addr peer c mode netargs
	if [ "$guests" = 1 ]; then
		mode=one role=single addr=10.77.0.1 peer=10.77.0.1 c=$cmd
		netargs=(-nic none)
	else
		mode=two addr=10.77.0.$n peer=10.77.0.$((3 - n))
		if [ "$n" = 1 ]; then
			role=server c=$cmd
			netargs=(-netdev "socket,id=n0,listen=127.0.0.1:$port")
		else
			role=client c=$cmd2
			netargs=(-netdev "socket,id=n0,connect=127.0.0.1:$port")
		fi
		netargs+=(-device "$nicdev,netdev=n0,mac=52:54:00:77:00:0$n")
	fi
	local initrd=$SDP_BUILD/run/$name-g$n.initrd.gz
	"$SDP_TOP/scripts/mkimage.sh" --kernel "$flavour" --out "$initrd" \
		"${koargs[@]}" --selftests "$selftests" --cmd "$c" \
		--set SDP_MODE=$mode --set SDP_GUEST=$n --set SDP_ROLE=$role \
		--set SDP_ADDR=$addr --set SDP_PEER=$peer "${sets[@]}" >/dev/null
	local con=$SDP_LOGS/$name-g$n.console.log out=$SDP_LOGS/$name-g$n.output.log
	: >"$con"
	: >"$out"
	[ "$quiet" = 1 ] || echo "vm: $flavour guest $n ($role, $addr): console $con" >&2
	qemu-system-x86_64 -m "$mem" -smp "$smp" -nographic -no-reboot \
		-monitor none -serial "file:$con" -serial "file:$out" \
		-kernel "$kimg" -initrd "$initrd" \
		-append "console=ttyS0,115200 panic=-1 loglevel=7 $append" \
		"${netargs[@]}" </dev/null >"$SDP_LOGS/$name-g$n.qemu.log" 2>&1 &
	pids[$n]=$!
}

# exit marker of guest $1: from the clean output log, else the console
marker() {
	local f
	for f in "$SDP_LOGS/$name-g$1.output.log" "$SDP_LOGS/$name-g$1.console.log"; do
		tr -d '\r' <"$f" | sed -n 's/^SDP-GUEST-EXIT: \([0-9]*\)$/\1/p' | tail -1 | grep . && return 0
	done
	return 1
}

t0=$(date +%s.%N)
port=
if [ "$guests" = 2 ]; then
	port=$(free_port)
	start_guest 1
	# guest 2 connects: wait until guest 1's QEMU listens
	for _ in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
		kill -0 "${pids[1]}" 2>/dev/null || break
		sleep 0.1
	done
	start_guest 2
else
	start_guest 1
fi

declare -A rc done_at post_deadline
left=$guests
deadline=$(( $(date +%s) + timeout ))
while [ "$left" -gt 0 ]; do
	sleep 0.5
	now=$(date +%s)
	for n in $(seq "$guests"); do
		[ -z "${rc[$n]:-}" ] || { [ -n "${done_at[$n]:-}" ] && continue; }
		alive=1
		kill -0 "${pids[$n]}" 2>/dev/null || alive=0
		if [ -z "${rc[$n]:-}" ]; then
			if r=$(marker "$n"); then
				rc[$n]=$r
				echo "vm: guest $n: command exit status $r after $(( now - ${t0%.*} ))s" >&2
			elif [ $alive = 0 ]; then
				rc[$n]=124
				echo "vm: guest $n died without printing its exit marker (see $SDP_LOGS/$name-g$n.console.log)" >&2
			elif [ "$now" -ge "$deadline" ]; then
				rc[$n]=124
				echo "vm: guest $n timed out after ${timeout}s, killed (see $SDP_LOGS/$name-g$n.console.log)" >&2
				kill "${pids[$n]}" 2>/dev/null || true
			else
				continue
			fi
			post_deadline[$n]=$(( now + post ))
		fi
		if [ $alive = 0 ]; then
			wait "${pids[$n]}" 2>/dev/null || true
			done_at[$n]=$now
			left=$((left - 1))
		elif [ "$now" -ge "${post_deadline[$n]}" ]; then
			echo "vm: guest $n did not power off within ${post}s after its command, killed" >&2
			[ "${rc[$n]}" != 0 ] || rc[$n]=124
			kill "${pids[$n]}" 2>/dev/null || true
		fi
	done
done
t1=$(date +%s.%N)

# kernel splats on the consoles (the command's own output, "| ...", and the
# kernel command line are not scanned)
splat_re='BUG:|WARNING:|KASAN:|possible circular locking|inconsistent lock state|unreferenced object|Oops|general protection|refcount_t:|list_add corruption|blocked for more than|Call Trace'
splats=0
for n in $(seq "$guests"); do
	con=$SDP_LOGS/$name-g$n.console.log
	hits=$(tr -d '\r' <"$con" | grep -nE "$splat_re" | grep -vE '^[0-9]+:(\| |.*Command line:|.*Kernel command line:)' || true)
	if [ -n "$hits" ]; then
		c=$(printf '%s\n' "$hits" | wc -l)
		splats=$((splats + c))
		printf '%s\n' "$hits" | head -20 | sed "s|^\([0-9]*\):|vm: kernel splat: $con:\1: |" >&2
	fi
done

status=$SDP_LOGS/$name.status
{
	for n in $(seq "$guests"); do echo "guest${n}_rc=${rc[$n]}"; done
	echo "splats=$splats"
	echo "seconds=$(echo "$t1 - $t0" | bc)"
} >"$status"

if [ "$quiet" = 0 ]; then
	for n in $(seq "$guests"); do
		out=$SDP_LOGS/$name-g$n.output.log
		if [ "$guests" = 2 ]; then
			tr -d '\r' <"$out" | grep -v '^SDP-GUEST-EXIT: ' | sed "s/^/g$n| /"
		else
			tr -d '\r' <"$out" | grep -v '^SDP-GUEST-EXIT: ' || true
		fi
	done
	printf 'vm: %s, %s guest(s): ' "$flavour" "$guests" >&2
	for n in $(seq "$guests"); do printf 'g%s rc=%s ' "$n" "${rc[$n]}" >&2; done
	printf 'splats=%s, %.1fs\n' "$splats" "$(echo "$t1 - $t0" | bc)" >&2
fi

for n in $(seq "$guests"); do
	[ "${rc[$n]}" = 124 ] && exit 124
done
for n in $(seq "$guests"); do
	[ "${rc[$n]}" = 0 ] || exit "${rc[$n]}"
done
[ "$splats" = 0 ] || { echo "vm: kernel splats in the console log(s) of $name, failing" >&2; exit 1; }
exit 0
