// The full path of a loaded module (an .exe or DLL), however long. Windows only.
#pragma once

#include <windows.h>

#include <string>
#include "common/internal_api.h"

namespace bitbridge {

/// GetModuleFileNameW of `module` (nullptr: this process's .exe) in UTF-8; "" if it fails.
BITBRIDGE_INTERNAL_API std::string moduleFileName(HMODULE module);

}  // namespace bitbridge
