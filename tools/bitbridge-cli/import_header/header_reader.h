// Reads a C header with libclang into a CModel (c_model.h). Functions with external linkage
// declared in the header, or in the vendor headers it includes (any that is not a system
// header: found through the system include paths or -isystem), become functions; the structs,
// enums and callback typedefs they use are collected wherever they are declared.
#pragma once

#include <string>
#include <vector>

#include "c_model.h"

namespace bitbridge::importer {

/// Parses `header` as C with `clangArgs` (include paths, defines, -m32, --target=...).
/// Throws bitbridge::Error{BadConfiguration} when clang reports an error, with clang's
/// diagnostics (file:line:column: message) and a fix naming the `--` arguments.
CModel readHeader(const std::string& header, const std::vector<std::string>& clangArgs);

}  // namespace bitbridge::importer
