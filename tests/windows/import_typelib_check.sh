#!/usr/bin/env bash
# `bitbridge import-typelib` as a Windows user runs it (this build's bitbridge.exe, under Wine)
# on the tests' type library (com_inproc/sample.idl, compiled by widl): the schema it writes
# must equal the golden file (com_inproc/sample.tlb.capnp, reviewed by hand: re-generate it
# with this script's third argument set to --update after a deliberate change), and must
# compile with Cap'n Proto (capnp compile, then the generated C++ header through g++).
#   import_typelib_check.sh BITBRIDGE_EXE TLB GOLDEN|--update SCHEMAS_DIR WORK_DIR
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
exe=$1 tlb=$2 golden=$3 schemas=$4 work=$5
mkdir -p "$work"
out="$work/sample.capnp"
"$root/tools/windows/wine-run.sh" "$exe" import-typelib "$tlb" -o "$out"
if [[ "$golden" == --update ]]; then
  cp "$out" "$root/tests/windows/com_inproc/sample.tlb.capnp"
  echo "updated tests/windows/com_inproc/sample.tlb.capnp"
  exit 0
fi
diff -u "$golden" "$out" || { echo "import-typelib: output differs from $golden" >&2; exit 1; }
capnp compile -I "$schemas" -oc++:"$work" --src-prefix="$work" "$out"
mkdir -p "$work/bitbridge"
capnp compile -I "$schemas" -oc++:"$work" --src-prefix="$schemas" "$schemas/bitbridge/com.capnp"
echo '#include "sample.capnp.h"' > "$work/check.cpp"
g++ -std=c++17 -fsyntax-only -I "$work" "$work/check.cpp"
# --namespace: the same schema with $Cxx.namespace, whose C++ lands in that namespace; a name
# that is not a C++ namespace is a usage error (exit status 2).
mkdir -p "$work/ns"
"$root/tools/windows/wine-run.sh" "$exe" import-typelib "$tlb" --namespace legacy::sample -o "$work/ns/sample.capnp"
grep -q '^\$Cxx.namespace("legacy::sample");' "$work/ns/sample.capnp"
capnp compile -I "$schemas" -oc++:"$work/ns" --src-prefix="$work/ns" "$work/ns/sample.capnp"
printf '#include "sample.capnp.h"\nlegacy::sample::Sample::Client* typed = nullptr;\n' > "$work/ns/check.cpp"
g++ -std=c++17 -fsyntax-only -I "$work/ns" -I "$work" "$work/ns/check.cpp"
status=0
"$root/tools/windows/wine-run.sh" "$exe" import-typelib "$tlb" --namespace 'legacy-sample' >/dev/null 2>&1 || status=$?
[[ $status == 2 ]] || { echo "import-typelib --namespace legacy-sample: exit status $status, not 2" >&2; exit 1; }
echo "import-typelib: golden output, and it compiles; --namespace too"

