#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <vector>

#include "bitbridge/error.h"
#include "client/host_locator.h"
#include "common/platform/install_layout.h"

namespace bitbridge {
namespace {

std::string canonical(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
}

}  // namespace

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
    directories.push_back(runningExecutableDirectory());
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
