#!/usr/bin/env bash
# Out-of-tree use of an installed bitbridge on Windows (mingw-w64, run under Wine), the way
# docs/getting-started-windows.md describes it:
#   1. cmake --install <Windows superbuild> --prefix <work>/prefix     (both bitnesses)
#   2. build the "vendor" DLLs the way vendors do, outside CMake: the mingw compiler alone, no
#      import library, cdecl exports (and libgcc's runtime exported, as such DLLs often do)
#   3. configure project/ as a 64-bit Windows project with the installed toolchain file and
#      CMAKE_PREFIX_PATH=<prefix> (the documented way); its 32-bit component is built by the
#      nested build of bitbridge_add_component in the same configure
#   4. check the layout bitbridge_copy_runtime made next to the client; run the client under
#      Wine against both components: a 64-bit program reaches 32-bit code in bitbridge-host32.exe
#      and 64-bit code in bitbridge-host64.exe, and an error thrown by the component arrives
#      as the Error it threw while the host goes on serving; then the 64-bit greeter_bind_client
#      binds both vendor DLLs from their schema alone (Host::bind: no component, no 32-bit build)
#   5. the unhappy paths: a client without its DLLs is named as such by the Wine runner; -static
#      in the linker flags is refused at configure time (found with the toolchain file alone);
#      a 64-bit vendor DLL for the 32-bit component stops the build naming the file
#
#   run-windows.sh SUPERBUILD_DIR WORK_DIR        (WORK_DIR is deleted and recreated)
#
# BITBRIDGE_HOST_DIR is unset on purpose: the client must find the hosts unaided.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out_of_tree_setup "$0" "$@"
unset BITBRIDGE_HOST_DIR WINEPATH
install_prefix bin/x86/bitbridge-host32.exe bin/x86_64/bitbridge-host64.exe \
         bin/x86/libbitbridge-core.dll bin/x86_64/libbitbridge-core.dll \
         bin/x86/libgcc_s_dw2-1.dll bin/x86_64/libgcc_s_seh-1.dll \
         bin/x86/cmake/bitbridge/bitbridgeConfig.cmake bin/x86_64/cmake/bitbridge/bitbridgeConfig.cmake \
         lib/cmake/bitbridge/bitbridgeConfig.cmake lib/cmake/bitbridge/bitbridgeConfigVersion.cmake \
         include/bitbridge/host.h share/bitbridge/toolchains/windows-x86_64.cmake \
         share/bitbridge/tools/wine-run.sh share/bitbridge/schemas/bitbridge/host.capnp
toolchain="$prefix/share/bitbridge/toolchains/windows-x86_64.cmake"
wine_run="$prefix/share/bitbridge/tools/wine-run.sh"

step "vendor DLLs: the mingw compiler alone, no import library   (in $work/vendor)"
mkdir -p "$work/vendor/x86" "$work/vendor/x86_64"
vendor32="$work/vendor/x86/GreeterVendor.dll"
vendor64="$work/vendor/x86_64/greeter64.dll"
(cd "$work/vendor/x86" && i686-w64-mingw32-gcc -shared -O2 -o "$vendor32" "$here/project/greeter.c")
(cd "$work/vendor/x86_64" && x86_64-w64-mingw32-gcc -shared -O2 -o "$vendor64" "$here/project/greeter.c")
if ls "$work"/vendor/*/*.a "$work"/vendor/*/*.lib >/dev/null 2>&1; then
  fail "the vendor build made an import library; the test needs DLLs without one"
fi
pe_format() { x86_64-w64-mingw32-objdump -f "$1" | sed -n 's/.*file format //p'; }
[[ "$(pe_format "$vendor32")" == pei-i386 ]] || fail "$vendor32 is not a 32-bit DLL"
[[ "$(pe_format "$vendor64")" == pei-x86-64 ]] || fail "$vendor64 is not a 64-bit DLL"
vendor_args=(-DGREETER_VENDOR_X86="$vendor32" -DGREETER_VENDOR_X86_64="$vendor64")

step "cmake -S project -B $build -DCMAKE_TOOLCHAIN_FILE=$toolchain -DCMAKE_PREFIX_PATH=$prefix   (log: $work/configure.log)"
cmake -S "$here/project" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DCMAKE_PREFIX_PATH="$prefix" "${vendor_args[@]}" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "configuring the user project failed (log above)"; }
grep -q "bitbridge_DIR:PATH=$prefix/" "$build/CMakeCache.txt" ||
  fail "find_package(bitbridge) did not take the package from $prefix ($(grep bitbridge_DIR "$build/CMakeCache.txt"))"

step "cmake --build $build   (32-bit component via the nested build, 64-bit component and client; log: $work/build.log)"
cmake --build "$build" --parallel "$jobs" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "building the user project failed (log above)"; }

step "check: formats, and the runtime bitbridge_copy_runtime put next to the client"
client="$build/greeter_client.exe"
component32="$build/libgreeter_component.dll"
component64="$build/libgreeter_component64.dll"
for pair in "$client:pei-x86-64" "$component32:pei-i386" "$component64:pei-x86-64" \
            "$build/libbitbridge-core.dll:pei-x86-64" "$build/bitbridge-host64.exe:pei-x86-64" \
            "$build/x86/bitbridge-host32.exe:pei-i386" "$build/x86/libbitbridge-core.dll:pei-i386" \
            "$build/x86/libgcc_s_dw2-1.dll:pei-i386" "$build/libgcc_s_seh-1.dll:pei-x86-64" \
            "$build/GreeterVendor.dll:pei-i386" "$build/greeter64.dll:pei-x86-64"; do
  file="${pair%%:*}" format="${pair##*:}"
  [[ -f "$file" ]] || fail "missing $file"
  [[ "$(pe_format "$file")" == "$format" ]] || fail "$file is $(pe_format "$file"), not $format"
