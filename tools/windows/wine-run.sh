#!/usr/bin/env bash
# Runs a Windows program under Wine in bitbridge's private Wine prefix; the
# CMAKE_CROSSCOMPILING_EMULATOR of cmake/toolchains/windows-*.cmake, so ctest runs .exe tests
# through it. Creates the prefix on first use (`wineboot -i`, ~15 s), serialised by a lock so
# that parallel ctest jobs do not race to create it.
#
#   tools/windows/wine-run.sh PROGRAM.exe [ARG...]   run it; exit status is the program's
#   tools/windows/wine-run.sh --init                  only make sure the prefix exists
#   tools/windows/wine-run.sh --check                 exit 0 when the prefix exists, else 1
#   tools/windows/wine-run.sh --persist               keep this prefix's wineserver and Wine's own
#                                                     services running until --kill (see below)
#   tools/windows/wine-run.sh --kill                  stop the keeper and this prefix's wineserver
#
# Why --persist: the first program of a wineserver starts Wine's service processes (services.exe,
# explorer.exe, winedevice.exe, ...), and they inherit that program's stdout and stderr. Under
# ctest, whose test and test-discovery runs wait until their output pipes close, that program then
# "runs" until the services exit: 45 s once here, and forever with a persistent wineserver
# (`wineserver -p`), where they never exit. So a test run starts a keeper first: a Windows program
# with its output on /dev/null that waits on stdin, which keeps the server and the services (also
# on /dev/null) alive for the whole run, until --kill ends it.
#
# Environment: BITBRIDGE_WINEPREFIX (default: ${BITBRIDGE_WINDOWS_DEPS:-~/.cache/bitbridge/windows}/wine).
# WINEPREFIX itself is ignored on purpose, so a user's own ~/.wine is never touched.
# WINEDEBUG=-all silences Wine's fixme/err chatter; WINEDLLOVERRIDES="mscoree,mshtml=" disables
# the Mono and Gecko installers that would otherwise prompt during wineboot, and winedbg.exe=d
# keeps a crashing test program from starting Wine's debugger (which prints pages and takes
# seconds). Console programs need no display or Xvfb.
set -euo pipefail

deps=${BITBRIDGE_WINDOWS_DEPS:-$HOME/.cache/bitbridge/windows}
export WINEPREFIX=${BITBRIDGE_WINEPREFIX:-$deps/wine}
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
export WINEARCH=win64  # one WoW64 prefix runs both 32- and 64-bit programs

