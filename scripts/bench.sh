#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: SDP against its limit and its peers, in one run.
#
#   scripts/bench.sh [--quick] [--only one|two] [--no-build] [--no-plot]
#                    [--dur SEC] [--out DIR] [--build-only] [--no-nodelay]
#
# Builds sdp.ko (stock kernel) and tools/sdpperf, boots stock-kernel guests
# and measures, on the same rxe / veth:
#   - SDP and TCP with sdpperf: bandwidth over message sizes, 1 B and 4 KiB
#     request/response latency (in one guest also 1 B with SDP busy-polling
#     its CQ in recv, net.sdp.recv_poll_usec=1000, as ib_send_lat polls its
#     own; and ib_send_lat -e, which sleeps as SDP does by default),
#     connection rate, 4 parallel connections,
#     memory per idle connection, SOCK_SEQPACKET messages/s at 64 B with
#     1, 16 and 256 associations on one server socket and memory per
#     association (against Linux SCTP one-to-many, in the TCP column; n/a
#     where the guest has no sctp), CPU time per byte of both ends; in the
#     one guest only, the most concurrent connections it holds (sdpperf
#     maxconn: cap 4096, stop before MemAvailable falls below 192 MiB,
#     room for the moment when they all close), and SDP bcopy
#     (SDP_ZCOPY_THRESH 0, sdpperf -Z 0) against read-mode zero copy
#     (-Z 4096) at 4 KiB..16 MiB: bandwidth, CPU s/GiB of sender and
#     receiver, ZcopyTxBytes as the proof;
#   - raw verbs with perftest over rdma_cm (-R): ib_send_bw over the same
#     sizes, ib_read_bw and ib_write_bw at 64 KiB and 1 MiB (one guest:
#     at the zero-copy sizes), ib_send_lat;
#   - rsockets with rstream (librdmacm), where it runs.
# Once in one guest (2 vCPUs; every peer talks to 10.77.0.1, its own veth
# address: rxe loops back, TCP uses the same address) and once in two
# guests (1 vCPU each, virtio-net NICs joined by a QEMU socket link with
# TCP_NODELAY; server in guest 1, client in guest 2). The guests boot with
# clocksource=tsc (cheap clock reads instead of emulated HPET accesses).
#
# Prints a table of SDP / verbs, SDP / TCP and SDP / rsockets ratios,
# writes the raw results to bench/results/<UTC time>.json and
# bench/results/latest.json, the table to bench/results/latest.md and the
# plots to bench/bw.png and bench/lat.png (gnuplot, scripts/bench-plot.gp).
# Guest logs: build/logs/bench-1g-g1.*, build/logs/bench-2g-g{1,2}.*.
#
# --quick: 1 s per measurement and fewer sizes (a smoke run of the
# script; its results go to build/bench/, not bench/). --dur: seconds per
# measurement (default 2). --out: results directory (default bench/).
# --build-only: build sdp.ko and sdpperf into build/bench/ and stop (demo.sh).
# --no-nodelay: run the two guests' QEMUs without tools/sdpperf/qemu-nodelay.so
# (by default it sets TCP_NODELAY on their socket link; without it, Nagle
# and delayed ACKs on the host add ~40 ms to most exchanges).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$SDP_TOP"

quick=0 only= build=1 buildonly=0 plot=1 dur=2 out= nodelay=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--only) only=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	--build-only) buildonly=1; shift ;;
	--no-plot) plot=0; shift ;;
	--no-nodelay) nodelay=0; shift ;;
	--dur) dur=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,/^set -e/{/^set -e/!p}' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
case $only in ''|one|two) ;; *) die "--only one|two" ;; esac
case $dur in [1-9]|[1-9][0-9]) ;; *) die "--dur: whole seconds, 1..99" ;; esac

work=$SDP_BUILD/bench
mkdir -p "$work/bin"
rm -f "$work"/bench-*g.rc
sizes=64,256,1024,4096,16384,65536,262144,1048576
# zero copy (read mode) against bcopy, one guest only; --quick keeps them
# all (the crossover is the point of the table)
zc_sizes=4096,65536,262144,1048576,4194304,16777216
if [ "$quick" = 1 ]; then
	dur=1
	sizes=64,4096,65536,1048576
	out=${out:-$work/quick}
fi
out=${out:-$SDP_TOP/bench}
mkdir -p "$out/results"
t_start=$(date +%s)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }

# ---- build ----
# sdp.ko is built with the project Makefile in a copy of the sources under
# build/bench/src (kept between runs, so rebuilds are incremental): a build
# or an edit going on meanwhile in the tree cannot break or change ours.
if [ "$build" = 1 ]; then
	step "build: deps, sdp.ko (stock $(stock_kver)), sdpperf"
	"$SDP_TOP/scripts/deps.sh"
	mkdir -p "$work/src"
	find Makefile Kbuild net tests include -type f \
		\( -name '*.[chS]' -o -name Kbuild -o -name Makefile \) \
		! -name '*.mod.c' 2>/dev/null | cpio -pdmu --quiet "$work/src"
	make -s -C "$work/src" modules >"$work/build.log" 2>&1 || {
		cat "$work/build.log" >&2
		die "building sdp.ko failed"
	}
	make -s -C "$SDP_TOP/tools/sdpperf" >>"$work/build.log" 2>&1 || {
		cat "$work/build.log" >&2
		die "building sdpperf failed"
	}
	cp "$work/src/net/sdp/sdp.ko" "$work/sdp.ko"
	cp tools/sdpperf/sdpperf "$work/bin/sdpperf"
	cp tools/sdpperf/qemu-nodelay.so "$work/qemu-nodelay.so"
