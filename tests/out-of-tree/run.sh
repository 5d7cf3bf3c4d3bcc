#!/usr/bin/env bash
# Out-of-tree use of an installed bitbridge, the way docs/getting-started.md describes it:
#   1. cmake --install <superbuild> --prefix <work>/prefix     (both bitnesses, one prefix)
#   2. build the "vendor" libraries the way vendors do, outside CMake: plain gcc, no soname;
#      32-bit vendor32.so (no lib prefix) and 64-bit libgreeter.so.3
#   3. configure + build project/ as a plain 64-bit project against that prefix; its 32-bit
#      component is built by a nested 32-bit build made by bitbridge_add_component, its 64-bit
#      one directly; each links its vendor library by absolute path
#   4. check that each component records its vendor library by bare name (readelf -d) and has
#      a copy next to it; run the client against both and check that a 64-bit client reached
#      32-bit code in bitbridge-host32 and 64-bit code in bitbridge-host64
#   5. the two wrong ways to link a vendor library fail with the message that says the fix
#
#   run.sh SUPERBUILD_DIR WORK_DIR        (WORK_DIR is deleted and recreated)
#
# BITBRIDGE_HOST_DIR is unset on purpose: the client must find the installed hosts unaided.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out_of_tree_setup "$0" "$@"
unset BITBRIDGE_HOST_DIR
install_prefix bin/bitbridge-host32 bin/bitbridge-host64 \
         lib/i386-linux-gnu/libbitbridge-core.so lib/x86_64-linux-gnu/libbitbridge-core.so \
         lib/i386-linux-gnu/cmake/bitbridge/bitbridgeConfig.cmake \
         lib/x86_64-linux-gnu/cmake/bitbridge/bitbridgeConfig.cmake \
         include/bitbridge/host.h include/bitbridge/component.h \
         share/bitbridge/toolchains/linux-x86.cmake share/bitbridge/schemas/bitbridge/host.capnp

step "vendor libraries: gcc -shared without -soname, outside CMake   (in $work/vendor)"
mkdir -p "$work/vendor/x86" "$work/vendor/x86_64"
vendor32="$work/vendor/x86/vendor32.so"
vendor64="$work/vendor/x86_64/libgreeter.so.3"
gcc -m32 -shared -fPIC -o "$vendor32" "$here/project/greeter.c"
gcc -m64 -shared -fPIC -o "$vendor64" "$here/project/greeter.c"
for lib in "$vendor32" "$vendor64"; do
  ! readelf -d "$lib" | grep -q '(SONAME)' || fail "$lib has a soname; the test needs one without"
done
vendor_args=(-DGREETER_VENDOR_X86="$vendor32" -DGREETER_VENDOR_X86_64="$vendor64")

step "cmake -S $here/project -B $build -DCMAKE_PREFIX_PATH=$prefix   (log: $work/configure.log)"
cmake -S "$here/project" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" "${vendor_args[@]}" \
  >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "configuring the user project failed (log above)"; }

step "cmake --build $build --parallel $jobs   (32-bit component via a nested build, 64-bit component and client; log: $work/build.log)"
cmake --build "$build" --parallel "$jobs" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "building the user project failed (log above)"; }

step "check: client 64-bit, components 32/64-bit, client linked to $prefix"
client="$build/greeter_client"
component32="$build/libgreeter_component.so"
component64="$build/libgreeter_component64.so"
[[ -x "$client" ]] || fail "no client at $client"
[[ -f "$component32" ]] || fail "no component at $component32"
[[ -f "$component64" ]] || fail "no component at $component64"
elf_class() { readelf -h "$1" | awk '/Class:/ {print $2}'; }
[[ "$(elf_class "$client")" == ELF64 ]] || fail "client is not 64-bit: $(elf_class "$client")"
[[ "$(elf_class "$component32")" == ELF32 ]] || fail "component is not 32-bit: $(elf_class "$component32")"
[[ "$(elf_class "$component64")" == ELF64 ]] || fail "component is not 64-bit: $(elf_class "$component64")"
core="$(ldd "$client" | awk '/libbitbridge-core/ {print $3}')"
[[ "$core" == "$prefix/lib/x86_64-linux-gnu/"* ]] ||
  fail "client uses libbitbridge-core from '$core', not from $prefix"

step "check: each component records its vendor library by bare name, with a copy next to it"
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
for pair in "$component32:vendor32.so" "$component64:libgreeter.so.3"; do
  component="${pair%%:*}" name="${pair##*:}"
  echo "    $(basename "$component"): NEEDED $(needed "$component" | tr '\n' ' ')"
  needed "$component" | grep -qxF "$name" || fail "$component does not record '$name' (readelf -d above)"
  ! needed "$component" | grep -q / || fail "$component records a dependency by path (readelf -d above)"
  [[ -f "$build/$name" ]] || fail "$name was not copied next to $component"
done

