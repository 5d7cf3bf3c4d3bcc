// The full path of a loaded module (module_path-win32.h).
#include "common/platform/module_path-win32.h"

#include "common/platform/text-win32.h"

namespace bitbridge {

std::string moduleFileName(HMODULE module) {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {  // a path longer than the buffer is truncated: grow until it fits
    DWORD n = ::GetModuleFileNameW(module, &path[0], static_cast<DWORD>(path.size()));
    if (n == 0) return {};
    if (n < path.size()) return narrow(path.substr(0, n));
    path.resize(path.size() * 2);
  }
}

}  // namespace bitbridge
