// Loading a DLL into a Windows host so that a failure names its cause: components, bound C
// libraries and ActiveX DLLs all load through here. Windows only.
//
// The loader's own code says only that some DLL was not taken (126; Wine also answers 126 when
// the only candidate is of the other machine, where Windows answers 193), not which or why.
// Walking the dependencies' headers answers both, but reads every dependency, so it runs only
// once a load has failed: a load that succeeds pays nothing.
#pragma once

#include <windows.h>

#include <string>

namespace bitbridge {

struct LoadedDll {
  HMODULE module;
  std::string path;  ///< the full path it was loaded from
};

/// LoadLibraryExW of `path` made absolute (exactly the file whose header the caller checked;
/// its own directory is searched first for its dependencies: LOAD_WITH_ALTERED_SEARCH_PATH).
/// `role` names it in messages and hints ("component", "library", "ActiveX DLL"). Throws
/// NotFound if the path cannot be resolved, BadConfiguration naming the dependency that is
/// missing or of the other bitness (and, for the Visual Basic runtime, where to get it), or the
/// loader's own words with the `bitbridge inspect` command that lists the dependencies.
/// The module is the caller's; none of ours frees it (see component_loader.h).
LoadedDll loadDllExplainingFailure(const std::string& path, const std::string& role);

}  // namespace bitbridge
