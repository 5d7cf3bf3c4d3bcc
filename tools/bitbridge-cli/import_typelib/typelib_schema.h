// The Cap'n Proto schema `bitbridge import-typelib` writes for a type library (TypeLibModel):
// one interface per dispatch or dual interface (methods, property get/put with typed
// parameters, DISPIDs and COM names as $Com annotations of schemas/bitbridge/com.capnp), one
// enum per enum (values as $Com.value), one struct per record, the coclasses' CLSIDs as
// constants. Deterministic: members sorted by DISPID then kind, so ordinals are stable across
// runs on the same library; the file ID is derived from the LIBID and version.
// Portable; no state.
#pragma once

#include <string>

#include "typelib_model.h"

namespace bitbridge::typelib {

/// The schema text. `source` names the file read, for the header comment. `cxxNamespace`
/// not empty: the schema gets `$Cxx.namespace(...)`, so its C++ code lands in that namespace
/// (two libraries with an interface of one name can then go in one program).
std::string writeSchema(const TypeLibModel& library, const std::string& source,
                        const std::string& cxxNamespace = {});

/// Whether `text` is a C++ namespace name: identifiers joined by "::" ("legacy::accounts").
bool isCxxNamespace(const std::string& text);

/// A Cap'n Proto name from a COM one: no underscores, camelCase; `upper` for type names
/// ("_Sample" -> "Sample", "_NewEnum" -> "newEnum", "COLOR_RED" -> "colorRed"). Empty stays
/// empty.
std::string capnpName(const std::string& comName, bool upper);

}  // namespace bitbridge::typelib
