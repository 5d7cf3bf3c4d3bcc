// Where this installation's files are, as the running process sees them: the directory
// libbitbridge-core was loaded from and that of the running executable. The client finds hosts
// from them (client/host_locator.h); error hints name the `bitbridge` CLI from them
// (common/inspect_hint.h). The same file also defines, per platform, the public
// nativeBinaryFormat() (bitbridge/binary_header.h) and hostExecutableName() (bitbridge/arch.h).
// Threads: any; each call asks the loader afresh.
#pragma once

#include <string>

#include "common/internal_api.h"

namespace bitbridge {

/// Directory of the shared library (or executable) that contains this code: `<prefix>/lib/
/// <multiarch>` or `<prefix>/lib` on Linux, `bin\<arch>` or the program's directory on
/// Windows. Canonical where the platform resolves links.
BITBRIDGE_INTERNAL_API std::string bridgeCoreDirectory();

/// Directory of the running program.
BITBRIDGE_INTERNAL_API std::string runningExecutableDirectory();

}  // namespace bitbridge

