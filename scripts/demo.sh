#!/usr/bin/env bash
# Quick start, part 1: set up, build both bitnesses, and run the demos:
#   a 64-bit application calling a 32-bit legacy C library through bitbridge-host32, with a
#   component and then from the library's schema alone (Host::bind),
#   a 32-bit application offloading to a 64-bit component in bitbridge-host64, and
#   a 64-bit and then a 32-bit application sharing one counter in one shared bitbridge-host32,
#   a 32-bit application sorting 4.5 GiB of keys in bitbridge-host64 through shared memory.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BITBRIDGE_BUILD_DIR:-$root/build}

"$root/scripts/build.sh" "$@" >/dev/null
echo
echo "== 64-bit application -> 32-bit legacy library (examples/legacy-calc) =="
"$build/stage/bin/legacy-calc-demo"
echo
echo "== the same 32-bit library from its schema alone, no component (examples/legacy-calc-bind) =="
"$build/stage/bin/legacy-calc-bind-demo"
echo
echo "== 32-bit application -> 64-bit component (examples/wide-math) =="
"$build/stage/bin/wide-math-demo"
echo
echo "== 64-bit and 32-bit applications sharing one instance in one shared host (examples/shared-counter) =="
# The host outlives both clients and leaves by itself 5 s after the last one.
"$build/stage/bin/shared-counter-client64" --name demo-counter --add 1
"$build/stage/bin/shared-counter-client32" --name demo-counter --add 2
echo
echo "== 32-bit application sorting 4.5 GiB in a 64-bit component, through shared memory (examples/bigmem-offload) =="
"$build/stage/bin/bigmem-offload-demo"
