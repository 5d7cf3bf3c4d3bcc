// The command that diagnoses a library that would not load: error hints about a file name
// `bitbridge inspect <file>` (docs/reference.md) instead of guessing with ldd, which reports
// libbitbridge-core as missing even for a working component.
#pragma once

#include <string>
#include "common/internal_api.h"

namespace bitbridge {

/// A runnable command line inspecting `file`: the installed tool's absolute path when it is
/// found in this bitbridge's bin/ directory (found from where libbitbridge-core was loaded,
/// as hosts are), else plain "bitbridge inspect"; `file` quoted for the shell if it needs it.
BITBRIDGE_INTERNAL_API std::string inspectCommand(const std::string& file);

}  // namespace bitbridge

