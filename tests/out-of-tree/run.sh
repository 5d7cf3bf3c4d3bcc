#!/usr/bin/env bash
# Out-of-tree use of an installed bitbridge, the way docs/getting-started.md describes it:
#   1. cmake --install <superbuild> --prefix <work>/prefix     (both bitnesses, one prefix)
#   2. configure + build project/ as a plain 64-bit project against that prefix; its 32-bit
#      component is built by a nested 32-bit build made by bitbridge_add_component
#   3. run the client and check that a 64-bit client reached 32-bit code in bitbridge-host32
#
#   run.sh SUPERBUILD_DIR WORK_DIR        (WORK_DIR is deleted and recreated)
#
# BITBRIDGE_HOST_DIR is unset on purpose: the client must find the installed hosts unaided.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 SUPERBUILD_DIR WORK_DIR" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
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
unset BITBRIDGE_HOST_DIR

step() { echo "==> $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
start=$SECONDS

step "clean $work"
rm -rf "$work"
mkdir -p "$work"

step "cmake --install $superbuild --prefix $prefix   (log: $work/install.log)"
cmake --install "$superbuild" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install failed (log above)"; }
for f in bin/bitbridge-host32 bin/bitbridge-host64 \
         lib/i386-linux-gnu/libbitbridge-core.so lib/x86_64-linux-gnu/libbitbridge-core.so \
         lib/i386-linux-gnu/cmake/bitbridge/bitbridgeConfig.cmake \
         lib/x86_64-linux-gnu/cmake/bitbridge/bitbridgeConfig.cmake \
         include/bitbridge/host.h include/bitbridge/component.h \
         share/bitbridge/toolchains/linux-x86.cmake share/bitbridge/schemas/bitbridge/host.capnp; do
  [[ -e "$prefix/$f" ]] || fail "the install did not produce $f"
done

step "cmake -S $here/project -B $build -DCMAKE_PREFIX_PATH=$prefix   (log: $work/configure.log)"
cmake -S "$here/project" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "configuring the user project failed (log above)"; }

step "cmake --build $build --parallel $jobs   (32-bit component via a nested build, 64-bit client; log: $work/build.log)"
cmake --build "$build" --parallel "$jobs" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "building the user project failed (log above)"; }

step "check: client 64-bit, component 32-bit, client linked to $prefix"
client="$build/greeter_client"
component="$build/libgreeter_component.so"
[[ -x "$client" ]] || fail "no client at $client"
[[ -f "$component" ]] || fail "no component at $component"
elf_class() { readelf -h "$1" | awk '/Class:/ {print $2}'; }
[[ "$(elf_class "$client")" == ELF64 ]] || fail "client is not 64-bit: $(elf_class "$client")"
[[ "$(elf_class "$component")" == ELF32 ]] || fail "component is not 32-bit: $(elf_class "$component")"
core="$(ldd "$client" | awk '/libbitbridge-core/ {print $3}')"
[[ "$core" == "$prefix/lib/x86_64-linux-gnu/"* ]] ||
  fail "client uses libbitbridge-core from '$core', not from $prefix"

step "run $client   (BITBRIDGE_HOST_DIR unset: hosts found from the installed libbitbridge-core)"
set +e
output="$("$client" 2>&1)"
status=$?
set -e
echo "$output" | sed 's/^/    /'
[[ $status -eq 0 ]] || fail "greeter_client exited with status $status"

expect() {
  echo "$output" | grep -Eq "$1" || fail "expected a line matching '$1' in the client's output"
}
expect '^client: 64-bit'
expect '^host: 32-bit pid [0-9]+$'
expect '^component: 32-bit$'
expect '^shout: HELLO FROM 64-BIT$'

echo "PASS: out-of-tree project built and ran against $prefix ($((SECONDS - start)) s)"