fi
[ -f "$work/sdp.ko" ] || die "$work/sdp.ko is not built (run without --no-build)"
[ -x "$work/bin/sdpperf" ] || die "$work/bin/sdpperf is not built (run without --no-build)"
[ "$buildonly" = 1 ] && exit 0
command -v gnuplot >/dev/null || { echo "bench: gnuplot missing (scripts/deps.sh), no plots" >&2; plot=0; }

# ---- the guest side: one script, its role (single|server|client) from /init ----
cat >"$work/guest.sh" <<'GUEST'
# sdp bench, guest side (written by scripts/bench.sh). Output: "## " progress
# lines, sdpperf JSON lines, "@@BEGIN tag" ... "@@END rc=N" blocks.
P=/sdp/selftests/sdpperf
D=$BENCH_DUR
ROLE=$SDP_ROLE
say() { echo "## $*"; }
echo "@@INFO role=$ROLE kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) memtotal_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo) clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
/sdp/load-sdp.sh || { echo "@@FATAL load-sdp.sh failed"; exit 1; }

# --- sdpperf, SDP and TCP: the server guest serves until the client's quit
if [ "$ROLE" = server ]; then
	say "sdpperf server"
	$P -s -q
else
	[ "$ROLE" = single ] && { $P -s -q & }
	sleep 0.5
	for fam in sdp tcp; do
		say "sdpperf $fam: bw, sizes $BENCH_SIZES, ${D}s each"
		$P -c $SDP_PEER -f $fam -o json -t bw -m $BENCH_SIZES -d $D
		say "sdpperf $fam: lat 1 B and 4 KiB, crr, 4 connections at 64 KiB"
		$P -c $SDP_PEER -f $fam -o json -t lat -m 1,4096 -d $D
		if [ $fam = sdp ] && [ "$ROLE" = single ]; then
			# as perftest's ib_send_lat does: poll the CQ, do not sleep
			say "sdpperf sdp: lat 1 B with net.sdp.recv_poll_usec=$BENCH_POLL_US"
			echo "$BENCH_POLL_US" >/proc/sys/net/sdp/recv_poll_usec
			$P -c $SDP_PEER -f $fam -o json -t lat -m 1 -d $D
			echo 0 >/proc/sys/net/sdp/recv_poll_usec
		fi
		$P -c $SDP_PEER -f $fam -o json -t crr -d $D
		$P -c $SDP_PEER -f $fam -o json -t mconn -n 4 -m 65536 -d $D
		say "sdpperf $fam: memory of 64 idle connections"
		$P -c $SDP_PEER -f $fam -o json -t mem -n 64
	done
	# zero copy against bcopy, per size one after the other (the client's
	# SDP_ZCOPY_THRESH: 0 = bcopy only; 4096 = every send here), read mode
	# (net.sdp.zcopy_mode 0: both offered, read used), then write mode (2,
	# with the server's threshold at 4096 too)
	if [ "$ROLE" = single ]; then
		say "sdpperf sdp: bw bcopy (-Z 0), read-mode and write-mode zero copy (-Z 4096), sizes $BENCH_ZC_SIZES, ${D}s each"
		for s in $(echo $BENCH_ZC_SIZES | tr , ' '); do
			for z in 0 4096; do
				$P -c $SDP_PEER -f sdp -o json -t bw -m $s -d $D -Z $z
			done
			# write mode: the server's reader advertises its buffer
			# when its threshold (the sysctl, taken by its listener
			# at socket()) is at most the bytes it asks for
			zt=$(cat /proc/sys/net/sdp/zcopy_thresh)
			echo 2 >/proc/sys/net/sdp/zcopy_mode
			echo 4096 >/proc/sys/net/sdp/zcopy_thresh
			$P -c $SDP_PEER -f sdp -o json -t bw -m $s -d $D -Z 4096
			echo 0 >/proc/sys/net/sdp/zcopy_mode
			echo "$zt" >/proc/sys/net/sdp/zcopy_thresh
		done
	fi
	# one server socket, 1/16/256 associations; tcp: SCTP one-to-many. After
	# the stream tests: 256 associations take seconds to tear down, and
	# seqpacket waits for memory to settle first (the stream tests do not)
	for fam in sdp tcp; do
		say "sdpperf $fam: seqpacket 64 B, 1, 16 and 256 associations, memory per association$([ $fam = tcp ] && echo ' (SCTP)')"
		for n in 1 16 256; do
			$P -c $SDP_PEER -f $fam -o json -t seqpacket -m 64 -n $n -d $D
		done
	done
	# last: it takes the guest to its memory floor (then checks that it recovers)
	if [ "$ROLE" = single ]; then
		for fam in sdp tcp; do
			say "sdpperf $fam: max concurrent connections (cap 4096, MemAvailable floor 192 MiB: closing thousands at once takes ~100 MiB more for a moment)"
			$P -c $SDP_PEER -f $fam -o json -t maxconn -n 4096 -F 192
		done
	fi
	$P -c $SDP_PEER -t quit
	wait
fi

# --- peers that need a server per run: perftest, rstream. Both guests walk
# the same list. Per pair: the server starts and listens, the two meet at a
# barrier (sdpperf sync, port 5302), the client runs; then it tells the
# server (sync on 5303, tag ok|retry) whether to start the same server again:
# a quick client failure (perftest -R sometimes gets its second connection
# rejected, "RDMA_CM_EVENT_REJECTED; error: 8", and crashes) is retried twice.

