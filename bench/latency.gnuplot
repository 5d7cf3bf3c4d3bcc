# p50 and p99 latency per case of bitbridge-bench, log scale (used by scripts/bench.sh):
#   gnuplot -e "datafile='latency.dat'; outfile='latency.png'" bench/latency.gnuplot
# datafile: "case p50_us p99_us" lines, written by bench/render_report.py --plot-data.
if (!exists("datafile")) datafile = 'latency.dat'
if (!exists("outfile")) outfile = 'latency.png'

set terminal pngcairo size 1000,560 font "DejaVu Sans,10" noenhanced
set output outfile
set title "bitbridge-bench: latency per call or start (log scale, lower is better)"
set ylabel "microseconds"
set logscale y
set yrange [0.05:*]
set grid ytics mytics
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -25 nomirror
set key top left
set bmargin 7

label(v) = v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v)
# Two bars per case; with gap 1 each bar is 1/3 of a slot: centres at x -/+ 1/6.
plot datafile using 2:xtic(1) title "p50" lc rgb "#3b75af", \
     '' using 3 title "p99" lc rgb "#ef8636", \
     '' using ($0 - 1.0/6):2:(label($2)) with labels offset 0,0.7 font ",8" notitle, \
     '' using ($0 + 1.0/6):3:(label($3)) with labels offset 0,0.7 font ",8" notitle