done
imports() { x86_64-w64-mingw32-objdump -p "$1" | sed -n 's/^[[:space:]]*DLL Name: //p'; }
imports "$component32" | grep -qx 'libgcc_s_dw2-1.dll' ||
  fail "the 32-bit component does not use the shared mingw runtime (imports: $(imports "$component32" | tr '\n' ' '))"
imports "$component32" | grep -qx 'GreeterVendor.dll' ||
  fail "the 32-bit component does not import GreeterVendor.dll by name"

run_client() {  # run_client COMPONENT LEGACY_LIBRARY HOST_BITS
  step "run greeter_client.exe $(basename "$1") under Wine   (hosts found from the client's directory)"
  set +e
  output="$("$wine_run" "$client" "$1" "$2" 2>&1)"
  status=$?
  set -e
  echo "$output" | sed 's/^/    /'
  [[ $status -eq 0 ]] || fail "greeter_client.exe exited with status $status"
  expect '^client: 64-bit'
  expect "^host: $3-bit pid [0-9]+"
  expect "^component: $3-bit"
  expect '^shout: HELLO FROM 64-BIT'
  expect "^refuse: not-found: no greeting for 'stranger' \\(fix: ask for another greeting\\)"
  expect '^after error: STILL HERE from host pid [0-9]+'
}
run_client "$component32" "$build/GreeterVendor.dll" 32
run_client "$component64" "$build/greeter64.dll" 64

# No component: the vendor DLLs bound from their schema alone (Host::bind) by the 64-bit client;
# the user's project has no 32-bit compiler step for this.
for pair in "$vendor32:32" "$vendor64:64"; do
  library="${pair%%:*}" bits="${pair##*:}"
  step "run greeter_bind_client.exe $(basename "$library") under Wine   (Host::bind, no component)"
  set +e
  output="$("$wine_run" "$build/greeter_bind_client.exe" "$library" 2>&1)"
  status=$?
  set -e
  echo "$output" | sed 's/^/    /'
  [[ $status -eq 0 ]] || fail "greeter_bind_client.exe exited with status $status"
  expect "^host: $bits-bit pid [0-9]+"
  expect "^library: $bits-bit"
  expect '^shout: BOUND WITHOUT A COMPONENT \(25\)'
done

# An unchanged C program linked against the drop-in proxy greeter.dll that bitbridge_add_proxy
# built from the installed package (its generator, bitbridge.exe, run under Wine at build
# time): 64-bit program, the 32-bit vendor DLL in bitbridge-host32.exe.
step "run greeter_proxy_program.exe   (drop-in proxy greeter.dll -> $(basename "$vendor32"))"
set +e
output="$("$wine_run" "$build/greeter_proxy_program.exe" 2>&1)"
status=$?
set -e
echo "$output" | sed 's/^/    /'
[[ $status -eq 0 ]] || fail "greeter_proxy_program.exe exited with status $status"
expect '^proxy program: 64-bit, library: 32-bit'
expect '^shout: THROUGH A PROXY \(15\)'

step "unhappy: the client copied alone, without its DLLs: the runner names what is missing"
mkdir -p "$work/lonely"
cp "$client" "$work/lonely/"
set +e
output="$("$wine_run" "$work/lonely/greeter_client.exe" "$component32" 2>&1)"
status=$?
set -e
echo "$output" | sed 's/^/    /'
[[ $status -eq 53 ]] || fail "expected exit status 53 (STATUS_DLL_NOT_FOUND), got $status"
expect 'STATUS_DLL_NOT_FOUND'
expect 'missing: libbitbridge-core\.dll \(needed by greeter_client\.exe\)'
expect 'bitbridge_copy_runtime'

step "unhappy: -static in the linker flags, with the toolchain file alone (no CMAKE_PREFIX_PATH)"
log="$work/bad-static.log"
if cmake -S "$here/project" -B "$work/bad-static" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
     "${vendor_args[@]}" -DCMAKE_EXE_LINKER_FLAGS=-static >"$log" 2>&1; then
  cat "$log" >&2; fail "configure accepted -static"
fi
output="$(tr -s '\n ' '  ' <"$log")"
expect 'CMAKE_EXE_LINKER_FLAGS contains -static'
expect 'Fix: remove -static'
echo "    $(echo "$output" | grep -Eo 'bitbridge: CMAKE_EXE_LINKER_FLAGS contains -static[^.]*\.')"

step "unhappy: the 64-bit vendor DLL given for the 32-bit component"
log="$work/bad-bitness.log"
if cmake -S "$here/project" -B "$work/bad-bitness" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
     -DCMAKE_PREFIX_PATH="$prefix" -DGREETER_VENDOR_X86="$vendor64" \
     -DGREETER_VENDOR_X86_64="$vendor64" >"$log" 2>&1 &&
   cmake --build "$work/bad-bitness" --parallel "$jobs" --target greeter_component >>"$log" 2>&1; then
  cat "$log" >&2; fail "the build accepted a 64-bit DLL for the 32-bit component"
fi
output="$(tr -s '\n ' '  ' <"$log")"
expect "$vendor64 is not a x86 DLL \\(it is a x86_64 DLL\\); a x86 component needs the x86 build"
echo "    $(echo "$output" | grep -Eo "bitbridge: [^ ]*greeter64.dll is not a x86 DLL [^;]*;")"

echo "PASS: Windows out-of-tree project built and ran under Wine against $prefix ($((SECONDS - start)) s)"
