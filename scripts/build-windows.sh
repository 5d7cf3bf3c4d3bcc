#!/usr/bin/env bash
# Installs what the Windows builds need (scripts/setup-windows.sh: mingw-w64, Wine, Cap'n Proto
# per triple, a private Wine prefix), then configures and builds both Windows platforms
# (windows-x86 and windows-x86_64) with one CMake superbuild: bitbridge-host32.exe,
# bitbridge-host64.exe, bitbridge-core.dll, the Windows example and tests, in
# <build>/stage/bin/x86/ and <build>/stage/bin/x86_64/. See docs/windows.md.
#   BITBRIDGE_WINDOWS_BUILD_DIR   build directory (default: <repo>/build-windows)
#   BITBRIDGE_BUILD_TYPE          CMake build type (default: RelWithDebInfo)
#   extra arguments are passed to the CMake configure step
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_WINDOWS_BUILD_DIR:-$root/build-windows}

"$root/scripts/setup-windows.sh"
echo "build-windows: configuring $build" >&2
cmake -S "$root" -B "$build" -DBITBRIDGE_PLATFORMS="windows-x86;windows-x86_64" \
  -DBITBRIDGE_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE="${BITBRIDGE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
echo "build-windows: building both Windows bitnesses (a few minutes the first time)" >&2
cmake --build "$build" -j"$(nproc)"
