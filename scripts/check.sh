#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: every check of the sdp project, counted. The last line is
#   N passed, N failed, N skipped
# and the exit status is non-zero if anything failed.
#
#   scripts/check.sh [--only STEP[,STEP...]]
#
# Steps (in order): deps smoke build-stock sparse debug-kernel build-debug
# selftests-build checkpatch kunit selftests-debug selftests-stock
# selftests-stock-2g. A step whose input could not be built is skipped.
# Logs: build/logs/check/ (builds) and build/logs/check-*.log (guests).
#
# Environment: KVER (stock kernel release), SDP_CHECK_TIMEOUT_STOCK /
# SDP_CHECK_TIMEOUT_DEBUG (guest timeouts, seconds; default 600 / 1200).
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$SDP_TOP"

only=
while [ $# -gt 0 ]; do
	case $1 in
	--only) only=,$2,; shift 2 ;;
	-h|--help) sed -n '3,15p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
want() { [ -z "$only" ] || [[ $only == *",$1,"* ]]; }

LOG=$SDP_LOGS/check
mkdir -p "$LOG"
# one check at a time per checkout (they share build/mod-* and the logs)
exec 7>"$SDP_BUILD/.check.lock"
flock -n 7 || { echo "check: waiting for another check in this checkout" >&2; flock 7; }
npass=0 nfail=0 nskip=0
pass() { npass=$((npass + 1)); echo "PASS: $*"; }
fail() { nfail=$((nfail + 1)); echo "FAIL: $*"; }
skip() { nskip=$((nskip + 1)); echo "SKIP: $*"; }
# show the first lines of a log/list under a failure
show() { sed -n '1,25s/^/    /p'; }
step() { echo "== $* ($(date +%T))"; }

kver=$(stock_kver)
KDIR=${KDIR:-/lib/modules/$kver/build}
tmo_stock=${SDP_CHECK_TIMEOUT_STOCK:-900}
tmo_debug=${SDP_CHECK_TIMEOUT_DEBUG:-2700}
t_start=$(date +%s)

# a fresh copy of the kbuild sources (no build products), so each kernel
# gets its own objects and every warning shows up on every run
copy_src() {	# $1 = destination
	rm -rf "$1"
	mkdir -p "$1"
	find Kbuild net tests include -type f \
		\( -name '*.[chS]' -o -name Kbuild -o -name Makefile \) \
		! -name '*.mod.c' 2>/dev/null | cpio -pdm --quiet "$1"
}

# build the module(s) in $1 against kernel tree $2; $3 = label, rest = make
# args; with FRESH=0 the sources in $1 are not copied again
build_mod() {
	local dir=$1 kdir=$2 label=$3 log
	shift 3
	log=$LOG/build-$label.log
	[ "${FRESH:-1}" = 0 ] || copy_src "$dir"
	make -C "$kdir" M="$dir" "$@" modules >"$log" 2>&1
	local rc=$? warn
	warn=$(grep -E 'warning:|error:' "$log" || true)
	if [ $rc = 0 ] && [ -z "$warn" ]; then
		pass "build $label"
	else
		fail "build $label (exit $rc, $(printf '%s' "$warn" | grep -c .) warnings/errors; $log)"
		{ [ -n "$warn" ] && printf '%s\n' "$warn" || tail -15 "$log"; } | show
	fi
}

