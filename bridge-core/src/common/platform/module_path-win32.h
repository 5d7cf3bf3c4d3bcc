// The full path of a loaded module (an .exe or DLL), however long. Windows only.
#pragma once

#include <windows.h>

#include <string>

namespace bitbridge {

/// GetModuleFileNameW of `module` (nullptr: this process's .exe) in UTF-8; "" if it fails.
std::string moduleFileName(HMODULE module);

}  // namespace bitbridge
