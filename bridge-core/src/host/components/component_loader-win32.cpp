// Windows component loading: header check, then LoadLibraryExW with the component's own
// directory searched first for its dependencies (LOAD_WITH_ALTERED_SEARCH_PATH), so a legacy
// DLL next to the component is found as on Linux with RPATH $ORIGIN. A missing dependency or
// entry point fails here, at load, with the system's own words (FormatMessage), rather than as
// a crash in the middle of a call; a dependency of the other bitness, or one found nowhere, is
// then named (findDependencyProblem, on the failure path only). No error dialog: preparePlatform() turned them off.
#include <windows.h>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "common/inspect_hint.h"
#include "common/platform/text-win32.h"
#include "host/components/component_loader.h"

namespace bitbridge {
namespace {

// This host's .exe: what it and the DLLs it loaded provide counts as present for the
// dependency walk.
std::string thisExecutable() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD n = ::GetModuleFileNameW(nullptr, &path[0], static_cast<DWORD>(path.size()));
    if (n == 0) return {};
    if (n < path.size()) return narrow(path.substr(0, n));
    path.resize(path.size() * 2);
  }
}

}  // namespace

LoadedComponent openComponentLibrary(const std::string& path, const std::string& legacyLibrary) {
  // Missing file: NotFound; garbage or a foreign format: BadConfiguration; else bitness.
  requireHostable(path, currentArch(), BinaryRole::Component);
  if (!legacyLibrary.empty()) requireHostable(legacyLibrary, currentArch(), BinaryRole::LegacyLibrary);

  // Load exactly the file whose header we checked: a bare name would search the DLL path.
  std::wstring wide = widen(path);
  DWORD size = ::GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
  std::wstring full(size, L'\0');
  size = ::GetFullPathNameW(wide.c_str(), size, &full[0], nullptr);
  if (size == 0) {
    throw Error(ErrorKind::NotFound, "cannot resolve " + path + ": " + lastWin32ErrorText());
  }
  full.resize(size);
  LoadedComponent loaded;
  loaded.path = narrow(full);

  HMODULE module = ::LoadLibraryExW(full.c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
  if (module == nullptr) {
    DWORD error = ::GetLastError();
    std::string loaderText = win32ErrorText(error);
    // The loader's code says that a DLL was not taken (126; Wine also answers 126 when the
    // only candidate is of the other machine, where Windows answers 193), not which one or
    // why. Walking the dependencies' headers answers both, but reads every dependency, so it
    // runs only here, once the load has failed: a load that succeeds pays nothing.
    if (error == ERROR_MOD_NOT_FOUND || error == ERROR_BAD_EXE_FORMAT) {
      if (auto problem = findDependencyProblem(loaded.path, thisExecutable())) {
        if (problem->status == DependencyStatus::WrongBitness) {
          throw wrongBitnessDependencyError(loaded.path, *problem, loaderText);
        }
        throw Error(ErrorKind::BadConfiguration,
                    "cannot load " + loaded.path + ": " + loaderText + ": it needs " +
                        problem->name + throughWhat(loaded.path, *problem) +
                        ", which is nowhere the loader looks (next to the component, the "
                        "system directories, PATH)",
                    "put " + problem->name + " (" + std::to_string(sizeof(void*) * 8) +
                        "-bit) next to the component or in a directory on PATH; `" +
                        inspectCommand(loaded.path) + "` lists all its dependencies");
      }
    }
    throw Error(ErrorKind::BadConfiguration, "cannot load " + loaded.path + ": " + loaderText,
                error == ERROR_MOD_NOT_FOUND
                    ? "a DLL it needs is missing: run `" + inspectCommand(loaded.path) +
                          "` to see which, and put its dependencies next to the component"
                    : "a DLL it needs may be of the wrong bitness or missing an export; run `" +
                          inspectCommand(loaded.path) + "` to see which");
  }
  FARPROC entry = ::GetProcAddress(module, BITBRIDGE_COMPONENT_ENTRY_NAME);
  if (entry == nullptr) {
    std::string why = " (" + lastWin32ErrorText() + ")";
    ::FreeLibrary(module);  // nothing from it is in use yet
    throw Error(ErrorKind::BadConfiguration,
                loaded.path + " is not a bitbridge component: it does not export " +
                    BITBRIDGE_COMPONENT_ENTRY_NAME + why,
                "export one with BITBRIDGE_COMPONENT(bitbridge::serve<Impl>(\"name\")) and build "
                "it with bitbridge_add_component; to call a plain DLL, wrap it in a component");
  }
  using EntryPoint = const ComponentTable* (*)();
  loaded.table = reinterpret_cast<EntryPoint>(reinterpret_cast<void*>(entry))();
  validateComponentTable(loaded.table, loaded.path);
  for (uint32_t i = 0; i < loaded.table->classCount; ++i) {
    loaded.classes.emplace_back(loaded.table->classes[i].name);
  }
  // The module is intentionally never freed: see component_loader.h.
  return loaded;
}

}  // namespace bitbridge