# until the server program ($1) has its rdma_cm listener (at most 20 s)
wait_listen() {
	i=0
	until rdma res show cm_id 2>/dev/null | grep -q "state LISTEN .* comm $1 "; do
		i=$((i + 1))
		[ $i -le 100 ] || { echo "@@NOT-LISTENING $1"; return 1; }
		sleep 0.2
	done
}
pair() {	# tag, server command, client command
	[ "$ROLE" = server ] || say "$1"
	: >/tmp/cli.all
	n=0
	while :; do
		n=$((n + 1))
		if [ "$ROLE" != client ]; then
			timeout 60 sh -c "$2" >/tmp/srv.log 2>&1 &
			sp=$!
			wait_listen "${2%% *}"
		fi
		case $ROLE in
		server) timeout 150 $P -s -1 -q -p 5302 >/dev/null ;;
		client) $P -c $SDP_PEER -p 5302 -t sync -w 150 || echo "@@SYNC-FAILED $1" ;;
		esac
		verdict=ok
		if [ "$ROLE" != server ]; then
			t0=$(date +%s)
			timeout 40 sh -c "$3" >/tmp/cli.log 2>&1
			rc=$?
			cat /tmp/cli.log >>/tmp/cli.all
			echo "@@ATTEMPT $n rc=$rc" >>/tmp/cli.all
			[ $rc != 0 ] && [ $(($(date +%s) - t0)) -lt 10 ] && [ $n -lt 3 ] && verdict=retry
		fi
		case $ROLE in
		server) verdict=$(timeout 150 $P -s -1 -q -p 5303) ;;
		client) $P -c $SDP_PEER -p 5303 -t sync -w 150 -T $verdict || echo "@@SYNC-FAILED $1" ;;
		esac
		if [ "$ROLE" != client ]; then
			if [ "$verdict" = retry ]; then
				kill $sp 2>/dev/null
			else
				i=0
				while kill -0 $sp 2>/dev/null && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
				kill $sp 2>/dev/null
			fi
			wait $sp 2>/dev/null
		fi
		[ "$verdict" = retry ] || break
		sleep 0.5
	done
	if [ "$ROLE" != server ]; then
		echo "@@BEGIN $1"
		cat /tmp/cli.all
		echo "@@END rc=$rc"
	fi
}
# perftest's length of a bw run: -D seconds up to 64 KiB, else 32 MiB per
# second in iterations (at least 5, perftest's minimum)
bwargs() {
	if [ $1 -le 65536 ]; then
		echo "-D $D"
	else
		n=$((33554432 * D / $1))
		[ $n -ge 5 ] || n=5
		echo "-n $n"
	fi
}
for s in $(echo $BENCH_SIZES | tr , ' '); do
	a=$(bwargs $s)
	pair "perftest ib_send_bw size=$s" "ib_send_bw -R $a -s $s" "ib_send_bw -R $a -s $s $SDP_PEER"
done
# one guest: at the zero-copy sizes too (the limit of read-mode zero copy)
zs="65536 1048576"
[ "$ROLE" = single ] && zs=$(echo $BENCH_ZC_SIZES | tr , ' ')
for t in ib_write_bw ib_read_bw; do
	for s in $zs; do
		a=$(bwargs $s)
		pair "perftest $t size=$s" "$t -R $a -s $s" "$t -R $a -s $s $SDP_PEER"
	done
done
for s in 1 4096; do
	pair "perftest ib_send_lat size=$s" "ib_send_lat -R -n $((100 * D)) -s $s" "ib_send_lat -R -n $((100 * D)) -s $s $SDP_PEER"
done
# as SDP does by default: sleep on the completion channel, do not poll
pair "perftest ib_send_lat_ev size=1" "ib_send_lat -R -e -n $((100 * D)) -s 1" "ib_send_lat -R -e -n $((100 * D)) -s 1 $SDP_PEER"
for o in "65536 -C $((50 * D)) -I 1" "1048576 -C $((4 * D)) -I 1" "1 -C 1 -I $((100 * D))" "4096 -C 1 -I $((100 * D))"; do
	s=${o%% *}
	kind=bw
	case "$o" in *"-C 1 "*) kind=lat ;; esac
	pair "rstream $kind size=$s" "rstream -b $SDP_ADDR -S $o" "rstream -s $SDP_PEER -S $o"
done
echo "@@BEGIN sdp_stats"
cat /proc/net/sdp_stats
echo "@@END rc=0"
say "done"
GUEST

# ---- run the guests, showing their progress lines ----
run_mode() {	# one|two
	local mode=$1 g=1 name logs=() vmpid rc=0 f
	[ "$mode" = two ] && g=2
	name=bench-${g}g
	step "$mode guest(s): stock kernel, log build/logs/$name-g*.console.log"
	for f in $(seq "$g"); do : >"$SDP_LOGS/$name-g$f.output.log" 2>/dev/null || true; done
	# two guests: QEMU's socket link with TCP_NODELAY (tools/sdpperf/qemu-nodelay.c)
	local pre=
	[ "$g" = 2 ] && [ "$nodelay" = 1 ] && pre=$work/qemu-nodelay.so
	# two guests: virtio NICs (the e1000 model drops bursts on receive, which
	# rxe answers with RC retries: 1 MiB RDMA READs never complete)
	LD_PRELOAD=$pre scripts/vm.sh --kernel stock --guests "$g" --nic virtio --quiet --log "$name" \
		--timeout $((360 + 200 * dur + (g == 1 ? 420 : 0))) --ko "$work/sdp.ko" --selftests "$work/bin" \
		--append "clocksource=tsc tsc=reliable" \
		--set BENCH_DUR="$dur" --set BENCH_SIZES="$sizes" --set BENCH_ZC_SIZES="$zc_sizes" \
		--set BENCH_POLL_US=1000 \
		--cmd "$(cat "$work/guest.sh")" &
	vmpid=$!
	# the client's output log carries the progress
	f=$SDP_LOGS/$name-g$g.output.log
	sleep 1
	tail -n +1 -F --pid=$vmpid "$f" 2>/dev/null | \
		while IFS= read -r l; do
			l=${l%$'\r'}
			case $l in
			"## "*) printf '   [%s] %s\n' "$(date +%T)" "${l#\#\# }" ;;
			*'"status":"error"'*|@@FATAL*) printf '   !! %s\n' "$l" ;;
			esac
		done
	wait $vmpid || rc=$?
	echo "   vm: $(tr '\n' ' ' <"$SDP_LOGS/$name.status" 2>/dev/null || true)"
	# vm.sh counts a user-space crash ("traps: ... general protection") of
	# a peer tool (perftest, rstream) as a kernel splat; only those: not ours
	if [ "$rc" = 1 ] && grep -q '^guest.*_rc=0' "$SDP_LOGS/$name.status" 2>/dev/null; then
		local splat
		splat=$(cat "$SDP_LOGS/$name"-g*.console.log | tr -d '\r' | grep -v '^| ' | \
			grep -E 'BUG:|WARNING:|KASAN:|possible circular locking|inconsistent lock state|unreferenced object|Oops|general protection|refcount_t:|list_add corruption|blocked for more than|Call Trace' | \
			grep -vE 'traps: (ib_[a-z_]+|rstream|rping)\[[0-9]+\] general protection' || true)
		if [ -z "$splat" ]; then
			echo "   note: a peer tool crashed in user space (see the console logs); the kernels are clean"
			rc=0
		fi
	fi
	[ "$rc" = 0 ] || echo "bench: $mode-guest run failed (exit $rc); results may be partial, see build/logs/$name-g*.console.log" >&2
	echo "$rc" >"$work/$name.rc"
}

