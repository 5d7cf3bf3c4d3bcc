#!/usr/bin/env bash
# Proves the Windows toolchain end to end: builds tools/windows/smoke with
# cmake/toolchains/windows-x86.cmake and windows-x86_64.cmake against the prefixes of
# scripts/setup-windows.sh (run that first), checks each .exe's PE machine, and runs it under Wine
# (directly, and through ctest's CMAKE_CROSSCOMPILING_EMULATOR). Exits non-zero on any failure.
#
#   BITBRIDGE_SMOKE_DIR   build directory (default: <repo>/build-windows-smoke)
#   BITBRIDGE_JOBS        parallel compile jobs (default: nproc)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BITBRIDGE_SMOKE_DIR:-$root/build-windows-smoke}
wine_run="$root/tools/windows/wine-run.sh"
jobs=${BITBRIDGE_JOBS:-$(nproc)}

log() { printf 'smoke: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f s", b - a}'; }
# Stop this prefix's wineserver however we leave: no Wine process outlives the smoke test.
trap '"$wine_run" --kill' EXIT

deps=${BITBRIDGE_WINDOWS_DEPS:-$HOME/.cache/bitbridge/windows}
for triple in i686-w64-mingw32 x86_64-w64-mingw32; do
  [ -f "$deps/$triple/bitbridge-deps.stamp" ] ||
    { log "no dependencies for $triple in $deps: run scripts/setup-windows.sh first"; exit 1; }
done

mkdir -p "$build"
failed=0
for arch in x86 x86_64; do
  case $arch in
    x86) bits=32 pe='PE32 executable (console) Intel 80386';;
    x86_64) bits=64 pe='PE32+ executable (console) x86-64';;
  esac
  dir="$build/$arch"
  t0=$(now)
  if ! { cmake -G Ninja -S "$root/tools/windows/smoke" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
           -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/windows-$arch.cmake" &&
         cmake --build "$dir" -j"$jobs"; } >"$dir.log" 2>&1; then
    tail -n 30 "$dir.log" >&2
    log "windows-$arch: build failed (log: $dir.log)"; failed=1; continue
  fi
  log "windows-$arch: configured and built in $(since "$t0")"

  exe="$dir/bitbridge-windows-smoke.exe"
  if ! file "$exe" | grep -qF "$pe"; then
    log "windows-$arch: $exe is not a $pe: $(file -b "$exe")"; failed=1; continue
  fi

  t0=$(now)
  if ! output=$(timeout 120 "$wine_run" "$exe" 2>&1); then
    printf '%s\n' "$output" >&2
    log "windows-$arch: $exe failed under Wine"; failed=1; continue
  fi
  printf '%s\n' "$output" | sed "s/^/  [$arch] /" >&2
  if ! printf '%s\n' "$output" | grep -q "pointer width: $bits bits: ok"; then
    log "windows-$arch: expected a $bits-bit process"; failed=1; continue
  fi
  log "windows-$arch: ran under Wine in $(since "$t0")"

  t0=$(now)
  if ! ctest --test-dir "$dir" --output-on-failure --timeout 120 >"$dir.ctest.log" 2>&1; then
    cat "$dir.ctest.log" >&2
    log "windows-$arch: ctest (through the Wine emulator) failed"; failed=1; continue
  fi
  log "windows-$arch: ctest through the emulator passed ($(grep -c ' Passed ' "$dir.ctest.log") tests) in $(since "$t0")"
done

if [ "$failed" -ne 0 ]; then
  log "FAILED"
  exit 1
fi
log "passed: 32- and 64-bit Windows builds run under Wine"
