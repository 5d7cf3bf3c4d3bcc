#!/usr/bin/env bash
# Quick start, part 2: set up, build both bitnesses, and run every test of both (ctest).
# Exits non-zero on any failure. Extra arguments are passed to ctest (e.g. -R calc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_BUILD_DIR:-$root/build}

"$root/scripts/build.sh" >/dev/null
# Each test has its own timeout (set in tests/CMakeLists.txt); this is the backstop.
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900 "$@"
