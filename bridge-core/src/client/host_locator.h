// Finds the host executable for an architecture.
#pragma once

#include <string>

#include "bitbridge/arch.h"

namespace bitbridge {

/// Returns the absolute path of the host for `arch`. `explicitDirectory` (if not empty), else
/// $BITBRIDGE_HOST_DIR (if set), is the only place looked at: an override never falls back.
/// Without either: the prefix libbitbridge-core was loaded from (its bin/ directory:
/// lib/<multiarch>/../../bin, lib/../bin), then the directory of the running executable.
/// Throws Error{NotFound} listing every place it looked.
std::string locateHostExecutable(Arch arch, const std::string& explicitDirectory);

/// Directory of the shared library (or executable) that contains this code.
std::string bridgeCoreDirectory();

}  // namespace bitbridge
