#!/usr/bin/env bash
# Quick start, part 2: set up, build both bitnesses, and run every test of both (ctest).
# Then the same suite again, built with AddressSanitizer + UndefinedBehaviorSanitizer
# (BITBRIDGE_SKIP_SANITIZERS=1 skips that second pass for a quick local run; CI runs it).
# Then the Windows builds (mingw-w64, both bitnesses) and their suites under Wine
# (BITBRIDGE_SKIP_WINDOWS=1 skips them for a quick local run; CI runs them).
# Between the two, the fuzz targets for BITBRIDGE_FUZZ_SECONDS (20) each (BITBRIDGE_SKIP_FUZZ=1).
# Exits non-zero on any failure. Extra arguments are passed to ctest (e.g. -R calc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_BUILD_DIR:-$root/build}

"$root/scripts/build.sh" >/dev/null
# Each test has its own timeout (set in tests/CMakeLists.txt); this is the backstop.
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900 "$@"

if [ "${BITBRIDGE_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "test: again with AddressSanitizer + UndefinedBehaviorSanitizer" >&2
  BITBRIDGE_BUILD_DIR="$build-asan" BITBRIDGE_BUILD_TYPE=Debug \
    "$root/scripts/build.sh" -DBITBRIDGE_SANITIZE=ON -DBITBRIDGE_BUILD_BENCH=OFF >/dev/null
  # detect_leaks=0: hosts are ended with SIGKILL by design in fault tests; leak reports at
  # exit would be about that, not about bitbridge. Everything else aborts the process.
  # handle_segv/sigbus=0: fault tests crash hosts on purpose and expect the real signal.
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:handle_segv=0:handle_sigbus=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir "$build-asan" --output-on-failure -j"$(nproc)" --timeout 900 \
      -E 'BulkBeyond4GiB|bigmem|out_of_tree' "$@"
fi

if [ $# -gt 0 ]; then
  echo "test: ctest arguments given; the fuzz run is skipped" >&2
elif [ "${BITBRIDGE_SKIP_FUZZ:-0}" != 1 ]; then
  # The libFuzzer targets, built with clang (which also catches what GCC accepts) and run for a
  # short, bounded time each; a finding fails the run. Long runs: tools/fuzz.sh (docs/fuzzing.md).
  seconds=${BITBRIDGE_FUZZ_SECONDS:-20}
  echo "test: the fuzz targets, ${seconds} s each (clang, ASan+UBSan)" >&2
  BITBRIDGE_FUZZ_BUILD_DIR="${BITBRIDGE_FUZZ_BUILD_DIR:-$build-fuzz}" "$root/tools/fuzz.sh" "$seconds"
fi

if [ "${BITBRIDGE_SKIP_WINDOWS:-0}" != 1 ]; then
  echo "test: the Windows builds, under Wine" >&2
  windows=${BITBRIDGE_WINDOWS_BUILD_DIR:-$root/build-windows}
  "$root/scripts/build-windows.sh" >/dev/null
  "$root/tools/windows/wine-run.sh" --persist  # one wineserver for the whole run
  status=0
  ctest --test-dir "$windows" --output-on-failure -j"$(nproc)" --timeout 900 "$@" || status=$?
  "$root/tools/windows/wine-run.sh" --kill || true  # no wineserver left behind
  exit "$status"
fi