[ "$only" = two ] || run_mode one
[ "$only" = one ] || run_mode two

# ---- parse on the host: JSON, table, plot data ----
step "results"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$work" "$out" "$stamp" "$dur" "$load_start" "$load_end" "$(( $(date +%s) - t_start ))" "$only" "$nodelay" <<'PY'
import json, os, re, subprocess, sys, platform

work, out, stamp, dur, load0, load1, elapsed, only, nodelay = sys.argv[1:10]
logs = os.path.join(os.path.dirname(work), "logs")

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""

def blocks(path):
    """sdpperf JSON records, @@BEGIN..@@END blocks and @@INFO of one output log"""
    recs, blks, info, cur, lines = [], {}, {}, None, []
    if not os.path.exists(path):
        return recs, blks, info
    for l in open(path, errors="replace"):
        l = l.rstrip("\r\n")
        if l.startswith('{"tool":"sdpperf"'):
            try:
                recs.append(json.loads(l))
            except ValueError:
                pass
        elif l.startswith("@@INFO "):
            for kv in l[7:].split():
                k, _, v = kv.partition("=")
                info[k] = v
        elif l.startswith("@@BEGIN "):
            cur, lines = l[8:], []
        elif l.startswith("@@END") and cur is not None:
            m = re.search(r"rc=(\d+)", l)
            blks[cur] = (int(m.group(1)) if m else -1, lines)
            cur = None
        elif cur is not None:
            lines.append(l)
    return recs, blks, info

def perftest(tag, rc, lines):
    t = tag.split()[1]
    size = int(re.search(r"size=(\d+)", tag).group(1))
    r = {"tool": "perftest", "test": t, "size": size, "rc": rc, "status": "error"}
    for i, l in enumerate(lines):
        if l.strip().startswith("#bytes"):
            for d in lines[i + 1:]:
                v = d.split()
                if len(v) >= 3 and v[0].isdigit():
                    v = [float(x) for x in v if re.match(r"^[\d.]+$", x)]
                    r["iterations"] = int(v[1])
                    if t.endswith("_bw"):
                        # perftest's MB/sec is 2^20 bytes per second
                        r["MiBps"], r["peak_MiBps"] = v[3], v[2]
                        r["status"] = "ok" if v[1] > 0 else "error"
                    elif len(v) >= 9:
                        # ib_send_lat prints half the round trip
                        r.update(status="ok", oneway_typical_us=v[4], oneway_avg_us=v[5],
                                 oneway_p99_us=v[7], rtt_p50_us=2 * v[4],
                                 rtt_mean_us=2 * v[5], rtt_p99_us=2 * v[7])
                    elif len(v) >= 3:
                        r.update(status="ok", oneway_avg_us=v[2], rtt_mean_us=2 * v[2])
                    break
            break
    if r["status"] != "ok":
        r["log"] = lines[-5:]
    return r

def rstream(tag, rc, lines):
    kind = tag.split()[1]
    size = int(re.search(r"size=(\d+)", tag).group(1))
    r = {"tool": "rstream", "test": kind, "size": size, "rc": rc, "status": "error"}
    for l in lines:
        v = l.split()
        if len(v) == 8 and v[0] == "custom" and v[5].endswith("s"):
            xfers, iters, secs, us = int(v[2]), int(v[3]), float(v[5][:-1]), float(v[7])
            # rstream sends xfers*size one way, then back, iters times
            r.update(status="ok", xfers=xfers, iters=iters, seconds=secs)
            if kind == "bw":
                r["MiBps"] = 2 * xfers * iters * size / secs / 1048576 if secs else 0
            else:
                r.update(oneway_us=us, rtt_mean_us=2 * us)
    if r["status"] != "ok":
        r["log"] = lines[-5:]
    return r

def stats(lines):
    s = {}
    for l in lines:
        p = l.split()
        if len(p) == 2 and p[1].lstrip("-").isdigit():
            s[p[0]] = int(p[1])
    return s