# count TAP-like lines of selftest output files: ok / not ok / # SKIP
count_tap() {	# $1 = label, rest = files
	local label=$1 f line name n=0
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		while IFS= read -r line; do
			line=${line%$'\r'}
			[[ $line =~ ^(not\ )?ok\ [0-9]+(\ -)?\ (.*)$ ]] || continue
			name=${BASH_REMATCH[3]}
			n=$((n + 1))
			if [ -n "${BASH_REMATCH[1]}" ]; then
				fail "$label: $name"
			elif [[ $name =~ \#\ *[Ss][Kk][Ii][Pp] ]]; then
				skip "$label: $name"
			else
				pass "$label: $name"
			fi
		done <"$f"
	done
	[ $n -gt 0 ] || fail "$label: no test results in $*"
}

# run a guest with vm.sh; then the "completed" and "no kernel splats" checks
# $1 = label (log name check-$1), rest = vm.sh arguments
GRC=0
guest() {
	local label=$1 st
	shift
	"$SDP_TOP/scripts/vm.sh" --log "check-$label" --quiet "$@" \
		>"$SDP_LOGS/check-$label.log" 2>&1
	GRC=$?
	st=$SDP_LOGS/check-$label.status
	if [ ! -f "$st" ]; then
		fail "$label: guest did not run (vm.sh exit $GRC)"
		show <"$SDP_LOGS/check-$label.log"
		GRC=124
		return
	fi
	if grep -qE '_rc=(124|254)$' "$st"; then
		fail "$label: guest ran its command to the end (timeout, crash or set-up failure)"
		grep -E 'vm:|SETUP FAILED' "$SDP_LOGS/check-$label.log" "$SDP_LOGS/check-$label"-g*.console.log | show
	else
		pass "$label: guest ran its command to the end"
	fi
	if grep -q '^splats=0$' "$st"; then
		pass "$label: no kernel splats"
	else
		fail "$label: kernel splats ($(sed -n 's/^splats=//p' "$st") lines)"
		grep 'kernel splat' "$SDP_LOGS/check-$label.log" | show
	fi
}

# --- 1. packages ---
if want deps; then
	step deps
	if "$SDP_TOP/scripts/deps.sh" >"$LOG/deps.log" 2>&1; then
		pass "deps"
	else
		fail "deps ($LOG/deps.log)"
		show <"$LOG/deps.log"
	fi
fi

# --- 2. the test bed itself: rxe over loopback in a stock guest, no sdp ---
if want smoke; then
	step "smoke: rxe in a stock guest"
	guest smoke --kernel stock --timeout "$tmo_stock" --no-sdp --cmd \
		'rdma link show rxe0/1 | grep -q ACTIVE && { rping -s -a $SDP_ADDR -C 10 & sleep 1; rping -c -a $SDP_PEER -C 10 -v; }'
	if [ "$GRC" = 0 ]; then
		pass "smoke: rping over rxe"
	else
		fail "smoke: rping over rxe (exit $GRC; $SDP_LOGS/check-smoke-g1.output.log)"
		tr -d '\r' <"$SDP_LOGS/check-smoke-g1.output.log" | tail -10 | show
	fi
fi

# --- 3. module against the stock headers, W=1; sparse ---
mod_stock=$SDP_BUILD/mod-stock
if want build-stock; then
	step "build against $KDIR (W=1)"
	build_mod "$mod_stock" "$KDIR" "stock-W1" W=1
fi
if want sparse; then
	step sparse
	if command -v sparse >/dev/null; then
		# C=2 on the W=1 objects just built: sparse only, no recompilation
		if [ -f "$mod_stock/Kbuild" ]; then
			FRESH=0 build_mod "$mod_stock" "$KDIR" "sparse" W=1 C=2
		else
			build_mod "$mod_stock" "$KDIR" "sparse" W=1 C=2
		fi
	else
		fail "sparse: not installed"
	fi
fi

# --- 4. debug kernel and the modules for it ---
tree=
if want debug-kernel || want build-debug || want kunit || want selftests-debug || want checkpatch; then
	step "debug kernel"
	if tree=$("$SDP_TOP/scripts/debug-kernel.sh" 2>"$LOG/debug-kernel.log"); then
		pass "debug kernel ($tree)"
	else
		fail "debug kernel (see $LOG/debug-kernel.log)"
		show <"$LOG/debug-kernel.log"
		tree=
	fi
fi
mod_debug=$SDP_BUILD/mod-debug
if want build-debug; then
	step "build against the debug kernel"
	if [ -n "$tree" ]; then
		build_mod "$mod_debug" "$tree" "debug"
	else
		skip "build debug (no debug kernel)"
	fi
fi

# --- 5. selftest binaries ---
st_bin=
if want selftests-build; then
	step "selftests build"
	if [ -f tools/selftests/Makefile ]; then
		if make -C tools/selftests >"$LOG/selftests-build.log" 2>&1; then
			pass "build selftests"
		else
			fail "build selftests ($LOG/selftests-build.log)"
			tail -15 "$LOG/selftests-build.log" | show
		fi
	else
		skip "build selftests (no tools/selftests/Makefile)"
	fi
fi
[ -d tools/selftests/bin ] && st_bin=$SDP_TOP/tools/selftests/bin

# --- 6. checkpatch ---
if want checkpatch; then
	step checkpatch
	cp_pl=${tree:+$tree/scripts/checkpatch.pl}
	if [ -z "$cp_pl" ] || [ ! -f "$cp_pl" ]; then
		skip "checkpatch (no debug kernel tree)"
	else
		for f in net/sdp/*.[ch] tests/kunit/*.c include/uapi/linux/sdp.h; do
			[ -f "$f" ] || continue
			case $f in *.mod.c) continue ;; esac
			o=$LOG/checkpatch-${f//\//_}.log
			if perl "$cp_pl" --strict --no-tree --terse --show-types -f "$f" >"$o" 2>&1; then
				pass "checkpatch $f"
			else
				fail "checkpatch $f ($(grep -cE '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK)' "$o") issues; $o)"
				grep -E '^[^ ]+:[0-9]+: ' "$o" | show
			fi
		done
	fi
fi

# --- 7. KUnit on the debug kernel ---
dbg_ko=$mod_debug/net/sdp/sdp.ko
dbg_kunit=$mod_debug/tests/kunit/sdp_kunit.ko
if want kunit; then
	step "KUnit (debug kernel guest)"
	if [ -z "$tree" ] || [ ! -f "$dbg_ko" ]; then
		skip "kunit (no sdp.ko for the debug kernel)"
	else
		args=(--kernel debug --timeout "$tmo_debug" --ko "$dbg_ko" --cmd 'sh /sdp/run-kunit.sh')
		[ -f "$dbg_kunit" ] && args+=(--ko "$dbg_kunit")
		guest kunit "${args[@]}"
		if [ "$GRC" != 124 ]; then
			if grep -q '^guest1_rc=0$' "$SDP_LOGS/check-kunit.status"; then
				pass "kunit: load and unload sdp.ko and sdp_kunit.ko"
			else
				fail "kunit: load and unload sdp.ko, sdp_kunit.ko (see $SDP_LOGS/check-kunit-g1.output.log)"
				tr -d '\r' <"$SDP_LOGS/check-kunit-g1.output.log" | show
			fi
		fi
		if [ -f "$dbg_kunit" ]; then
			res=$LOG/kunit-results.txt
			python3 "$SDP_TOP/scripts/kunit-count.py" \
				"$tree/tools/testing/kunit/kunit.py" \
				"$SDP_LOGS/check-kunit-g1.console.log" "$LOG/kunit.ktap" \
				>"$res" 2>"$LOG/kunit-parse.log"
			if [ ! -s "$res" ]; then
				fail "kunit: no KTAP results on the console ($LOG/kunit-parse.log)"
			fi
			while read -r word name; do
				case $word in
				PASS) pass "kunit: $name" ;;
				SKIP) skip "kunit: $name" ;;
				*) fail "kunit: $name" ;;
				esac
			done <"$res"
			grep -E 'FAILED|EXPECTATION|ASSERTION|crashed' "$LOG/kunit-parse.log" | show
		else
			skip "kunit: no sdp_kunit.ko built"
		fi
	fi
fi

# --- 8. selftests in guests ---
st_args=()
[ -n "$st_bin" ] && st_args=(--selftests "$st_bin")
if want selftests-debug; then
	step "selftests (debug kernel, one guest)"
	if [ -z "$tree" ] || [ ! -f "$dbg_ko" ]; then
		skip "selftests-debug (no sdp.ko for the debug kernel)"
	else
		# KASAN + lockdep under TCG: each test gets more time and
		# smaller transfers; rxe's softirq work on big bursts takes
		# longer than the default 20 s soft-lockup threshold there.
		guest selftests-debug --kernel debug --timeout "$tmo_debug" --ko "$dbg_ko" \
			--append "watchdog_thresh=60" \
			--set SDP_SELFTEST_TIMEOUT=1200 --set SDP_TIMEOUT_SCALE=4 \
			--set SDP_BIG_MB=16 --set SDP_MANY_KB=256 \
			"${st_args[@]}" --cmd 'sh /sdp/run-selftests.sh'
		count_tap selftests-debug "$SDP_LOGS/check-selftests-debug-g1.output.log"
	fi
fi
stk_ko=$mod_stock/net/sdp/sdp.ko
if want selftests-stock; then
	step "selftests (stock kernel, one guest)"
	if [ ! -f "$stk_ko" ]; then
		skip "selftests-stock (no sdp.ko for the stock kernel)"
	else
		guest selftests-stock --kernel stock --timeout "$tmo_stock" --ko "$stk_ko" \
			"${st_args[@]}" --cmd 'sh /sdp/run-selftests.sh'
		count_tap selftests-stock "$SDP_LOGS/check-selftests-stock-g1.output.log"
	fi
fi
if want selftests-stock-2g; then
	step "selftests (stock kernel, two guests)"
	two=0
	if [ -n "$st_bin" ]; then
		for b in "$st_bin"/*; do
			[ -f "$b" ] && [ -x "$b" ] && grep -q SDP_ROLE "$b" && two=1
		done
	fi
	if [ ! -f "$stk_ko" ]; then
		skip "selftests-stock-2g (no sdp.ko for the stock kernel)"
	elif [ $two = 0 ]; then
		skip "selftests-stock-2g (no selftest binary reads SDP_ROLE)"
	else
		guest selftests-stock-2g --kernel stock --guests 2 --nic virtio --timeout "$tmo_stock" \
			--ko "$stk_ko" "${st_args[@]}" --cmd 'sh /sdp/run-selftests.sh'
		count_tap selftests-stock-2g/server "$SDP_LOGS/check-selftests-stock-2g-g1.output.log"
		count_tap selftests-stock-2g/client "$SDP_LOGS/check-selftests-stock-2g-g2.output.log"
	fi
fi

echo "== done in $(( $(date +%s) - t_start ))s; logs in $SDP_LOGS"
summary="$npass passed, $nfail failed"
[ $nskip = 0 ] || summary="$summary, $nskip skipped"
echo "$summary"
[ $nfail = 0 ]
