#!/usr/bin/env bash
# Runs the legacy-stdcall example under Wine: the 64-bit demo (spawned 32-bit host), the 32-bit
# reverse demo (spawned 64-bit host), then the 64-bit demo again through COM activation, with
# bitbridge-host32.exe registered for it (--regserver) and unregistered afterwards. Exits
# non-zero when any step fails. Stops the Wine prefix's wineserver at the end (so do not run it
# while other programs use the same prefix).
#
#   examples/legacy-stdcall/run-under-wine.sh [STAGE_DIR]
#
# STAGE_DIR: the Windows superbuild's stage (default: <repo>/build-windows/stage), built with
#   cmake -S . -B build-windows -DBITBRIDGE_PLATFORMS="windows-x86;windows-x86_64" && \
#   cmake --build build-windows
# The Wine prefix is tools/windows/wine-run.sh's (BITBRIDGE_WINEPREFIX overrides it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
stage=${1:-$repo/build-windows/stage}
wine_run=$repo/tools/windows/wine-run.sh
bin32=$stage/bin/x86
bin64=$stage/bin/x86_64

for file in "$bin64/legacy-stdcall-demo.exe" "$bin32/legacy-stdcall-reverse.exe" \
            "$bin32/bitbridge-host32.exe" "$bin32/libstdcall_component.dll" \
            "$bin32/legacy_stdcall.dll" "$bin64/libstdcall_wide_component.dll"; do
  if [ ! -f "$file" ]; then
    echo "run-under-wine: $file is missing; build the Windows superbuild first (see the top of $0)" >&2
    exit 1
  fi
done

registered=0
log=$(mktemp)
cleanup() {
  status=$?
  rm -f "$log"
  if [ "$registered" = 1 ]; then
    "$wine_run" "$bin32/bitbridge-host32.exe" --unregserver || status=1
  fi
  "$wine_run" --kill
  if [ "$status" = 0 ]; then echo "== all legacy-stdcall demos passed"; else echo "== FAILED" >&2; fi
  exit "$status"
}
trap cleanup EXIT

# Each demo has its own time limit: a hung host must fail the run, not stall it.
run() { timeout 120 "$wine_run" "$@"; }

echo "== 64-bit program -> 32-bit __stdcall DLL (Host::spawn)"
run "$bin64/legacy-stdcall-demo.exe"

echo "== 32-bit program -> 64-bit component (Host::spawn)"
run "$bin32/legacy-stdcall-reverse.exe"

echo "== 64-bit program -> 32-bit __stdcall DLL (Host::activateCom)"
run "$bin32/bitbridge-host32.exe" --regserver
registered=1
run "$bin64/legacy-stdcall-demo.exe" --com | tee "$log"
grep -q "activated through COM" "$log"
