# SPDX-License-Identifier: GPL-2.0
# Plots of `make bench` (scripts/bench.sh writes the data files):
#   gnuplot -e "dat='build/bench'; outdir='bench'" scripts/bench-plot.gp
# dat/bw.dat:  size sdp1 tcp1 verbs1 sdp2 tcp2 verbs2   (MiB/s; 1 = one guest, 2 = two)
# dat/rs.dat:  size rsockets1 rsockets2                (MiB/s)
# dat/lat.dat: "case" SDP TCP verbs rsockets   (round trip, us: median; rsockets: mean)
# dat/zc.dat:  size bcopy zcopy ib_read_bw ib_write_bw (MiB/s) then CPU s/GiB:
#              sender bcopy, zcopy, receiver bcopy, zcopy, guest bcopy, zcopy,
#              then write-mode zero copy (MiB/s)
#              (one guest; plotted only with -e "zc=1")
# Writes outdir/bw.png, outdir/lat.png and (zc=1) outdir/zcopy.png.
if (!exists("dat")) dat = "build/bench"
if (!exists("outdir")) outdir = "bench"

set terminal pngcairo size 1200,620 font "sans,11" noenhanced
set datafile missing "NaN"

# ---- bandwidth against message size ----
set output outdir."/bw.png"
set title "Stream bandwidth vs message size (QEMU TCG, rxe; solid: one guest, dashed: two guests)"
set logscale x 2
set logscale y 10
set xlabel "message size (bytes per send)"
set ylabel "MiB/s (log scale)"
set xtics ("64" 64, "256" 256, "1K" 1024, "4K" 4096, "16K" 16384, "64K" 65536, "256K" 262144, "1M" 1048576)
set grid xtics ytics mytics
set key outside right center box
set style line 1 lc rgb "#d62728" lw 2 pt 7 ps 1.2
set style line 2 lc rgb "#1f77b4" lw 2 pt 5 ps 1.2
set style line 3 lc rgb "#2ca02c" lw 2 pt 9 ps 1.3
set style line 4 lc rgb "#9467bd" lw 2 pt 13 ps 1.6
set style line 11 lc rgb "#d62728" lw 2 pt 6 ps 1.2 dt 2
set style line 12 lc rgb "#1f77b4" lw 2 pt 4 ps 1.2 dt 2
set style line 13 lc rgb "#2ca02c" lw 2 pt 8 ps 1.3 dt 2
set style line 14 lc rgb "#9467bd" lw 2 pt 12 ps 1.6 dt 2
plot dat."/bw.dat" using 1:2 with linespoints ls 1 title "SDP (default zcopy_thresh), 1 guest", \
     ''            using 1:3 with linespoints ls 2 title "TCP, 1 guest", \
     ''            using 1:4 with linespoints ls 3 title "verbs ib_send_bw -R, 1 guest", \
     dat."/rs.dat" using 1:2 with points ls 4 title "rsockets rstream, 1 guest", \
     dat."/bw.dat" using 1:5 with linespoints ls 11 title "SDP (default zcopy_thresh), 2 guests", \
     ''            using 1:6 with linespoints ls 12 title "TCP, 2 guests", \
     ''            using 1:7 with linespoints ls 13 title "verbs ib_send_bw -R, 2 guests", \
     dat."/rs.dat" using 1:3 with points ls 14 title "rsockets rstream, 2 guests"

# ---- latency bars ----
reset
set terminal pngcairo size 1200,560 font "sans,11" noenhanced
set datafile missing "NaN"
set output outdir."/lat.png"
set title "Request/response round trip, median (QEMU TCG, rxe; lower is better)"
set ylabel "microseconds (log scale)"
set logscale y 10
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key outside right center box
set xtics nomirror
plot dat."/lat.dat" using 2:xtic(1) lc rgb "#d62728" title "SDP", \
     ''             using 3 lc rgb "#1f77b4" title "TCP", \
     ''             using 4 lc rgb "#2ca02c" title "verbs ib_send_lat -R", \
     ''             using 5 lc rgb "#9467bd" title "rsockets rstream (mean)"

# ---- zero copy (read mode) against bcopy, one guest ----
if (exists("zc") && zc) {
	reset
	set terminal pngcairo size 1200,900 font "sans,11" noenhanced
	set datafile missing "NaN"
	set output outdir."/zcopy.png"
	set multiplot layout 2,1 title "SDP zero copy (read and write mode) vs bcopy, one guest (QEMU TCG, rxe)"
	set logscale x 2
	set xrange [3000:23000000]
	set lmargin 10
	set rmargin 34
	set xtics ("4K" 4096, "16K" 16384, "64K" 65536, "256K" 262144, "1M" 1048576, "4M" 4194304, "16M" 16777216)
	set grid xtics ytics
	set key outside right center box
	set xlabel "message size (bytes per send)"
	set ylabel "MiB/s"
	set yrange [0:*]
	plot dat."/zc.dat" using 1:2 with linespoints lc rgb "#d62728" lw 2 pt 7 title "SDP bcopy (thresh 0)", \
	     ''           using 1:3 with linespoints lc rgb "#ff7f0e" lw 2 pt 5 title "SDP zero copy, read mode (thresh 4K)", \
	     ''           using 1:12 with linespoints lc rgb "#8c564b" lw 2 pt 13 title "SDP zero copy, write mode (thresh 4K)", \
	     ''           using 1:4 with linespoints lc rgb "#2ca02c" lw 2 pt 9 title "ib_read_bw -R", \
	     ''           using 1:5 with linespoints lc rgb "#2ca02c" lw 2 pt 8 dt 2 title "ib_write_bw -R"
	set ylabel "CPU s per GiB (log scale)"
	set logscale y 10
	set yrange [*:*]
	plot dat."/zc.dat" using 1:6 with linespoints lc rgb "#d62728" lw 2 pt 7 title "sender, bcopy", \
	     ''           using 1:7 with linespoints lc rgb "#ff7f0e" lw 2 pt 5 title "sender, zero copy", \
	     ''           using 1:8 with linespoints lc rgb "#d62728" lw 2 pt 6 dt 2 title "receiver, bcopy", \
	     ''           using 1:9 with linespoints lc rgb "#ff7f0e" lw 2 pt 4 dt 2 title "receiver, zero copy"
	unset multiplot
}
