#!/usr/bin/env bash
# Benchmark: builds both bitnesses in Release into a separate directory, runs the harness once
# (bitbridge-bench64, which runs bitbridge-bench32 for the 32->64 case), and refreshes
#   docs/bench/results.json   the harness's JSON
#   docs/bench/results-one-cpu.json  the latency cases again with every process on one CPU
#                             (--pin-cpu 0): the CPU path without cross-CPU wake-ups
#   docs/bench/latency.png    p50/p99 latency per case, log scale (gnuplot)
#   docs/performance.md       the generated blocks (figures, ratios, limits); prose is kept
#
#   BITBRIDGE_BENCH_BUILD_DIR  Release build directory (default: <repo>/build-release)
#   extra arguments go to the harness (e.g. --quick, or --calls 20000)
#
# Measurements are only as quiet as the machine: stop other builds and tests first. The load
# average at the start is recorded with the results.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_BENCH_BUILD_DIR:-$root/build-release}
out=$root/docs/bench

log() { printf 'bench: %s\n' "$*" >&2; }

# gnuplot draws the plot. It is not a build dependency, so setup.sh does not install it;
# install gnuplot-nox (no X11) here if it is missing. Without it the figures are still updated.
ensure_gnuplot() {
  command -v gnuplot >/dev/null && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "gnuplot is missing and not root: no plot"; return 1; }
    sudo=(sudo)
  fi
  log "installing gnuplot-nox (for the plot)"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends gnuplot-nox \
        >/tmp/bitbridge-apt-gnuplot.log 2>&1; then
    # A stale index makes the install fail; update (whose own errors are tolerated, as in
    # setup.sh: a stale i386 index does not matter for an amd64 tool) and try once more.
    "${sudo[@]}" apt-get update -q >>/tmp/bitbridge-apt-gnuplot.log 2>&1 || true
    "${sudo[@]}" apt-get install -y -q --no-install-recommends gnuplot-nox \
        >>/tmp/bitbridge-apt-gnuplot.log 2>&1 || true
  fi
  command -v gnuplot >/dev/null || { log "could not install gnuplot-nox (see /tmp/bitbridge-apt-gnuplot.log): no plot"; return 1; }
}

log "building Release in $build"
BITBRIDGE_BUILD_DIR=$build BITBRIDGE_BUILD_TYPE=Release "$root/scripts/build.sh" \
  -DBITBRIDGE_BUILD_TESTS=OFF -DBITBRIDGE_BUILD_EXAMPLES=OFF -DBITBRIDGE_BUILD_BENCH=ON >/dev/null

mkdir -p "$out"
# Five interleaved rounds, medians reported: a drift of the machine during the run then moves
# every case alike, and the ratios between cases stay meaningful.
rounds=(--rounds 5)
log "running $build/stage/bin/bitbridge-bench64 ${rounds[*]} $*"
# Written to a temporary file first: a failed run leaves the recorded results untouched.
tmp=$(mktemp "${TMPDIR:-/tmp}/bitbridge-bench.XXXXXX.json")
trap 'rm -f "$tmp" "$tmp.dat" "$tmp.one-cpu"' EXIT
"$build/stage/bin/bitbridge-bench64" "${rounds[@]}" --json "$tmp" "$@"
one_cpu_cases=floor_socketpair,capnp_ezrpc_uds,capnp_ezrpc_uds_64to32,bitbridge_uds_64to32,bitbridge_uds_32to64
log "diagnostic pass on one CPU: $one_cpu_cases"
"$build/stage/bin/bitbridge-bench64" --pin-cpu 0 --rounds 3 --calls 30000 "$@" --case "$one_cpu_cases" \
  --json "$tmp.one-cpu" >/dev/null
install -m 0644 "$tmp" "$out/results.json"
install -m 0644 "$tmp.one-cpu" "$out/results-one-cpu.json"

command_line="scripts/bench.sh${*:+ $*}
# which builds $(basename "$build") in Release and runs:
#   $(basename "$build")/stage/bin/bitbridge-bench64 ${rounds[*]} --json docs/bench/results.json${*:+ $*}
#   $(basename "$build")/stage/bin/bitbridge-bench64 --pin-cpu 0 --rounds 3 --calls 30000${*:+ $*} \\
#       --case $one_cpu_cases --json docs/bench/results-one-cpu.json"
python3 "$root/bench/render_report.py" "$out/results.json" --plot-data "$tmp.dat" \
  --one-cpu "$out/results-one-cpu.json" --markdown "$root/docs/performance.md" \
  --command "$command_line"
if ensure_gnuplot; then
  gnuplot -e "datafile='$tmp.dat'; outfile='$out/latency.png'" "$root/bench/latency.gnuplot"
  log "wrote $out/latency.png"
fi
log "wrote $out/results.json, $out/results-one-cpu.json and updated docs/performance.md"
