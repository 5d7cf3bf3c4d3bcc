# Shared by run.sh (Linux) and run-windows.sh (Windows under Wine); sourced, not run.
#
#   out_of_tree_setup "$0" SUPERBUILD_DIR WORK_DIR
#       checks the arguments, sets here, superbuild, work, prefix, build, jobs and start, and
#       empties WORK_DIR (refusing paths that would delete the build or the sources)
#   install_prefix FILE...
#       cmake --install of the superbuild into $prefix; fails unless every FILE (relative to
#       the prefix) is there
#   step TEXT / fail TEXT / expect REGEX (matched against $output, CRs dropped)

step() { echo "==> $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {
  echo "$output" | tr -d '\r' | grep -Eq "$1" || fail "expected a line matching '$1' in the output"
}

out_of_tree_setup() {
  local script=$1
  shift
  if [[ $# -ne 2 ]]; then
    echo "usage: $script SUPERBUILD_DIR WORK_DIR" >&2
    exit 2
  fi
  here="$(cd "$(dirname "$script")" && pwd)"
  if [[ ! -f "$1/cmake_install.cmake" ]]; then
    echo "FAIL: $1 is not a configured bitbridge build directory (no cmake_install.cmake)" >&2
    exit 2
  fi
  superbuild="$(cd "$1" && pwd)"
  work="$2"
  case "$work" in
    "" | "/") echo "FAIL: refusing to use '$work' as WORK_DIR" >&2; exit 2 ;;
  esac
  mkdir -p "$work"
  work="$(cd "$work" && pwd)"
  [[ "$work" != "/" && "$superbuild/" != "$work/"* && "$work" != "$here"* ]] ||
    { echo "FAIL: refusing to delete WORK_DIR $work" >&2; exit 2; }
  prefix="$work/prefix"
  build="$work/build"
  jobs="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
  start=$SECONDS
  step "clean $work"
  rm -rf "$work"
  mkdir -p "$work"
}

install_prefix() {
  step "cmake --install $superbuild --prefix $prefix   (log: $work/install.log)"
  cmake --install "$superbuild" --prefix "$prefix" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "cmake --install failed (log above)"; }
  local f
  for f in "$@"; do
    [[ -e "$prefix/$f" ]] || fail "the install did not produce $f"
  done
}
