# Sourced by check_shared_counter.sh (Linux) and run-under-wine.sh (Windows): what a 64-bit and
# then a 32-bit client of one shared 32-bit host must have printed. The caller defines fail().
#
#   check_two_clients "$out64" "$out32"
# fails unless the first client is 64-bit and the second 32-bit, both reached the same host, the
# second saw the count the first left and added 2 to it; then sets host64 (that host's pid) and
# after64 (the count the first client left).

field() { echo "$1" | sed -n "$2"; }
host_pid() { field "$1" 's/^host: 32-bit pid \([0-9][0-9]*\) .*/\1/p'; }
count_before() { field "$1" 's/^count: \(-\{0,1\}[0-9][0-9]*\) -> .*/\1/p'; }
count_after() { field "$1" 's/^count: -\{0,1\}[0-9]* -> \(-\{0,1\}[0-9][0-9]*\) .*/\1/p'; }

check_two_clients() {
  host64=$(host_pid "$1")
  after64=$(count_after "$1")
  _host32=$(host_pid "$2")
  _before32=$(count_before "$2")
  _after32=$(count_after "$2")
  echo "$1" | grep -q '^client: 64-bit ' || fail "the first client is not 64-bit"
  echo "$2" | grep -q '^client: 32-bit ' || fail "the second client is not 32-bit"
  [ -n "$host64" ] || fail "the 64-bit client did not report a 32-bit host"
  [ "$host64" = "$_host32" ] || fail "the clients reached different hosts ($host64, $_host32)"
  [ "$_before32" = "$after64" ] || fail "the 32-bit client saw $_before32, not the $after64 left"
  [ "$_after32" = $((after64 + 2)) ] || fail "the count went from $_before32 to $_after32, not +2"
}
