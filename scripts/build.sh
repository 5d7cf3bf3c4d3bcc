#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then configures and builds every platform
# (32-bit and 64-bit) with one CMake superbuild.
#   BITBRIDGE_BUILD_DIR   build directory (default: <repo>/build)
#   BITBRIDGE_BUILD_TYPE  CMake build type (default: RelWithDebInfo)
#   extra arguments are passed to the CMake configure step (e.g. -DBITBRIDGE_WERROR=ON)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh"
echo "build: configuring $build" >&2
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${BITBRIDGE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
echo "build: building both bitnesses (this takes a few minutes the first time)" >&2
cmake --build "$build" -j"$(nproc)"