modes = {}
for mode, g, cli in (("one", 1, 1), ("two", 2, 2)):
    if only and only != mode:
        continue
    name = "bench-%dg" % g
    recs, blks, info = blocks(os.path.join(logs, "%s-g%d.output.log" % (name, cli)))
    m = {"guests": g, "vcpus_per_guest": 2 if g == 1 else 1,
         "guest": info, "sdpperf": recs, "perftest": [], "rstream": [], "sdp_stats": {}}
    for tag, (rc, lines) in blks.items():
        if tag.startswith("perftest "):
            m["perftest"].append(perftest(tag, rc, lines))
        elif tag.startswith("rstream "):
            m["rstream"].append(rstream(tag, rc, lines))
        elif tag == "sdp_stats":
            m["sdp_stats"]["client" if g == 2 else "guest"] = stats(lines)
    if g == 2:
        _, sb, _ = blocks(os.path.join(logs, "%s-g1.output.log" % name))
        if "sdp_stats" in sb:
            m["sdp_stats"]["server"] = stats(sb["sdp_stats"][1])
    st = os.path.join(logs, name + ".status")
    m["vm_status"] = dict(l.strip().split("=", 1) for l in open(st) if "=" in l) if os.path.exists(st) else {}
    rcf = os.path.join(work, name + ".rc")
    m["vm_rc"] = int(open(rcf).read().strip()) if os.path.exists(rcf) else None
    modes[mode] = m

# ---- lookups ----
def sp(m, fam, test, size=None, key=None, poll=False, assocs=None, zc=None, write=False):
    for r in m["sdpperf"]:
        if (r.get("recv_poll_usec", 0) > 0) != poll:
            continue
        # write: the runs with net.sdp.zcopy_mode 2 (write mode only)
        if (r.get("zcopy_mode", 0) == 2) != write:
            continue
        # zc: the runs with sdpperf -Z zc; None: those without -Z
        if r.get("zcopy_opt", -1) != (-1 if zc is None else zc):
            continue
        # seqpacket records before "assocs" were of one association
        if assocs is not None and r.get("assocs", 1) != assocs:
            continue
        if r.get("family") == fam and r.get("test") == test and (size is None or r.get("size") == size):
            if r.get("status") != "ok":
                return r.get("status", "error")
            return r.get(key) if key else r
    return None

def pt(m, test, size, key):
    for r in m["perftest"]:
        if r["test"] == test and r["size"] == size:
            return r.get(key) if r["status"] == "ok" else "error"
    return None

def rs(m, kind, size, key):
    for r in m["rstream"]:
        if r["test"] == kind and r["size"] == size:
            return r.get(key) if r["status"] == "ok" else "n/a"
    return None

def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)

def fmt(x, d=None):
    if x is None:
        return "-"
    if not num(x):
        return str(x)
    a = abs(x)
    return ("%.0f" % x if a >= 100 else "%.1f" % x if a >= 10 else
            "%.2f" % x if a >= 0.01 or a == 0 else "%.2g" % x)

def ratio(a, b):
    return a / b if num(a) and num(b) and b else None

def hsize(s):
    return "%d MiB" % (s >> 20) if s >= 1 << 20 else "%d KiB" % (s >> 10) if s >= 1024 else "%d B" % s

rows = []   # (mode, metric, better, sdp, tcp, verbs, rsockets)
for mode, m in modes.items():
    for s in (64, 4096, 65536, 1048576):
        rows.append((mode, "bw %s, MiB/s" % hsize(s), "higher",
                     sp(m, "sdp", "bw", s, "MiBps"), sp(m, "tcp", "bw", s, "MiBps"),
                     pt(m, "ib_send_bw", s, "MiBps"),
                     rs(m, "bw", s, "MiBps") if s in (65536, 1048576) else None))
    rows.append((mode, "4 conns x 64 KiB, MiB/s", "higher",
                 sp(m, "sdp", "mconn", 65536, "MiBps"), sp(m, "tcp", "mconn", 65536, "MiBps"), None, None))
    for s in (1, 4096):
        rows.append((mode, "RTT %s p50, us" % hsize(s), "lower",
                     sp(m, "sdp", "lat", s, "p50_us"), sp(m, "tcp", "lat", s, "p50_us"),
                     pt(m, "ib_send_lat", s, "rtt_p50_us"), None))
        rows.append((mode, "RTT %s mean, us" % hsize(s), "lower",
                     sp(m, "sdp", "lat", s, "mean_us"), sp(m, "tcp", "lat", s, "mean_us"),
                     pt(m, "ib_send_lat", s, "rtt_mean_us"), rs(m, "lat", s, "rtt_mean_us")))
    if pt(m, "ib_send_lat_ev", 1, "rtt_p50_us") is not None:
        rows.append((mode, "RTT 1 B p50, us, verbs sleeps (-e)", "lower",
                     sp(m, "sdp", "lat", 1, "p50_us"), None,
                     pt(m, "ib_send_lat_ev", 1, "rtt_p50_us"), None))
    if sp(m, "sdp", "lat", 1, poll=True) is not None:
        rows.append((mode, "RTT 1 B p50, us, SDP busy-polls", "lower",
                     sp(m, "sdp", "lat", 1, "p50_us", poll=True), None,
                     pt(m, "ib_send_lat", 1, "rtt_p50_us"), None))
    rows.append((mode, "connect+1B+close /s", "higher",
                 sp(m, "sdp", "crr", 1, "conn_per_s"), sp(m, "tcp", "crr", 1, "conn_per_s"), None, None))
    for key, lab in (("ns_per_byte_proc", "CPU ns/B at 64 KiB, processes"),
                     ("ns_per_byte_sys", "CPU ns/B at 64 KiB, whole guest(s)")):
        rows.append((mode, lab, "lower", sp(m, "sdp", "bw", 65536, key), sp(m, "tcp", "bw", 65536, key), None, None))
    for who in ("client", "server"):
        def pb(fam, who=who):
            r = sp(m, fam, "bw", 65536)
            return r["cpu_%s_s" % who] * 1e9 / r["bytes"] if isinstance(r, dict) and r.get("bytes") else r
        rows.append((mode, "CPU ns/B at 64 KiB, %s process" % who, "lower", pb("sdp"), pb("tcp"), None, None))
    rows.append((mode, "memory per idle conn, KiB", "lower",
                 sp(m, "sdp", "mem", 1, "kib_per_conn"), sp(m, "tcp", "mem", 1, "kib_per_conn"), None, None))
    if mode == "one":
        rows.append((mode, "max concurrent conns (2 GiB guest)", "higher",
                     sp(m, "sdp", "maxconn", 1, "conns"), sp(m, "tcp", "maxconn", 1, "conns"), None, None))
    # SEQPACKET: the TCP column is SCTP one-to-many (AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP)
    for n in (1, 16, 256):
        rows.append((mode, "SEQPACKET 64 B, msg/s, %d assoc%s" % (n, "" if n == 1 else "s"), "higher",
                     sp(m, "sdp", "seqpacket", 64, "msgs_per_s", assocs=n),
                     sp(m, "tcp", "seqpacket", 64, "msgs_per_s", assocs=n), None, None))
    rows.append((mode, "SEQPACKET memory per association, KiB", "lower",
                 sp(m, "sdp", "seqpacket", 64, "kib_per_assoc", assocs=256),
                 sp(m, "tcp", "seqpacket", 64, "kib_per_assoc", assocs=256), None, None))

