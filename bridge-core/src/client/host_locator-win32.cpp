// Windows host lookup. Layout (cmake/BitbridgePlatform.cmake): bin\x86\bitbridge-host32.exe and
// bin\x86_64\bitbridge-host64.exe, each next to its own bitbridge-core.dll and mingw runtime DLLs.
// A client finds the other bitness's host through the directory its own bitbridge-core.dll was
// loaded from: <bin>\<arch> -> <bin>\<other arch> in an install, or <app> -> <app>\<other arch>
// in a program's directory made by bitbridge_copy_runtime (BitbridgeHelpers.cmake). (No
// backslash ends a line here: it would continue the comment onto the next line.)
#include <windows.h>

#include <cstdlib>
#include <vector>

#include "bitbridge/error.h"
#include "client/host_locator.h"
#include "common/platform/install_layout.h"
#include "common/platform/text-win32.h"

namespace bitbridge {
namespace {

bool isFile(const std::string& path) {
  DWORD attributes = ::GetFileAttributesW(widen(path).c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY);
}

std::string fullPath(const std::string& path) {
  std::wstring wide = widen(path);
  DWORD size = ::GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
  if (size == 0) return path;
  std::wstring full(size, L'\0');
  size = ::GetFullPathNameW(wide.c_str(), size, &full[0], nullptr);
  full.resize(size);
  return narrow(full);
}

}  // namespace

std::string locateHostExecutable(Arch arch, const std::string& explicitDirectory) {
  const std::string name = hostExecutableName(arch);
  const std::string archDirectory(archName(arch));
  std::vector<std::string> directories;
  const char* env = std::getenv("BITBRIDGE_HOST_DIR");
  std::string override = !explicitDirectory.empty() ? explicitDirectory : (env ? env : "");
  if (!override.empty()) {
    // An override: never silently fall back to another host. It may name bin\ or bin\<arch>\.
    directories.push_back(override);
    directories.push_back(override + "\\" + archDirectory);
  } else {
    const std::string core = bridgeCoreDirectory();
    directories.push_back(core);                               // bin\<arch>\ of the same bitness
    // A program directory first: its parent may hold anything, an install has no bin\<arch>\<arch>.
    directories.push_back(core + "\\" + archDirectory);        // <app>\<other arch>\ (deployed)
    directories.push_back(core + "\\..\\" + archDirectory);    // bin\<other arch>\ (installed)
    directories.push_back(runningExecutableDirectory());           // next to the application
  }
  std::string tried;
  for (const auto& dir : directories) {
    std::string candidate = fullPath(dir + "\\" + name);
    if (isFile(candidate)) return candidate;
    tried += "\n  " + candidate;
  }
  throw Error(ErrorKind::NotFound, name + " (the " + std::string(archName(arch)) +
                                       " host) was not found; looked in:" + tried,
              "build or install both bitnesses (bin\\x86 and bin\\x86_64), or set "
              "BITBRIDGE_HOST_DIR (or HostOptions::hostDirectory) to the directory that holds " +
                  name);
}

}  // namespace bitbridge
