#!/bin/sh
# check_imports.sh OBJDUMP MODULE DLL "NAME..." : passes when MODULE imports from DLL exactly the
# names given (sorted, space-separated), e.g. no libgcc unwinder name bound from a vendor DLL.
set -eu
objdump=$1 module=$2 dll=$3 expected=$4
# objdump -p: "DLL Name: X" starts an import block; its lines "<vma> <hint> <name>" follow.
found=$("$objdump" -p "$module" | awk -v dll="$dll" '
  /DLL Name:/ { current = $3; next }
  current == dll && $1 ~ /^[0-9a-f]+$/ && $2 ~ /^[0-9]+$/ && NF == 3 { print $3 }
  /^$/ { if (current == dll) current = "" }' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
echo "$module imports from $dll: $found"
if [ "$found" != "$expected" ]; then
  echo "FAIL: expected exactly: $expected" >&2
  exit 1
fi
