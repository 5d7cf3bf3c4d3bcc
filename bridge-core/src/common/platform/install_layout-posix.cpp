#include "common/platform/install_layout.h"

#include <dlfcn.h>
#include <stdlib.h>

#include <climits>

#include "bitbridge/arch.h"
#include "bitbridge/binary_header.h"

namespace bitbridge {
namespace {

std::string parentOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

std::string canonical(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
}

}  // namespace

BinaryFormat nativeBinaryFormat() { return BinaryFormat::Elf; }

std::string hostExecutableName(Arch arch) {
  return arch == Arch::x86 ? "bitbridge-host32" : "bitbridge-host64";
}

std::string bridgeCoreDirectory() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&bridgeCoreDirectory), &info) != 0 && info.dli_fname) {
    return parentOf(canonical(info.dli_fname));
  }
  return runningExecutableDirectory();
}

std::string runningExecutableDirectory() { return parentOf(canonical("/proc/self/exe")); }

}  // namespace bitbridge
