#!/usr/bin/env bash
# Benchmark: builds both bitnesses in Release into a separate directory, runs the harness once
# (bitbridge-bench64, which runs bitbridge-bench32 for the 32->64 cases) and the bulk bench, and
# refreshes
#   docs/bench/results.json   the harness's JSON
#   docs/bench/results-one-cpu.json  the latency cases again with every process on one CPU
#                             (--pin-cpu 0): the CPU path without cross-CPU wake-ups
#   docs/bench/bulk.json      bitbridge-bulk-bench's JSON: 1 MiB / 64 MiB / 1 GiB handed to a
#                             32-bit host by reference, by Data messages, and memcpy'd
#   docs/bench/latency.png    p50/p99 latency per case, log scale, and the RPC cases' calls/s
#                             (gnuplot)
#   docs/performance.md       the generated blocks (figures, ratios, limits, bulk); prose is kept
#   docs/bench/results-windows.json  the Windows cases under Wine (bitbridge-winbench64: a call
#                             against a raw named-pipe round trip and a COM Invoke, spawn to
#                             first reply), when the Windows build exists; see below
#
#   BITBRIDGE_BENCH_BUILD_DIR  Release build directory (default: <repo>/build-release)
#   BITBRIDGE_BENCH_QUIET      seconds without any other build or test (a process matching
#                              "cmake --build|ctest|make") to wait for after building and before
#                              measuring (default 10; 0: do not wait)
#   BITBRIDGE_BENCH_QUIET_MAX  give up waiting after this many seconds and measure anyway, with
#                              a warning (default 3600)
#   BITBRIDGE_BENCH_WINDOWS    auto (default): also run the Windows cases under Wine when
#                              $BITBRIDGE_WINDOWS_BUILD_DIR (default <repo>/build-windows) holds
#                              bitbridge-winbench64.exe (scripts/build-windows.sh builds it; this
#                              script does not rebuild it); 0: never; only: only the Windows cases
#   extra arguments go to the harness (e.g. --quick, or --calls 20000); --quick also to the
#   bulk bench
#
# Measurements are only as quiet as the machine: the script waits for other builds and tests
# to end (above), and records the load average at the start with the results.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_BENCH_BUILD_DIR:-$root/build-release}
out=$root/docs/bench

log() { printf 'bench: %s\n' "$*" >&2; }

# The Windows cases under Wine, in the private prefix of tools/windows/wine-run.sh (kept up for
# the run with --persist, stopped after). Arguments: extra arguments for the harness (--quick,
# --calls N are understood by both).
windows_bench() {
  local wbuild=${BITBRIDGE_WINDOWS_BUILD_DIR:-$root/build-windows}
  local exe=$wbuild/stage/bin/x86_64/bitbridge-winbench64.exe
  local mode=${BITBRIDGE_BENCH_WINDOWS:-auto}
  [ "$mode" != 0 ] || return 0
  if [ ! -f "$exe" ]; then
    [ "$mode" = auto ] && { log "no $exe: Windows cases skipped (scripts/build-windows.sh builds it)"; return 0; }
    log "no $exe: run scripts/build-windows.sh first"; return 1
  fi
  # Five interleaved rounds, medians reported, as for the Linux cases.
  local wargs=(--rounds 5) arg
  for arg in "$@"; do
    case "$arg" in --quick|--calls|[0-9]*) wargs+=("$arg") ;; esac
  done
  local wtmp
  wtmp=$(mktemp "${TMPDIR:-/tmp}/bitbridge-winbench.XXXXXX.json")
  log "running $exe ${wargs[*]} under Wine"
  "$root/tools/windows/wine-run.sh" --persist
  local rc=0
  "$root/tools/windows/wine-run.sh" "$exe" "${wargs[@]}" --json "$wtmp" || rc=$?
  "$root/tools/windows/wine-run.sh" --kill
  if [ "$rc" = 0 ]; then
    mkdir -p "$out"
    install -m 0644 "$wtmp" "$out/results-windows.json"
    log "wrote $out/results-windows.json"
  else
    log "warning: the Windows bench failed (exit $rc); docs/bench/results-windows.json left as it was"
  fi
  rm -f "$wtmp"
  return "$rc"
}
if [ "${BITBRIDGE_BENCH_WINDOWS:-auto}" = only ]; then
  windows_bench "$@"
  exit
fi

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
# Under flock(1) on /tmp/bitbridge-build.lock: builds that take the same lock (on a 2-core
# machine, two at once slow each other down) run one after the other.
lock=()
if command -v flock >/dev/null; then lock=(flock /tmp/bitbridge-build.lock); fi
BITBRIDGE_BUILD_DIR=$build BITBRIDGE_BUILD_TYPE=Release "${lock[@]}" "$root/scripts/build.sh" \
  -DBITBRIDGE_BUILD_TESTS=OFF -DBITBRIDGE_BUILD_EXAMPLES=OFF -DBITBRIDGE_BUILD_BENCH=ON >/dev/null