run_client() {  # run_client COMPONENT LEGACY_LIBRARY HOST_BITS
  step "run $client $(basename "$1") $(basename "$2")   (BITBRIDGE_HOST_DIR unset: hosts found from the installed libbitbridge-core)"
  set +e
  output="$("$client" "$1" "$2" 2>&1)"
  status=$?
  set -e
  echo "$output" | sed 's/^/    /'
  [[ $status -eq 0 ]] || fail "greeter_client exited with status $status"
  expect '^client: 64-bit'
  expect "^host: $3-bit pid [0-9]+\$"
  expect "^component: $3-bit\$"
  expect '^shout: HELLO FROM 64-BIT$'
  expect "^refuse: not-found: no greeting for 'stranger' \\(fix: ask for another greeting\\)\$"
  expect '^after error: STILL HERE from host pid [0-9]+$'
}
run_client "$component32" "$build/vendor32.so" 32
run_client "$component64" "$build/libgreeter.so.3" 64

# No component: the vendor library bound from its schema, in a host of its bitness.
for pair in "$vendor32:32" "$vendor64:64"; do
  library="${pair%%:*}" bits="${pair##*:}"
  step "run greeter_bind_client $(basename "$library")   (Host::bind, no component)"
  set +e
  output="$("$build/greeter_bind_client" "$library" 2>&1)"
  status=$?
  set -e
  echo "$output" | sed 's/^/    /'
  [[ $status -eq 0 ]] || fail "greeter_bind_client exited with status $status"
  expect "^host: $bits-bit pid [0-9]+\$"
  expect "^library: $bits-bit\$"
  expect '^shout: BOUND WITHOUT A COMPONENT \(25\)$'
  expect "^misnamed: bitbridge: not-found: GreeterMisnamed.gone: .* does not export 'greeter_no_such_function'"
  expect "^negative length: bitbridge: bad-configuration: GreeterLibrary.shout: parameter 'out': its length 'outlen' is -1"
  expect "^after errors: $bits-bit\$"
done

# An unchanged C program linked against the drop-in proxy bitbridge_add_proxy built from the
# installed package: 64-bit program, 32-bit vendor32.so in bitbridge-host32.
step "run greeter_proxy_program   (drop-in proxy libgreeter.so -> vendor32.so)"
set +e
output="$("$build/greeter_proxy_program" 2>&1)"
status=$?
set -e
echo "$output" | sed 's/^/    /'
[[ $status -eq 0 ]] || fail "greeter_proxy_program exited with status $status"
expect '^proxy program: 64-bit, library: 32-bit$'
expect '^shout: THROUGH A PROXY \(15\)$'

# The mistakes: each must stop the build with the message that names the library and the fix.
bad_case() {  # bad_case MODE STAGE(configure|build) MESSAGE-REGEX [CMAKE-ARG...]
  local mode=$1 stage=$2 message=$3 dir="$work/bad-$1" log="$work/bad-$1.log"
  shift 3
  step "wrong way '$mode': expect a $stage failure naming the fix   (log: $log)"
  if cmake -S "$here/project" -B "$dir" -DCMAKE_PREFIX_PATH="$prefix" "${vendor_args[@]}" "$@" \
       -DGREETER_BAD_LINK="$mode" >"$log" 2>&1; then
    [[ $stage == build ]] || { cat "$log" >&2; fail "configure accepted GREETER_BAD_LINK=$mode"; }
    if cmake --build "$dir" --parallel "$jobs" >>"$log" 2>&1; then
      cat "$log" >&2; fail "the build accepted GREETER_BAD_LINK=$mode"
    fi
    [[ ! -e "$dir/libgreeter_bad.so" ]] || fail "the refused component $dir/libgreeter_bad.so was left behind"
  else
    [[ $stage == configure ]] || { cat "$log" >&2; fail "configure failed for GREETER_BAD_LINK=$mode"; }
  fi
  # CMake wraps its messages; join the lines before matching.
  tr -s '\n ' '  ' <"$log" | grep -Eq "$message" ||
    { cat "$log" >&2; fail "no message matching '$message' (log above)"; }
  echo "    $(tr -s '\n ' '  ' <"$log" | grep -Eo "$message" | head -n 1)"
}
bad_case flag configure "passes the library $vendor32 inside a linker flag.*Fix: pass the path itself, 'LINK_LIBRARIES $vendor32'"
# target_link_libraries with a path: CMake itself turns libgreeter.so.3 (no soname) into
# -lgreeter, which ld cannot find; a name CMake cannot take apart is passed as a path, which
# ld records as it is. That is the case the check after the link catches.
odd64="$work/vendor/x86_64/GreeterVendorLib"
cp "$vendor64" "$odd64"
bad_case direct build "records its dependency $odd64 by path.*Fix: pass it as 'LINK_LIBRARIES $odd64'" \
  -DGREETER_VENDOR_X86_64="$odd64"

echo "PASS: out-of-tree project built and ran against $prefix ($((SECONDS - start)) s)"
