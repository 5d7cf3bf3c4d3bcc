#!/usr/bin/env bash
# Runs the shared-counter example under Wine: a 64-bit and then a 32-bit client add to the one
# counter of the same shared bitbridge-host32.exe (started detached by the first client), and
# each must see what the other left; then, after the host's idle timeout, a client finds it gone
# and starts a new host, whose count starts again at 0. Exits non-zero when any step fails.
#
#   examples/shared-counter/run-under-wine.sh [--keep-wine] [STAGE_DIR]
#
# STAGE_DIR: the Windows superbuild's stage (default: <repo>/build-windows/stage; see
# scripts/build-windows.sh). The Wine prefix is tools/windows/wine-run.sh's (BITBRIDGE_WINEPREFIX
# overrides it). Without --keep-wine the prefix's wineserver is stopped at the end (so do not
# run it so while other programs use the prefix); ctest passes --keep-wine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
keep_wine=0
if [ "${1:-}" = "--keep-wine" ]; then
  keep_wine=1
  shift
fi
stage=${1:-$repo/build-windows/stage}
wine_run=$repo/tools/windows/wine-run.sh
client64=$stage/bin/x86_64/shared-counter-client64.exe
client32=$stage/bin/x86/shared-counter-client32.exe

for file in "$client64" "$client32" "$stage/bin/x86/bitbridge-host32.exe" \
            "$stage/bin/x86/libshared_counter_component.dll"; do
  if [ ! -f "$file" ]; then
    echo "run-under-wine: $file is missing; build the Windows superbuild first (scripts/build-windows.sh)" >&2
    exit 1
  fi
done

cleanup() {
  status=$?
  [ "$keep_wine" = 1 ] || "$wine_run" --kill
  if [ "$status" = 0 ]; then echo "== the shared-counter demo passed"; else echo "== FAILED" >&2; fi
  exit "$status"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A name of this run's own, so that no other run's host (or a user's) is met; a short idle time.
name=demo-$$
idle=3000
# Each client has its own time limit: a hung host must fail the run, not stall it.
client() { timeout 120 "$wine_run" "$@" --name "$name" --idle-timeout "$idle" | tr -d '\r'; }
. "$here/two_clients_checks.sh"

echo "== 64-bit program -> shared 32-bit host (Host::connectShared)"
out64=$(client "$client64" --add 1) || fail "the 64-bit client failed"
echo "$out64"
echo "== 32-bit program -> the same shared 32-bit host"
out32=$(client "$client32" --add 2) || fail "the 32-bit client failed"
echo "$out32"

check_two_clients "$out64" "$out32"
[ "$after64" = 1 ] || fail "the first client of a new host saw the count end at $after64, not 1"

echo "== after the host's idle timeout ($idle ms): a new host, a new count"
sleep $((idle / 1000 + 2))
out=$(client "$client64" --add 5) || fail "the third client failed"
echo "$out"
host=$(host_pid "$out")
after=$(count_after "$out")
[ -n "$host" ] && [ "$host" != "$host64" ] || fail "host $host64 did not exit on its idle timeout"
[ "$after" = 5 ] || fail "the new host's count went to $after, not 5"
