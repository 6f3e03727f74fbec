# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's chart: gnuplot -e "dat='chart.dat'; out='ratios.png'"
# chart.gp (scripts/bench does this).  chart.dat comes from gmem-bench
# (report.c): index 0 is each operation's time over the zeroing floor per
# backend, index 1 each target's distance from its limit.

if (!exists("dat")) dat = 'chart.dat'
if (!exists("out")) out = 'ratios.png'
set terminal pngcairo size 1100,1000 font ",10" noenhanced
set output out
set datafile missing "-"
set multiplot layout 2,1

set title "Time over the zeroing floor (clear_page of the same memory), min of the repetitions; lower is better"
set logscale y
set yrange [0.0002:*]
set ylabel "multiple of the floor"
set grid ytics mytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
plot for [i=2:7] dat index 0 using i:xtic(1) title columnheader(i), \
	1 with lines dt 2 lc "black" title "floor"

unset style
set title "Targets: distance from the limit (at most 1 is met; for 'at least' targets, limit over measured)"
set yrange [*:*]
set ylabel "measured / limit"
set boxwidth 0.6
set style fill solid 0.85 border -1
set xtics rotate by -30
set offsets 0.6, 0.6, 0, 0
plot dat index 1 using 0:($3 == 1 ? $2 : 1/0):xtic(1) with boxes lc "forest-green" title "met", \
	dat index 1 using 0:($3 == 0 ? $2 : 1/0) with boxes lc "red" title "not met", \
	1 with lines dt 2 lc "black" title "limit"

unset multiplot