summary = []
for mode, metric, better, s, t, v, r in rows:
    summary.append({"mode": mode, "metric": metric, "better": better, "sdp": s, "tcp": t,
                    "verbs": v, "rsockets": r, "sdp_over_verbs": ratio(s, v),
                    "sdp_over_tcp": ratio(s, t), "sdp_over_rsockets": ratio(s, r)})

# zero copy (read mode) against bcopy, one guest: per size, sdpperf -Z 0 and
# -Z 4096, perftest ib_read_bw / ib_write_bw; CPU seconds per GiB moved
ZC_SIZES = (4096, 65536, 262144, 1048576, 4194304, 16777216)
GIB = 1 << 30

def zc_rows(m):
    rows = []
    for s in ZC_SIZES:
        r = {"size": s}
        for lab, z, w in (("bcopy", 0, False), ("zcopy", 4096, False), ("write", 4096, True)):
            x = sp(m, "sdp", "bw", s, zc=z, write=w)
            if isinstance(x, dict) and x.get("bytes"):
                b = x["bytes"]
                r[lab] = {"MiBps": x["MiBps"], "bytes": b,
                          "sender_s_per_GiB": x["cpu_client_s"] * GIB / b,
                          "receiver_s_per_GiB": x["cpu_server_s"] * GIB / b,
                          "guest_s_per_GiB": x["cpu_sys_s"] * GIB / b,
                          "zcopy_thresh": x.get("zcopy_thresh"),
                          "zcopy_tx_bytes": x.get("zcopy_tx_bytes"),
                          "zcopy_fallbacks": x.get("zcopy_fallbacks"),
                          "zcopy_tx_write_bytes": x.get("zcopy_tx_write_bytes"),
                          "zcopy_share": x["zcopy_tx_bytes"] / b
                          if num(x.get("zcopy_tx_bytes")) and x["zcopy_tx_bytes"] >= 0 else None}
            else:
                r[lab] = x
        r["ib_read_bw"] = pt(m, "ib_read_bw", s, "MiBps")
        r["ib_write_bw"] = pt(m, "ib_write_bw", s, "MiBps")
        if any(isinstance(r[k], dict) for k in ("bcopy", "zcopy", "write")) or num(r["ib_read_bw"]):
            rows.append(r)
    return rows

def zc_table(m):
    rows = zc_rows(m)
    if not rows:
        return []
    def g(r, lab, key):
        x = r[lab]
        return x.get(key) if isinstance(x, dict) else x
    out = ["**Zero copy (read mode, write mode) vs bcopy** (one guest; sdpperf bw, client SDP_ZCOPY_THRESH 0 = bcopy, "
           "4096 = zero copy, read mode (net.sdp.zcopy_mode 0) and write mode (zcopy_mode 2); CPU s/GiB: CPU seconds per GiB moved, sender = client process, "
           "receiver = server process (getrusage), guest = whole guest's non-idle time)\n",
           "| size | bcopy MiB/s | zcopy MiB/s | ib_read_bw MiB/s | ib_write_bw MiB/s | zcopy/ib_read | zcopy/bcopy "
           "| sender s/GiB bcopy | sender s/GiB zcopy | receiver s/GiB bcopy | receiver s/GiB zcopy "
           "| guest s/GiB bcopy | guest s/GiB zcopy | zcopy share (ZcopyTxBytes/bytes) "
           "| write-mode MiB/s | write/ib_write | write/read | sender s/GiB write | receiver s/GiB write "
           "| write share (ZcopyTxWriteBytes/bytes) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        zb, bb = g(r, "zcopy", "MiBps"), g(r, "bcopy", "MiBps")
        share = g(r, "zcopy", "zcopy_share")
        wb = g(r, "write", "MiBps")
        wbytes, wwr = g(r, "write", "bytes"), g(r, "write", "zcopy_tx_write_bytes")
        wshare = wwr / wbytes if num(wbytes) and wbytes and num(wwr) and wwr >= 0 else None
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
                   "| %s | %s | %s | %s | %s | %s |" % (
            hsize(r["size"]), fmt(bb), fmt(zb), fmt(r["ib_read_bw"]), fmt(r["ib_write_bw"]),
            fmt(ratio(zb, r["ib_read_bw"])), fmt(ratio(zb, bb)),
            fmt(g(r, "bcopy", "sender_s_per_GiB")), fmt(g(r, "zcopy", "sender_s_per_GiB")),
            fmt(g(r, "bcopy", "receiver_s_per_GiB")), fmt(g(r, "zcopy", "receiver_s_per_GiB")),
            fmt(g(r, "bcopy", "guest_s_per_GiB")), fmt(g(r, "zcopy", "guest_s_per_GiB")),
            "%.0f%%" % (100 * share) if num(share) else fmt(share),
            fmt(wb), fmt(ratio(wb, r["ib_write_bw"])), fmt(ratio(wb, zb)),
            fmt(g(r, "write", "sender_s_per_GiB")), fmt(g(r, "write", "receiver_s_per_GiB")),
            "%.0f%%" % (100 * wshare) if num(wshare) else fmt(wshare)))
    bz = [g(r, "bcopy", "zcopy_tx_bytes") for r in rows]
    fb = [g(r, "zcopy", "zcopy_fallbacks") for r in rows]
    out.append("\nZcopyTxBytes during the bcopy runs: %s; ZcopyFallbacks during the zcopy runs: %s "
               "(per size, from /proc/net/sdp_stats before and after each run)" % (
               ", ".join(str(x) if x is not None else "-" for x in bz),
               ", ".join(str(x) if x is not None else "-" for x in fb)))
    out.append("")
    return out

