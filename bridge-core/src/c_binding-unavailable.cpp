// Host::bind where the build has no libffi: the Windows builds so far (libffi for mingw-w64 is
// to be built from Debian's source package, as Cap'n Proto is; docs/windows.md). Said clearly,
// before anything is loaded; the schema is not even planned.
#include "bitbridge/error.h"
#include "c_binding.h"

namespace bitbridge {

BoundLibrary bindCLibrary(const std::string& path, std::shared_ptr<capnp::SchemaLoader>, uint64_t,
                          std::shared_ptr<spdlog::logger>, ComponentThreads&) {
  throw Error(ErrorKind::BadConfiguration,
              "binding a C library from its schema (Host::bind, " + path +
                  ") is not available in this build: it has no libffi (the Windows builds do not "
                  "have it yet)",
              "wrap the library in a component (bitbridge_add_component) for now");
}

void dryRunCall(capnp::InterfaceSchema, uint16_t, capnp::DynamicStruct::Reader) {
  throw Error(ErrorKind::BadConfiguration, "this build has no libffi: nothing to dry-run");
}

}  // namespace bitbridge