# Wine keeps every section (CreateFileMapping on the page file: each bitbridge bulk buffer,
# ring and lane) in a file in its server directory, which Debian's Wine makes under $TMPDIR
# (the prefix's `wineserver` file names it). On a disk, and /tmp is one on our machines, each
# page of a section then goes to that disk: sorting 1.1 GiB of keys in a section took 85 s
# (examples/bigmem-offload), 5 s with the directory on tmpfs; on Windows a page-file section
# lives in RAM, as on tmpfs. So Wine's TMPDIR is a private directory in /dev/shm when that is a
# writable tmpfs (BITBRIDGE_WINE_TMPDIR chooses another); not named bitbridge-*, the names the
# Linux suite's no_shared_memory_left_behind requires to be gone. Every Wine command of this
# script sees the same TMPDIR and so finds the same wineserver; a `wine` started by hand on this
# prefix needs the same TMPDIR, or it starts a second wineserver.
wine_tmpdir() {
  if [ -n "${BITBRIDGE_WINE_TMPDIR:-}" ]; then
    echo "$BITBRIDGE_WINE_TMPDIR"
  elif [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
    echo "/dev/shm/wine-bitbridge-$(id -u)"
  else
    echo "${TMPDIR:-/tmp}"
  fi
}
wine_tmp=$(wine_tmpdir)
mkdir -p -m 700 "$wine_tmp"
export TMPDIR=$wine_tmp

ready() { [ -f "$WINEPREFIX/system.reg" ] && [ -f "$WINEPREFIX/.bitbridge-ready" ]; }

init_prefix() {
  ready && return 0
  mkdir -p "$(dirname "$WINEPREFIX")"
  exec 9>"$WINEPREFIX.lock"
  flock 9
  if [ ! -f "$WINEPREFIX/.bitbridge-ready" ]; then
    rm -rf "$WINEPREFIX"
    if ! wineboot -i >"$WINEPREFIX.log" 2>&1; then
      tail -n 20 "$WINEPREFIX.log" >&2
      echo "wine-run: wineboot -i failed for $WINEPREFIX (log: $WINEPREFIX.log)" >&2
      exit 1
    fi
    wineserver -w  # let wineboot finish writing the registry before anyone uses the prefix
    touch "$WINEPREFIX/.bitbridge-ready"
  fi
  exec 9>&-
}

stop_keeper() {  # the process group --persist started, if any
  local keeper="$WINEPREFIX.keeper"
  if [ -f "$keeper" ]; then
    kill -- "-$(cat "$keeper")" 2>/dev/null || true
    rm -f "$keeper"
  fi
}

# A Windows program that cannot start because a DLL it imports is missing ends with
# STATUS_DLL_NOT_FOUND (0xC0000135), which a Linux exit status cuts to 53, and Wine's own
# message about it is hidden by WINEDEBUG=-all. So after status 53 this names the DLLs that are
# missing, found the way the loader looks (the program's directory, WINEPATH, the prefix's system
# directory of that bitness), and the fix. Status 53 with nothing missing was the program's own.
pe_imports() {  # pe_imports FILE: the DLL names FILE imports, one per line
  x86_64-w64-mingw32-objdump -p "$1" 2>/dev/null | sed -n 's/^[[:space:]]*DLL Name: //p' | tr -d '\r'
}
explain_missing_dlls() {  # explain_missing_dlls PROGRAM
  local program=$1 system dirs=() entry
  command -v x86_64-w64-mingw32-objdump >/dev/null || return 0
  [ -f "$program" ] || program=$(command -v "$program" 2>/dev/null) || return 0
  case "$(x86_64-w64-mingw32-objdump -f "$program" 2>/dev/null)" in
    *pei-i386*) system="$WINEPREFIX/drive_c/windows/syswow64";;
    *pei-x86-64*) system="$WINEPREFIX/drive_c/windows/system32";;
    *) return 0;;
  esac
  dirs+=("$(cd "$(dirname "$program")" && pwd)")
  IFS=';' read -r -a entries <<<"${WINEPATH:-}"
  for entry in "${entries[@]}"; do  # Z:\\opt\\x or /opt/x
    entry=${entry//\\//}
    case "$entry" in [Zz]:/*) entry=${entry:2};; esac
    [ -n "$entry" ] && dirs+=("$entry")
  done
  dirs+=("$system")
  local queue=("$program") seen=" " missing=() file name found dir
  while [ ${#queue[@]} -gt 0 ]; do
    file=${queue[0]}
    queue=("${queue[@]:1}")
    while read -r name; do
      [ -n "$name" ] || continue
      case "${name,,}" in api-ms-*|ext-ms-*) continue;; esac  # Wine's API sets, always there
      [[ "$seen" == *" ${name,,} "* ]] && continue
      seen+="${name,,} "
      found=""
      for dir in "${dirs[@]}"; do
        found=$(find "$dir" -maxdepth 1 -iname "$name" -print -quit 2>/dev/null)
        [ -n "$found" ] && break
      done
      if [ -z "$found" ]; then
        missing+=("$name (needed by $(basename "$file"))")
      elif [ "$dir" != "$system" ]; then
        queue+=("$found")  # the system's DLLs are Wine's; only ours import more of ours
      fi
    done < <(pe_imports "$file")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  {
    echo "wine-run: $program could not start: status 0xC0000135 (STATUS_DLL_NOT_FOUND; exit status 53 under Wine): a DLL it needs was not found:"
    printf '  missing: %s\n' "${missing[@]}"
    echo "  looked in: ${dirs[*]}"
    echo "  Fix: put the DLL next to the program (for bitbridge's DLLs, bitbridge_copy_runtime(<target>) in CMake does that), or add its directory to WINEPATH (on Windows: PATH)."
  } >&2
}

# Runs PROGRAM under Wine once and returns its status, explaining a missing DLL. Not exec: the
# explanation comes after. Signals that would have reached wine under exec are passed on. The
# program's stdout goes through tee into $launch_log as well, so run_program can tell a launch
# that Wine itself failed from a program that ran.
run_once() {
  local child status=0 fifo="$launch_log.fifo" copier
  rm -f "$fifo" && mkfifo "$fifo"
  tee "$launch_log" <"$fifo" &
  copier=$!
  wine "$@" <&0 >"$fifo" &
  child=$!
  trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
  wait "$child" || status=$?
  while kill -0 "$child" 2>/dev/null; do  # woken by a signal: the program still ends on its own
    status=0
    wait "$child" || status=$?
  done
  trap - TERM INT HUP
  wait "$copier" || true  # until every writer (a detached grandchild too) has closed the pipe
  rm -f "$fifo"
  [ "$status" -eq 53 ] && explain_missing_dlls "$1"
  return "$status"
}

# Wine's server gives a process whose last Windows thread has ended about half a second to leave
# (it polls the Unix pid at 1/64, 1/32 ... 1/4 s), then kills it with SIGKILL. On a busy machine
# a program that has finished sometimes takes longer to leave and is killed in its exit, and a
# Unix signal in Wine's own exit path can end it with SIGSEGV: `wine` then ends with status 137
# or 139 although the program did all its work (seen about once in 1 000 test runs, always after
# the program's last output). A crash in the program itself is a Windows exception and ends with
# its code (0xC0000005 -> status 5), never a Unix signal. So for a GoogleTest program whose output
# says every test passed, such a death is reported and the status is 0; for any other program it
# is reported and kept.
gtest_passed() {  # gtest_passed OUTPUT_FILE: the output ends a run in which every test passed
  grep -q '^\[  PASSED  \] [0-9]* tests\{0,1\}\.' "$1" && ! grep -q '^\[  FAILED  \]' "$1"
}
explain_signal_death() {  # explain_signal_death PROGRAM STATUS: prints the new status
  local program=$1 status=$2 signal
  case "$status" in 137) signal=SIGKILL;; 139) signal=SIGSEGV;; *) echo "$status"; return;; esac
  if gtest_passed "$launch_log"; then
    echo "wine-run: $program ended by $signal (status $status) after its tests passed: Wine's exit, not the program (see wine-run.sh); status 0" >&2
    echo 0
  else
    echo "wine-run: $program ended by $signal (status $status). If it had finished its work, Wine's server killed it in its exit (busy machine); otherwise something outside killed it (the OOM killer, a timeout)" >&2
    echo "$status"
  fi
}

# Under load Wine sometimes fails to create the process at all: its loader falls back to
# start.exe, which prints "Application could not be started, ... ShellExecuteEx failed: Internal
# error." and exits 1 without the program having run (seen once in ~15 000 test runs in CI). That
# one message, and nothing else, is retried twice; every other status and output is the program's.
run_program() {
  local status attempt
  launch_log=$(mktemp "${TMPDIR:-/tmp}/wine-run.XXXXXX")  # global: the EXIT trap removes it
  trap 'rm -f "$launch_log" "$launch_log.fifo"' EXIT
  for attempt in 1 2 3; do
    status=0
    run_once "$@" || status=$?
    if [ "$status" -eq 1 ] && [ "$(wc -c <"$launch_log")" -lt 400 ] &&
       grep -q '^ShellExecuteEx failed: Internal error' "$launch_log" &&
       grep -q '^Application could not be started' "$launch_log" && [ "$attempt" -lt 3 ]; then
      echo "wine-run: Wine failed to start $1 (ShellExecuteEx: Internal error); starting it again" >&2
      sleep 1
      continue
    fi
    break
  done
  status=$(explain_signal_death "$1" "$status")
  rm -f "$launch_log"
  return "$status"
}

case "${1:-}" in
  --init) init_prefix;;
  --check) ready;;
  --persist)
    init_prefix
    stop_keeper
    # `set /p` waits for a line on stdin; `sleep infinity` never writes one nor closes it.
    setsid bash -c 'sleep infinity | wine cmd /c "set /p line=" >/dev/null 2>&1' \
      </dev/null >/dev/null 2>&1 &
    echo $! >"$WINEPREFIX.keeper"
    # Let both halves of WoW64 start with their output on /dev/null, bounded.
    for cmd in 'C:\windows\system32\cmd.exe' 'C:\windows\syswow64\cmd.exe'; do
      timeout 120 wine "$cmd" /c exit </dev/null >/dev/null 2>&1 ||
        echo "wine-run: warm-up of $cmd did not finish cleanly" >&2
    done;;
  --kill)
    stop_keeper
    if [ -d "$WINEPREFIX" ]; then wineserver -k 2>/dev/null || true; fi;;
  "") echo "usage: $0 PROGRAM.exe [ARG...] | --init | --check | --persist | --kill" >&2; exit 2;;
  *) init_prefix; run_program "$@";;
esac
