#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <vector>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "client/host_locator.h"

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
  return parentOf(canonical("/proc/self/exe"));
}

std::string locateHostExecutable(Arch arch, const std::string& explicitDirectory) {
  const std::string name = hostExecutableName(arch);
  std::vector<std::string> directories;
  const char* env = std::getenv("BITBRIDGE_HOST_DIR");
  if (!explicitDirectory.empty()) {
    directories.push_back(explicitDirectory);
  } else if (env != nullptr && *env != '\0') {
    directories.push_back(env);  // an override: never silently fall back to another host
  } else {
    const std::string core = bridgeCoreDirectory();
    directories.push_back(core + "/../../bin");  // <prefix>/lib/<multiarch>/ -> <prefix>/bin
    directories.push_back(core + "/../bin");     // <prefix>/lib/ -> <prefix>/bin
    directories.push_back(core);
    directories.push_back(parentOf(canonical("/proc/self/exe")));
  }
  std::string tried;
  for (const auto& dir : directories) {
    std::string candidate = canonical(dir + "/" + name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    tried += "\n  " + candidate;
  }
  throw Error(ErrorKind::NotFound, name + " (the " + std::string(archName(arch)) +
                                       " host) was not found; looked in:" + tried,
              "build or install both bitnesses, or set BITBRIDGE_HOST_DIR (or "
              "HostOptions::hostDirectory) to the directory that holds " + name);
}

}  // namespace bitbridge
