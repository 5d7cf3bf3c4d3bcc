// Resolves a binary's dependencies the way the host that would load it resolves them, without
// loading anything: ELF as ld.so does for a library dlopen()ed by bitbridge-host32/-host64,
// PE as LoadLibraryEx(LOAD_WITH_ALTERED_SEARCH_PATH) does in a Windows host.
//
// Libraries the host process has already loaded (bitbridge-core and everything it needs) are
// "provided by the host": the loader finds them by name among loaded objects and never searches
// for them, which is why `ldd` on a component wrongly reports libbitbridge-core as missing.
// Used by `bitbridge inspect` (tools/bitbridge-cli/) and by hosts, to explain a component their
// loader refused (findDependencyProblem in component_loader.h).
// Thread/lifetime: a resolver is immutable after set-up; resolve() may be called repeatedly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/binary/binary_image.h"
#include "common/binary/search_environment.h"
#include "common/internal_api.h"

namespace bitbridge {

enum class DependencyStatus : uint8_t {
  Found,            ///< found at `path`, of the right class and machine
  ProvidedByHost,   ///< already loaded in the host process (path, if known)
  System,           ///< a Windows system DLL (KnownDLLs, API sets): always present
  Missing,          ///< found nowhere the loader looks
  WrongBitness,     ///< found only with another class/machine (`path`, `detail` says what)
  Unreadable,       ///< found, but its own headers are corrupt (`detail`)
  NotResolvedHere,  ///< a dependency of the other platform's format (`detail` says where)
};

/// Stable lower-case names, as in the JSON output: "found", "provided-by-host", ...
BITBRIDGE_INTERNAL_API const char* dependencyStatusName(DependencyStatus status);
/// True for the statuses that make loading fail: missing, wrong-bitness, unreadable.
BITBRIDGE_INTERNAL_API bool isProblem(DependencyStatus status);

struct Dependency {
  std::string name;      ///< as the needing binary names it (DT_NEEDED, import DLL name)
  std::string neededBy;  ///< path of the binary that needs it
  unsigned depth = 1;    ///< 1: needed by the inspected file itself
  bool delayLoaded = false;
  DependencyStatus status = DependencyStatus::Missing;
  std::string path;      ///< where it was found (or the wrong-bitness candidate)
  std::string detail;    ///< why (wrong bitness: the candidate's header; unreadable: the error)
};

class BITBRIDGE_INTERNAL_API DependencyResolver {
 public:
  explicit DependencyResolver(SearchEnvironment env);

  /// Records `hostExecutable`'s own dependency closure (and the host itself) as loaded in the
  /// host process, so a component's dependencies on them are "provided by the host". Without
  /// it, only bitbridge-core is recognised (by name). Throws Error if the host is unreadable.
  void addHostLibraries(const std::string& hostExecutable);

  /// Every library `image` (the file at `path`) needs, directly or through its dependencies,
  /// breadth-first as the loader maps them; each name once.
  std::vector<Dependency> resolve(const std::string& path, const BinaryImage& image) const;

 private:
  // `hostRules`: apply what the host provides (off while resolving the host itself, so that
  // its bitbridge-core is searched for and found with its path and dependencies).
  std::vector<Dependency> resolve(const std::string& path, const BinaryImage& image,
                                  bool hostRules) const;

  SearchEnvironment env_;
  // Name (DT_NEEDED name, soname or file name; lower case for PE) -> path, of what the host
  // has loaded.
  std::map<std::string, std::string> hostLibraries_;
};

/// True for names of DLLs every Windows process can load from the system (kernel32, msvcrt,
/// api-ms-win-*, ...), compared case-insensitively.
BITBRIDGE_INTERNAL_API bool isWindowsSystemDll(const std::string& name);

}  // namespace bitbridge