# Other builds and tests (an ASan build, ctest) on a 2-core machine change every figure. Wait
# until none has run for BITBRIDGE_BENCH_QUIET seconds. Our own ancestors (whatever started this
# script) are not counted, whatever their command line says.
ancestors() {
  local pid=$$
  while [ "$pid" -gt 1 ] 2>/dev/null; do
    echo "$pid"
    pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null) || break
  done
}
other_builds() {
  local mine pid
  mine=" $(ancestors | tr '\n' ' ') "
  for pid in $(pgrep -f 'cmake --build|ctest|make' || true); do
    case "$mine" in *" $pid "*) continue ;; esac
    [ -r "/proc/$pid/cmdline" ] || continue
    printf '%s %s\n' "$pid" "$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | cut -c1-100)"
  done
}
wait_for_quiet() {
  local need=${BITBRIDGE_BENCH_QUIET:-10} max=${BITBRIDGE_BENCH_QUIET_MAX:-3600}
  [ "$need" -gt 0 ] || return 0
  local start=$SECONDS quiet_since=$SECONDS next_log=$SECONDS busy
  while :; do
    busy=$(other_builds)
    if [ -n "$busy" ]; then
      quiet_since=$SECONDS
      if [ "$SECONDS" -ge "$next_log" ]; then
        log "waiting for other builds/tests to end ($((SECONDS - start)) s so far):"
        printf '%s\n' "$busy" | head -n 3 | sed 's/^/bench:   /' >&2
        next_log=$((SECONDS + 60))
      fi
    elif [ $((SECONDS - quiet_since)) -ge "$need" ]; then
      if [ "$SECONDS" -gt "$((start + need))" ]; then
        log "quiet for ${need} s after $((SECONDS - start)) s"
      fi
      return 0
    fi
    if [ $((SECONDS - start)) -ge "$max" ]; then
      log "warning: still not quiet after ${max} s; measuring anyway (see the load average)"
      return 0
    fi
    sleep 1
  done
}
wait_for_quiet

mkdir -p "$out"
# Five interleaved rounds, medians reported: a drift of the machine during the run then moves
# every case alike, and the ratios between cases stay meaningful.
rounds=(--rounds 5)
log "running $build/stage/bin/bitbridge-bench64 ${rounds[*]} $*"
# Written to a temporary file first: a failed run leaves the recorded results untouched.
tmp=$(mktemp "${TMPDIR:-/tmp}/bitbridge-bench.XXXXXX.json")
trap 'rm -f "$tmp" "$tmp.dat" "$tmp.rate" "$tmp.one-cpu" "$tmp.bulk"' EXIT
"$build/stage/bin/bitbridge-bench64" "${rounds[@]}" --json "$tmp" "$@"
one_cpu_cases=floor_socketpair,capnp_ezrpc_uds,capnp_ezrpc_uds_64to32,bitbridge_uds_64to32,bitbridge_uds_32to64
one_cpu_cases+=,bitbridge_shm_64to32,bitbridge_shm_32to64
log "diagnostic pass on one CPU: $one_cpu_cases"
"$build/stage/bin/bitbridge-bench64" --pin-cpu 0 --rounds 3 --calls 30000 "$@" --case "$one_cpu_cases" \
  --json "$tmp.one-cpu" >/dev/null
# Bulk data: 1 MiB, 64 MiB and 1 GiB to a 32-bit host and back (needs ~1 GiB free in /dev/shm
# and ~3 GiB of memory). A failure here keeps the latency results and the previous bulk.json.
bulk_args=()
for arg in "$@"; do
  if [ "$arg" = --quick ]; then bulk_args+=(--quick); fi
done
bulk_bench=$build/stage/bin/bitbridge-bulk-bench
log "running $bulk_bench${bulk_args[*]:+ ${bulk_args[*]}} --json docs/bench/bulk.json"
bulk_ok=0
if "$bulk_bench" "${bulk_args[@]}" --json "$tmp.bulk"; then
  bulk_ok=1
else
  log "warning: $bulk_bench failed; docs/bench/bulk.json and its table are left as they were"
fi
install -m 0644 "$tmp" "$out/results.json"
install -m 0644 "$tmp.one-cpu" "$out/results-one-cpu.json"
if [ "$bulk_ok" = 1 ]; then install -m 0644 "$tmp.bulk" "$out/bulk.json"; fi

command_line="scripts/bench.sh${*:+ $*}
# which builds $(basename "$build") in Release and runs:
#   $(basename "$build")/stage/bin/bitbridge-bench64 ${rounds[*]} --json docs/bench/results.json${*:+ $*}
#   $(basename "$build")/stage/bin/bitbridge-bench64 --pin-cpu 0 --rounds 3 --calls 30000${*:+ $*} \\
#       --case $one_cpu_cases --json docs/bench/results-one-cpu.json
#   $(basename "$build")/stage/bin/bitbridge-bulk-bench${bulk_args[*]:+ ${bulk_args[*]}} --json docs/bench/bulk.json"
bulk_command="$(basename "$build")/stage/bin/bitbridge-bulk-bench${bulk_args[*]:+ ${bulk_args[*]}} --json docs/bench/bulk.json
# (run by scripts/bench.sh after bitbridge-bench64)"
render=(python3 "$root/bench/render_report.py" "$out/results.json" --plot-data "$tmp.dat"
        --plot-rate-data "$tmp.rate" --one-cpu "$out/results-one-cpu.json"
        --markdown "$root/docs/performance.md" --command "$command_line")
if [ "$bulk_ok" = 1 ]; then render+=(--bulk "$out/bulk.json" --bulk-command "$bulk_command"); fi
"${render[@]}"
if ensure_gnuplot; then
  gnuplot -e "datafile='$tmp.dat'; ratefile='$tmp.rate'; outfile='$out/latency.png'" \
    "$root/bench/latency.gnuplot"
  log "wrote $out/latency.png"
fi
written="$out/results.json, $out/results-one-cpu.json"
if [ "$bulk_ok" = 1 ]; then written+=", $out/bulk.json"; fi
log "wrote $written and updated docs/performance.md"
windows_bench "$@" || true
