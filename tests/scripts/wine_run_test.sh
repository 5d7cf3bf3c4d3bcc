#!/usr/bin/env bash
# tools/windows/wine-run.sh's own rules, with a fake `wine` on PATH (no Wine needed): the exit
# status it returns for a program that ends normally, that Wine's server kills in its exit after
# its tests passed (SIGKILL, SIGSEGV), that is killed without having passed, and a launch that
# Wine itself failed ("ShellExecuteEx failed: Internal error.", retried). Also that Wine's TMPDIR
# is the directory BITBRIDGE_WINE_TMPDIR names.
#   wine_run_test.sh WINE_RUN_SH
set -uo pipefail
wine_run=${1:?usage: wine_run_test.sh path/to/wine-run.sh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A prefix that wine-run.sh takes as ready, so it never runs wineboot.
export BITBRIDGE_WINEPREFIX="$work/prefix"
mkdir -p "$BITBRIDGE_WINEPREFIX"
touch "$BITBRIDGE_WINEPREFIX/system.reg" "$BITBRIDGE_WINEPREFIX/.bitbridge-ready"
export BITBRIDGE_WINE_TMPDIR="$work/winetmp"

mkdir "$work/bin"
cat >"$work/bin/wine" <<'FAKE'
#!/usr/bin/env bash
# The fake wine: FAKE_CASE chooses what the "program" does.
echo "$TMPDIR" >"$FAKE_DIR/tmpdir-seen"
case "$FAKE_CASE" in
  passed-then-killed) echo "[==========] 2 tests from 1 test suite ran."; echo "[  PASSED  ] 2 tests."; kill -KILL $$;;
  passed-then-segv) echo "[  PASSED  ] 1 test."; kill -SEGV $$;;
  failed-then-killed) echo "[  PASSED  ] 1 test."; echo "[  FAILED  ] 1 test, listed below:"; kill -KILL $$;;
  no-gtest-killed) echo "some demo output"; kill -KILL $$;;
  passed-exit-3) echo "[  PASSED  ] 1 test."; exit 3;;
  exit-0) exit 0;;
  launch-fails-once)
    if [ ! -f "$FAKE_DIR/launched" ]; then
      touch "$FAKE_DIR/launched"
      echo "Application could not be started, or no application associated with the specified file."
      echo "ShellExecuteEx failed: Internal error."
      exit 1
    fi
    echo "ran"; exit 9;;
esac
FAKE
chmod +x "$work/bin/wine"
export FAKE_DIR=$work

failures=0
expect() {  # expect CASE STATUS [STDERR_PATTERN]
  local case=$1 want=$2 pattern=${3:-} got=0
  rm -f "$work/launched"
  FAKE_CASE=$case PATH="$work/bin:$PATH" "$wine_run" prog.exe >"$work/out" 2>"$work/err" || got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $case: status $got, expected $want; stderr:"; cat "$work/err"; failures=$((failures + 1))
  elif [ -n "$pattern" ] && ! grep -q -- "$pattern" "$work/err"; then
    echo "FAIL $case: stderr lacks '$pattern':"; cat "$work/err"; failures=$((failures + 1))
  else
    echo "ok   $case -> $got"
  fi
}

expect exit-0 0
expect passed-exit-3 3
expect passed-then-killed 0 "ended by SIGKILL (status 137) after its tests passed"
expect passed-then-segv 0 "ended by SIGSEGV (status 139) after its tests passed"
expect failed-then-killed 137 "ended by SIGKILL (status 137). If it had finished"
expect no-gtest-killed 137 "ended by SIGKILL (status 137). If it had finished"
expect launch-fails-once 9 "starting it again"

if [ "$(cat "$work/tmpdir-seen")" != "$BITBRIDGE_WINE_TMPDIR" ]; then
  echo "FAIL: wine saw TMPDIR=$(cat "$work/tmpdir-seen"), expected $BITBRIDGE_WINE_TMPDIR"; failures=$((failures + 1))
else
  echo "ok   Wine's TMPDIR is BITBRIDGE_WINE_TMPDIR"
fi
[ "$failures" -eq 0 ] || { echo "$failures case(s) failed"; exit 1; }
echo "all cases passed"
