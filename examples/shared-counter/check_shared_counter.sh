#!/bin/sh
# The shared-counter example's test: a 64-bit and then a 32-bit client add to the counter of
# the same shared 32-bit host, and each must see what the other left.
#   check_shared_counter.sh <shared-counter-client64> <shared-counter-client32>
# A private XDG_RUNTIME_DIR keeps it apart from other runs; it ends only after the host has
# left on its idle timeout, so no host outlives the test.
set -eu
. "$(dirname "$0")/two_clients_checks.sh"
client64=$1
client32=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export XDG_RUNTIME_DIR="$dir"
fail() { echo "FAIL: $*" >&2; exit 1; }
# A process that exists and is not a zombie (a detached host is reaped by init, which in some
# containers never happens: kill -0 alone would still see it).
alive() {
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ]
}

out64=$("$client64" --name check --add 1 --idle-timeout 3000) || fail "64-bit client failed"
echo "$out64"
out32=$("$client32" --name check --add 2 --idle-timeout 3000) || fail "32-bit client failed"
echo "$out32"

check_two_clients "$out64" "$out32"

# The host leaves by itself after 3 s without clients, and takes its socket with it.
i=0
while alive "$host64" || [ -e "$dir/bitbridge/check-x86.sock" ]; do
  i=$((i + 1))
  [ "$i" -le 150 ] || fail "the shared host (pid $host64) did not exit on its idle timeout"
  sleep 0.1
done
echo "shared host $host64 exited on its idle timeout; both clients saw one count"
