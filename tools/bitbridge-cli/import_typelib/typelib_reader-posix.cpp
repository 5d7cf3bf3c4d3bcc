// Type libraries are read with oleaut32 (LoadTypeLibEx), which only Windows (or Wine) has.
#include "typelib_reader.h"

#include "bitbridge/error.h"

namespace bitbridge::typelib {

TypeLibModel readTypeLib(const std::string& path) {
  throw Error(ErrorKind::Unimplemented,
              "cannot read type library " + path + ": import-typelib reads type libraries with "
              "Windows' oleaut32 (LoadTypeLibEx), which this Linux build does not have",
              "run the Windows build's bitbridge.exe; on Linux, under Wine: "
              "tools/windows/wine-run.sh build-windows/stage/bin/x86_64/bitbridge.exe "
              "import-typelib " + path + " -o OUT.capnp (scripts/build-windows.sh builds it)");
}

}  // namespace bitbridge::typelib
