#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ (docs/fuzzing.md).
#
#   tools/fuzz.sh [--merge] [seconds] [target...]
#     seconds   how long each target runs (default 60)
#     target    binary_header, bulk_checks, c_binding, host_connection, lane_slot, shm_ring
#               (default: all, one after another)
#     --merge   afterwards, merge inputs that add coverage into tests/fuzz/corpus/<target>/
#               (review and commit them like any other test data)
#
# Builds a separate 64-bit tree (BITBRIDGE_FUZZ_BUILD_DIR, default <repo>/build-fuzz) with
# clang-14 and -fsanitize=fuzzer,address,undefined: bridge-core and the targets only. The
# committed corpus is read as seeds but never written (unless --merge): new inputs go to
# <build>/corpus/<target>/, findings (crash-*, timeout-*, leak-*, oom-*) to
# <build>/artifacts/<target>/, the full log to <build>/logs/<target>.log.
# Exits non-zero if any target reported a finding. Installs clang-14 and libclang-rt-14-dev
# with apt when missing (as root or through sudo), like scripts/setup.sh does for the rest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_FUZZ_BUILD_DIR:-$root/build-fuzz}
all_targets=(binary_header bulk_checks c_binding host_connection lane_slot shm_ring)

log() { printf 'fuzz: %s\n' "$*" >&2; }
die() { printf 'fuzz: error: %s\n' "$*" >&2; exit 1; }

merge=0 seconds=60 targets=()
for arg in "$@"; do
  case "$arg" in
    --merge) merge=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *[!0-9]*|'')
      name=${arg#fuzz_}
      [[ " ${all_targets[*]} " == *" $name "* ]] || die "unknown target '$arg' (targets: ${all_targets[*]})"
      targets+=("$name") ;;
    *) seconds=$arg ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# --- toolchain: clang-14 with libFuzzer (Debian: clang-14, libclang-rt-14-dev) ---------------
have_toolchain() {
  command -v clang++-14 >/dev/null && command -v clang-14 >/dev/null &&
    compgen -G "/usr/lib/llvm-14/lib/clang/14*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null
}
if ! have_toolchain; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null ||
      die "clang-14 with libFuzzer is missing; install it with: apt-get install clang-14 libclang-rt-14-dev"
    sudo=(sudo)
  fi
  log "installing clang-14 libclang-rt-14-dev"
  "${sudo[@]}" apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev >&2 ||
    die "apt-get install failed; install them yourself: apt-get install clang-14 libclang-rt-14-dev"
  have_toolchain || die "libclang_rt.fuzzer-x86_64.a still missing after installing libclang-rt-14-dev"
fi
"$root/scripts/setup.sh"  # capnp, spdlog, gtest... (idempotent)

# --- build ---------------------------------------------------------------------------------
# One platform build (no superbuild): 64-bit only, no examples or benchmark. Everything gets
# coverage instrumentation (fuzzer-no-link) and ASan+UBSan (BITBRIDGE_SANITIZE); only the
# fuzz targets are linked with libFuzzer's main (BITBRIDGE_FUZZ).
log "configuring $build (clang-14, -fsanitize=fuzzer,address,undefined)"
cmake -S "$root" -B "$build" \
  -DBITBRIDGE_PLATFORM=linux-x86_64 \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/linux-x86_64.cmake" \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="-m64 -fsanitize=fuzzer-no-link" \
  -DCMAKE_CXX_FLAGS="-m64 -fsanitize=fuzzer-no-link" \
  -DBITBRIDGE_SANITIZE=ON -DBITBRIDGE_FUZZ=ON \
  -DBITBRIDGE_BUILD_EXAMPLES=OFF -DBITBRIDGE_BUILD_BENCH=OFF -DBITBRIDGE_BUILD_TESTS=ON >/dev/null
log "building ${targets[*]}"
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >"$build/build.log" 2>&1 ||
  { tail -n 30 "$build/build.log" >&2; die "build failed (full log: $build/build.log)"; }

# --- run -----------------------------------------------------------------------------------
# halt_on_error/abort: any sanitizer report is a finding. detect_leaks: libFuzzer checks every
# input for leaks (-detect_leaks=1 is its default under ASan).
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
for target in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz_$target"
  committed="$root/tests/fuzz/corpus/$target"
  scratch="$build/corpus/$target"
  artifacts="$build/artifacts/$target"
  mkdir -p "$scratch" "$artifacts" "$build/logs"
  logfile="$build/logs/$target.log"
  # Findings of earlier runs stay where they are; only new files count as this run's.
  earlier=$(find "$artifacts" -type f | wc -l)
  log "running fuzz_$target for ${seconds}s (log: $logfile)"
  # New inputs go to the first directory only: the committed corpus is read, not written.
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: 2 GiB per process.
  status=0
  "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$scratch" "$committed" >"$logfile" 2>&1 || status=$?
  # The last status line: "#<runs> DONE cov: <edges> ft: <features> corp: <n>/<size> ... exec/s: <n>"
  summary=$(grep -E '^#[0-9]+' "$logfile" | tail -n 1 || true)
  execs=$(grep -E '^stat::average_exec_per_sec:' "$logfile" | awk '{print $2}' || true)
  log "fuzz_$target: ${summary:-no status line} (average ${execs:-?} exec/s)"
  if [ "$status" -ne 0 ] || [ "$(find "$artifacts" -type f | wc -l)" -gt "$earlier" ]; then
    log "fuzz_$target: FINDING (exit $status); see $logfile and $artifacts/"
    grep -E 'ERROR|SUMMARY|fuzz_[a-z_]+: |Test unit written' "$logfile" | head -n 10 >&2 || true
    failed+=("$target")
  fi
  if [ "$merge" = 1 ]; then
    before=$(ls "$committed" | wc -l)
    "$exe" -merge=1 -timeout=10 "$committed" "$scratch" >>"$logfile" 2>&1 ||
      die "merge into $committed failed (log: $logfile)"
    log "fuzz_$target: merged; $committed has $(ls "$committed" | wc -l) inputs (was $before)"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  log "findings in: ${failed[*]}. To keep one as a regression test, copy it into"
  log "tests/fuzz/corpus/<target>/ with a descriptive name (the replay tests then run it)."
  exit 1
fi
log "no findings"
