# The plot of bitbridge-bench (used by scripts/bench.sh), two panels:
#   top:    p50 and p99 latency per case (calls, starts), log scale
#   bottom: calls/s of the RPC cases, sequential and 128 in flight (pipelined)
#   gnuplot -e "datafile='latency.dat'; ratefile='rate.dat'; outfile='latency.png'" bench/latency.gnuplot
# datafile: "case p50_us p99_us" lines; ratefile: "case calls_per_s" lines (both written by
# bench/render_report.py, --plot-data and --plot-rate-data). Without ratefile: the top panel only.
if (!exists("datafile")) datafile = 'latency.dat'
if (!exists("outfile")) outfile = 'latency.png'
if (!exists("ratefile")) ratefile = ''

label(v) = v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v)
kilo(v) = sprintf("%.1fk", v / 1000.0)

if (ratefile ne '') {
  set terminal pngcairo size 1100,1000 font "DejaVu Sans,10" noenhanced
} else {
  set terminal pngcairo size 1100,580 font "DejaVu Sans,10" noenhanced
}
set output outfile
if (ratefile ne '') set multiplot layout 2,1

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

# Two bars per case; with gap 1 each bar is 1/3 of a slot: centres at x -/+ 1/6.
plot datafile using 2:xtic(1) title "p50" lc rgb "#3b75af", \
     '' using 3 title "p99" lc rgb "#ef8636", \
     '' using ($0 - 1.0/6):2:(label($2)) with labels offset 0,0.7 font ",8" notitle, \
     '' using ($0 + 1.0/6):3:(label($3)) with labels offset 0,0.7 font ",8" notitle

if (ratefile ne '') {
  set title "RPC null calls per second: one at a time, and 128 in flight (pipelined); higher is better"
  set ylabel "calls/s"
  unset logscale y
  set yrange [0:*]
  set grid ytics nomytics
  set format y "%.0s%c"
  set boxwidth 0.6
  set xrange [-0.6:*]
  set offsets 0, 0.6, graph 0.08, 0
  set rmargin 8
  set key top left
  # Pipelined cases (name contains "pipelined") in orange, one-at-a-time calls in green.
  pipelined(name) = strstrt(name, "pipelined") > 0
  plot ratefile using 0:(pipelined(strcol(1)) ? 1/0 : $2):xtic(1) with boxes lc rgb "#4b9a5a" \
         title "one call at a time", \
       '' using 0:(pipelined(strcol(1)) ? $2 : 1/0) with boxes lc rgb "#ef8636" \
         title "128 in flight", \
       '' using 0:2:(kilo($2)) with labels offset 0,0.7 font ",8" notitle
  unset multiplot
}