def table():
    out = []
    for mode in modes:
        g = modes[mode]
        title = ("one guest (2 vCPUs, rxe and TCP to its own 10.77.0.1)" if mode == "one"
                 else "two guests (1 vCPU each, virtio-net over a QEMU socket link; server 10.77.0.1, client 10.77.0.2)")
        out.append("**%s**\n" % title)
        out.append("| metric | better | SDP | TCP | verbs | rsockets | SDP/verbs | SDP/TCP | SDP/rsockets |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in summary:
            if r["mode"] != mode:
                continue
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["metric"], r["better"], fmt(r["sdp"]), fmt(r["tcp"]), fmt(r["verbs"]), fmt(r["rsockets"]),
                fmt(r["sdp_over_verbs"], 2), fmt(r["sdp_over_tcp"], 2), fmt(r["sdp_over_rsockets"], 2)))
        v = []
        for t in ("ib_send_bw", "ib_write_bw", "ib_read_bw"):
            for s in (65536, 1048576):
                x = pt(g, t, s, "MiBps")
                if x is not None:
                    v.append("%s %s %s" % (t, hsize(s), fmt(x)))
        if v:
            out.append("\nraw verbs on this rxe, MiB/s: " + "; ".join(v))
        mc, mcr = [], None
        for fam in ("sdp", "tcp"):
            r = sp(g, fam, "maxconn", 1)
            if r is not None and not isinstance(r, dict):
                mc.append("%s %s" % (fam.upper(), r))
            if isinstance(r, dict):
                mcr = r
                mc.append("%s %d, stopped by %s%s, MemAvailable %.0f -> %.0f MiB, %s" % (
                    fam.upper(), r["conns"], r["stop"],
                    "" if r["stop"] in ("cap", "memfloor", "time") else " (%s, %s side)" % (r["stop_at"], r["stop_side"]),
                    r["memavail_start_kb"] / 1024, r["memavail_peak_kb"] / 1024,
                    "recovered" if r["recovered"] else "NOT recovered"))
        out.append("\nSEQPACKET rows: the TCP column is Linux SCTP one-to-many (AF_INET, SOCK_SEQPACKET, "
                   "IPPROTO_SCTP); n/a: no sctp in the guest. One server socket; the client opens one socket "
                   "per association and sends round-robin with MSG_DONTWAIT. Memory per association: over 256 "
                   "idle associations, %s." % ("both ends in the one guest" if mode == "one" else "both guests"))
        if mc:
            out.append("\nmax concurrent conns%s: " % (
                " (cap %d, MemAvailable floor %d MiB)" % (mcr["cap"], mcr["floor_kb"] // 1024) if mcr else "") +
                "; ".join(mc))
        out.append("")
        if mode == "one":
            out.extend(zc_table(g))
    return "\n".join(out)

meta = {
    "stamp": stamp, "seconds": int(elapsed), "measure_seconds": float(dur),
    "git": sh("git rev-parse --short HEAD") + (" (dirty)" if sh("git status --porcelain -- net include") else ""),
    "host_cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip(),
    "host_cpus": os.cpu_count(), "host_kernel": platform.release(),
    "qemu": sh("qemu-system-x86_64 --version | head -1"), "accel": "tcg (no KVM)",
    "loadavg_start": load0, "loadavg_end": load1,
    "guest_kernel_args": "clocksource=tsc tsc=reliable",
    "two_guest_link": "QEMU -netdev socket over TCP on 127.0.0.1, virtio-net" +
                      (", TCP_NODELAY set by tools/sdpperf/qemu-nodelay.so" if nodelay == "1" else ", Nagle on (--no-nodelay)"),
    "units": {"MiBps": "2^20 bytes/s (perftest's MB/sec)",
              "rtt": "round trip in us; perftest and rstream print half of it, doubled here",
              "ns_per_byte": "CPU ns per byte moved: processes = getrusage of client+server; whole guest(s) = non-idle /proc/stat time",
              "memory": "/proc/meminfo: max(MemFree drop, Slab growth) over 64 idle connections, both ends, per connection",
              "seqpacket": "messages/s received by the one server socket (SOCK_SEQPACKET, one-to-many) while the client sent, from 1/16/256 associations, 64 B, round-robin MSG_DONTWAIT sends, MSG_EOR and the SNDRCV cmsg checked on each; tcp = SCTP (IPPROTO_SCTP); memory per association as memory, over 256 idle associations",
              "zcopy": "one guest: sdpperf bw with the client's SDP_ZCOPY_THRESH 0 (bcopy) and 4096 (zero copy: 'zcopy' read mode with net.sdp.zcopy_mode 0, 'write' write mode with zcopy_mode 2); s_per_GiB = CPU seconds per 2^30 bytes moved: sender = client process, receiver = server process (getrusage user+sys), guest = non-idle /proc/stat time of the guest; zcopy_share = ZcopyTxBytes delta / bytes",
              "maxconn": "one guest: connections (client and server in the guest, 1 byte echoed on each) held at once until a call fails, the cap (4096) or MemAvailable < 192 MiB"},
}
res = {"meta": meta, "modes": modes, "summary": summary,
       "zcopy": zc_rows(modes["one"]) if "one" in modes else []}
md = table()
os.makedirs(os.path.join(out, "results"), exist_ok=True)
for fn in (stamp + ".json", "latest.json"):
    with open(os.path.join(out, "results", fn), "w") as f:
        json.dump(res, f, indent=1, sort_keys=False)
        f.write("\n")
with open(os.path.join(out, "results", "latest.md"), "w") as f:
    f.write("sdp bench %s, git %s, host %s x%s (%s), load %s -> %s, %ss per measurement\n\n" % (
        stamp, meta["git"], meta["host_cpu"], meta["host_cpus"], meta["accel"], load0, load1, dur))
    f.write(md + "\n")

# plot data
with open(os.path.join(work, "bw.dat"), "w") as f:
    f.write("# size sdp1 tcp1 verbs1 sdp2 tcp2 verbs2\n")
    for s in sorted({r["size"] for m in modes.values() for r in m["sdpperf"] if r.get("test") == "bw"}):
        vals = []
        for mode in ("one", "two"):
            m = modes.get(mode)
            for x in ((sp(m, "sdp", "bw", s, "MiBps"), sp(m, "tcp", "bw", s, "MiBps"),
                       pt(m, "ib_send_bw", s, "MiBps")) if m else (None,) * 3):
                vals.append("%.4f" % x if num(x) and x > 0 else "NaN")
        f.write("%d %s\n" % (s, " ".join(vals)))
with open(os.path.join(work, "zc.dat"), "w") as f:
    f.write("# size bcopy zcopy ib_read_bw ib_write_bw (MiB/s, one guest) sender_bcopy sender_zcopy receiver_bcopy receiver_zcopy guest_bcopy guest_zcopy (CPU s/GiB) write (MiB/s)\n")
    for r in (zc_rows(modes["one"]) if "one" in modes else []):
        def v(lab, key):
            x = r[lab]
            return x.get(key) if isinstance(x, dict) else None
        vals = [v("bcopy", "MiBps"), v("zcopy", "MiBps"), r["ib_read_bw"], r["ib_write_bw"],
                v("bcopy", "sender_s_per_GiB"), v("zcopy", "sender_s_per_GiB"),
                v("bcopy", "receiver_s_per_GiB"), v("zcopy", "receiver_s_per_GiB"),
                v("bcopy", "guest_s_per_GiB"), v("zcopy", "guest_s_per_GiB"),
                v("write", "MiBps")]
        f.write("%d %s\n" % (r["size"], " ".join("%.4f" % x if num(x) and x > 0 else "NaN" for x in vals)))
with open(os.path.join(work, "rs.dat"), "w") as f:
    f.write("# size rsockets1 rsockets2\n")
    for s in (65536, 1048576):
        vals = []
        for mode in ("one", "two"):
            x = rs(modes[mode], "bw", s, "MiBps") if mode in modes else None
            vals.append("%.4f" % x if num(x) and x > 0 else "NaN")
        f.write("%d %s\n" % (s, " ".join(vals)))
with open(os.path.join(work, "lat.dat"), "w") as f:
    f.write("# case SDP TCP verbs (median round trip, us) rsockets (mean: rstream has no median)\n")
    for mode in ("one", "two"):
        if mode not in modes:
            continue
        m = modes[mode]
        for s in (1, 4096):
            vals = [sp(m, "sdp", "lat", s, "p50_us"), sp(m, "tcp", "lat", s, "p50_us"),
                    pt(m, "ib_send_lat", s, "rtt_p50_us"), rs(m, "lat", s, "rtt_mean_us")]
            f.write('"%s, %s" %s\n' % (hsize(s), "1 guest" if mode == "one" else "2 guests",
                    " ".join("%.1f" % x if num(x) else "NaN" for x in vals)))
print(open(os.path.join(out, "results", "latest.md")).read())
bad = [r for m in modes.values() for r in m["sdpperf"] if r.get("status") == "error"]
bad += [r for m in modes.values() for r in m["perftest"] + m["rstream"] if r["status"] != "ok"]
for r in bad:
    print("note: %s %s %s size %s: %s" % (r.get("tool"), r.get("family", ""), r.get("test"), r.get("size"),
          r.get("reason") or " | ".join(r.get("log", []))))
print("results: %s/results/%s.json (and latest.json, latest.md)" % (out, stamp))
PY

if [ "$plot" = 1 ]; then
	zc=0
	grep -q '^[0-9]' "$work/zc.dat" 2>/dev/null && zc=1
	gnuplot -e "dat='$work'; outdir='$out'; zc=$zc" scripts/bench-plot.gp
	echo "plots: $out/bw.png $out/lat.png$([ $zc = 1 ] && echo " $out/zcopy.png")"
fi
rc=0
for f in "$work"/bench-*g.rc; do
	[ -f "$f" ] && [ "$(cat "$f")" != 0 ] && rc=1
done
echo "bench: done in $(( $(date +%s) - t_start ))s"
exit $rc
