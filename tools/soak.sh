#!/usr/bin/env bash
# Soak test for supervision: runs the kill -9 loop and the rest of the supervision suite over
# and over, from the 64-bit and the 32-bit test binary (hosts of both bitnesses, both
# transports each). Each round is 800 kill -9 cycles plus the watchdog, restart and orphan cases.
#   tools/soak.sh [rounds]      (default 20; needs a build: scripts/build.sh)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_BUILD_DIR:-$root/build}
rounds=${1:-20}
for platform in linux-x86_64 linux-x86; do
  binary="$build/$platform/tests/bitbridge_integration_tests"
  [ -x "$binary" ] || { echo "soak: $binary missing; run scripts/build.sh first" >&2; exit 1; }
  echo "soak: $platform, $rounds rounds" >&2
  "$binary" --gtest_filter='*Supervision*' --gtest_repeat="$rounds" --gtest_break_on_failure \
    | grep -E '^\[  (PASSED|FAILED) ' | sort | uniq -c
done
leftover=$(ls /dev/shm | grep '^bitbridge-' || true)
[ -z "$leftover" ] || { echo "soak: left in /dev/shm: $leftover" >&2; exit 1; }
echo "soak: passed" >&2
