#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host-side checks of sdpstat on saved /proc files: tests/run.sh ./sdpstat
# Prints "ok N - what" / "not ok N - what" and exits non-zero on a failure.
# The samples spell addresses as a little-endian host prints them.
bin=${1:-./sdpstat}
dir=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; }
same() {	# $1 = what, $2 = expected file, $3 = got file
	if cmp -s "$2" "$3"; then ok "$1"; else nok "$1"; diff -u "$2" "$3" | sed 's/^/# /'; fi
}
status() {	# $1 = what, $2 = wanted exit status, rest = command
	what=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" = "$want" ]; then ok "$what"; else nok "$what (exit $st, want $want)"; sed 's/^/# /' "$tmp/err"; fi
}

if [ "$(printf '\001\000' | od -An -tu2 | tr -d ' ')" != 1 ]; then
	echo "1..0 # SKIP the samples are little-endian"
	exit 0
fi

"$bin" -s -f "$dir/sdp.sample" >"$tmp/s" 2>&1
same "sockets, text" "$dir/sockets.expected" "$tmp/s"
"$bin" -s -j -f "$dir/sdp.sample" >"$tmp/sj" 2>&1
same "sockets, json" "$dir/sockets.json.expected" "$tmp/sj"
"$bin" -c -f "$dir/sdp_stats.sample" >"$tmp/c" 2>&1
same "counters, text" "$dir/counters.expected" "$tmp/c"
"$bin" -c -j -f "$dir/sdp_stats.sample" >"$tmp/cj" 2>&1
same "counters, json" "$dir/counters.json.expected" "$tmp/cj"

# /proc/net/tcp format (no type/assoc columns) is read too
printf '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1133 1 0000000000000000 100 0 0 10 0\n' >"$tmp/tcp"
"$bin" -s -f "$tmp/tcp" >"$tmp/t" 2>&1
if grep -q '^-  *LISTEN  *0  *0 127\.0\.0\.1:22  *0\.0\.0\.0:\*  *0  *1133  *0$' "$tmp/t"; then
	ok "a /proc/net/tcp file"
else
	nok "a /proc/net/tcp file"; sed 's/^/# /' "$tmp/t"
fi

# watch: the file changes during the interval; deltas, then the end after -n
cp "$dir/sdp_stats.sample" "$tmp/stats"
"$bin" -c -w 0.6 -n 1 -f "$tmp/stats" >"$tmp/w" 2>&1 &
pid=$!
sleep 0.25
sed -e 's/^ActiveOpens 3$/ActiveOpens 5/' -e 's/^BcopyTxBytes .*/BcopyTxBytes 1048676/' \
	"$dir/sdp_stats.sample" >"$tmp/stats.new"
echo "NewCounter 7" >>"$tmp/stats.new"
mv "$tmp/stats.new" "$tmp/stats"
wait $pid
grep -v '^# sdpstat ' "$tmp/w" >"$tmp/w2"
{
	cat "$dir/counters.expected"
	printf '%-12s %+20d %20d\n' ActiveOpens 2 5 BcopyTxBytes 100 1048676 NewCounter 7 7
} >"$tmp/w.expected"
same "watch deltas (-w 0.6 -n 1)" "$tmp/w.expected" "$tmp/w2"
if [ "$(grep -c '^# sdpstat ' "$tmp/w")" = 2 ]; then ok "watch: two blocks"; else nok "watch: two blocks"; fi

"$bin" -c -j -w 0.1 -n 2 -f "$dir/sdp_stats.sample" >"$tmp/wj" 2>&1
if [ "$(wc -l <"$tmp/wj")" = 3 ] && grep -q '^{"interval":2,"time":"[^"]*","seconds":0.1,"deltas":{"ActiveOpens":0,' "$tmp/wj"; then
	ok "watch json: one object per interval"
else
	nok "watch json: one object per interval"; sed 's/^/# /' "$tmp/wj"
fi
"$bin" -c -w 0.1 -n 1 -f "$dir/sdp_stats.sample" >"$tmp/wz" 2>&1
if grep -q '^# no counter changed$' "$tmp/wz"; then ok "watch: no change"; else nok "watch: no change"; fi

status "missing file: exit 1" 1 "$bin" -c -f "$tmp/nonexistent"
printf 'ActiveOpens x\n' >"$tmp/badc"
status "bad counter line: exit 1" 1 "$bin" -c -f "$tmp/badc"
printf 'header local_address\n   0: 0100007F:00ZZ 00000000:0000 0A\n' >"$tmp/bads"
status "bad socket line: exit 1" 1 "$bin" -s -f "$tmp/bads"
status "-f without -s/-c: exit 2" 2 "$bin" -f "$dir/sdp.sample"
status "-n without -w: exit 2" 2 "$bin" -c -n 3
status "-w 0: exit 2" 2 "$bin" -c -w 0
status "stray argument: exit 2" 2 "$bin" -c foo
status "-h: exit 0" 0 "$bin" -h

echo "1..$n"
[ "$bad" = 0 ]
