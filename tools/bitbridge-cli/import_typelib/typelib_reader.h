// Reads a type library (a .tlb, or a DLL/OCX/EXE with one embedded as resource TYPELIB 1) into a
// TypeLibModel. Windows builds read it with oleaut32's LoadTypeLibEx (REGKIND_NONE: nothing is
// registered); other builds throw a bitbridge::Error (Unimplemented) saying to run the Windows
// build's bitbridge.exe, under Wine on Linux.
#pragma once

#include <string>

#include "typelib_model.h"

namespace bitbridge::typelib {

/// Throws bitbridge::Error: NotFound (no such file, or no type library in it), Unimplemented
/// (not a Windows build).
TypeLibModel readTypeLib(const std::string& path);

}  // namespace bitbridge::typelib
