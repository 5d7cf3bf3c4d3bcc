// Finds the host executable for an architecture (the install layout it relies on:
// common/platform/install_layout.h).
#pragma once

#include <string>

#include "bitbridge/arch.h"
#include "common/internal_api.h"

namespace bitbridge {

/// Returns the absolute path of the host for `arch`. `explicitDirectory` (if not empty), else
/// $BITBRIDGE_HOST_DIR (if set), is the only place looked at: an override never falls back.
/// Without either: the prefix libbitbridge-core was loaded from (its bin/ directory:
/// lib/<multiarch>/../../bin, lib/../bin), then the directory of the running executable.
/// Throws Error{NotFound} listing every place it looked.
BITBRIDGE_INTERNAL_API std::string locateHostExecutable(Arch arch, const std::string& explicitDirectory);

}  // namespace bitbridge

