#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: a newcomer's first command (about 1-3 minutes).
#
#   scripts/demo.sh [--no-build]
#
# Installs what is missing (scripts/deps.sh), builds sdp.ko for the stock
# kernel and tools/sdpperf, boots one QEMU guest with soft-RoCE (rdma_rxe on
# veth0, 10.77.0.1), loads sdp.ko, and there:
#   1. runs an sdpperf server and, in a second process, a client that opens
#      an AF_SDP (27) stream socket to it, sends 8 MiB through an echo and
#      checks every byte; shows the connection, its /proc/net/sdp line while
#      connected, the bytes and the time;
#   2. prints /proc/net/sdp_stats;
#   3. a short benchmark: SDP against TCP on the same address, bandwidth at
#      64 KiB per send and 1-byte round trip.
# The guest's output log is build/logs/demo-g1.output.log. The figures come
# from software emulation (QEMU TCG, rxe in software): compare them with
# each other, not with hardware; `make bench` measures properly.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$SDP_TOP"

build=1
case ${1:-} in
--no-build) build=0 ;;
-h|--help) sed -n '3,/^set -e/{/^set -e/!p}' "$0"; exit 0 ;;
'') ;;
*) die "unknown argument $1 (see --help)" ;;
esac

t0=$(date +%s)
say() { printf '\n\033[1m== %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }
[ -t 1 ] || say() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }
work=$SDP_BUILD/bench

if [ "$build" = 1 ]; then
	say "1/4 packages (scripts/deps.sh) and build: sdp.ko for $(stock_kver), tools/sdpperf"
	scripts/bench.sh --build-only | grep -v '^$' | sed 's/^== build:.*/   building.../'
	echo "   $(modinfo -F vermagic "$work/sdp.ko" | cut -d' ' -f1): $work/sdp.ko ($(du -k "$work/sdp.ko" | cut -f1) KiB)"
else
	[ -f "$work/sdp.ko" ] && [ -x "$work/bin/sdpperf" ] || die "nothing built yet: run without --no-build"
fi

say "2/4 booting a guest: stock kernel in QEMU (TCG, no KVM), rxe0 on veth0 10.77.0.1"
cat >"$work/demo-guest.sh" <<'GUEST'
P=/sdp/selftests/sdpperf
echo "## guest up: Linux $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs"
echo "   $(rdma link show rxe0/1)"
/sdp/load-sdp.sh || { echo "!! loading sdp.ko failed"; exit 1; }
echo "## sdp.ko loaded: $(grep '^sdp ' /proc/modules | cut -d' ' -f1-2) bytes; AF_SDP = 27"
$P -s -q &
spid=$!
sleep 0.5
echo "## echo over SDP: server process $spid (sdpperf -s), client process (sdpperf -c 10.77.0.1 -f sdp -t echo)"
$P -c 10.77.0.1 -f sdp -t echo -b 8m
echo "## /proc/net/sdp_stats after it"
sed 's/^/   /' /proc/net/sdp_stats | grep -v ' 0$'
echo "   (counters that are 0 are not shown)"
echo "## short benchmark, 2 s each: SDP and TCP, both to 10.77.0.1"
for f in sdp tcp; do
	$P -c 10.77.0.1 -f $f -o json -t bw -m 65536 -d 2
	$P -c 10.77.0.1 -f $f -o json -t lat -m 1 -d 2
done
$P -c 10.77.0.1 -t quit
wait
echo "## done"
GUEST

out=$SDP_LOGS/demo-g1.output.log
mkdir -p "$SDP_LOGS"
: >"$out"
scripts/vm.sh --kernel stock --quiet --log demo --timeout 240 \
	--ko "$work/sdp.ko" --selftests "$work/bin" \
	--append "clocksource=tsc tsc=reliable" \
	--cmd "$(cat "$work/demo-guest.sh")" &
vmpid=$!
sleep 1
tail -n +1 -F --pid=$vmpid "$out" 2>/dev/null | while IFS= read -r l; do
	l=${l%$'\r'}
	case $l in
	'## guest up'*) echo "   ${l#\#\# }" ;;
	'## sdp.ko'*) say "3/4 ${l#\#\# }" ;;
	'## short benchmark'*) say "4/4 ${l#\#\# }" ;;
	'## done'*|'{'*|SDP-GUEST-EXIT*) ;;
	'## '*) printf '\n-- %s\n' "${l#\#\# }" ;;
	*) echo "$l" ;;
	esac
done
rc=0
wait $vmpid || rc=$?

python3 - "$out" <<'PY' || true
import json, sys
r = {}
for l in open(sys.argv[1], errors="replace"):
    if l.startswith('{"tool":"sdpperf"'):
        j = json.loads(l)
        r[(j["family"], j["test"])] = j
def g(f, t, k):
    j = r.get((f, t))
    return j.get(k) if j and j.get("status") == "ok" else None
def s(x, fmt):
    return fmt % x if isinstance(x, (int, float)) else "-"
rows = [("bandwidth, 64 KiB sends (MiB/s)", "bw", "MiBps", "%.1f", True),
        ("round trip, 1 byte, median (us)", "lat", "p50_us", "%.0f", False),
        ("CPU per byte at 64 KiB, whole guest (ns)", "bw", "ns_per_byte_sys", "%.1f", False)]
print("   %-42s %10s %10s %10s" % ("", "SDP", "TCP", "SDP/TCP"))
for name, t, k, fmt, _ in rows:
    a, b = g("sdp", t, k), g("tcp", t, k)
    print("   %-42s %10s %10s %10s" % (name, s(a, fmt), s(b, fmt),
          s(a / b, "%.2f") if a is not None and b else "-"))
print("\n   Emulated machine: the kernel, rxe's CRCs and copies all run on emulated CPUs,")
print("   so only the ratios mean something. The full comparison (raw verbs, rsockets,")
print("   two guests, sizes, connection rate, memory) is `make bench`; see README.md.")
PY
echo
if [ "$rc" = 0 ]; then
	echo "demo: done in $(( $(date +%s) - t0 ))s (guest log: $out)"
else
	echo "demo: the guest run failed (exit $rc); see build/logs/demo-g1.console.log" >&2
fi
exit "$rc"
