#include "common/platform/install_layout.h"

#include <windows.h>

#include "bitbridge/arch.h"
#include "bitbridge/binary_header.h"
#include "common/platform/module_path-win32.h"

namespace bitbridge {
namespace {

std::string moduleDirectory(HMODULE module) {
  std::string path = moduleFileName(module);
  auto slash = path.find_last_of("\\/");
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

BinaryFormat nativeBinaryFormat() { return BinaryFormat::Pe; }

std::string hostExecutableName(Arch arch) {
  return arch == Arch::x86 ? "bitbridge-host32.exe" : "bitbridge-host64.exe";
}

std::string bridgeCoreDirectory() {
  HMODULE self = nullptr;
  if (::GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                               GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                           reinterpret_cast<LPCWSTR>(&bridgeCoreDirectory), &self)) {
    return moduleDirectory(self);
  }
  return moduleDirectory(nullptr);
}

std::string runningExecutableDirectory() { return moduleDirectory(nullptr); }

}  // namespace bitbridge
