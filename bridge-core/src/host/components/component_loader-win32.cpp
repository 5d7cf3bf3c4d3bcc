// Windows component loading: header check, then LoadLibraryExW with the component's own
// directory searched first for its dependencies (LOAD_WITH_ALTERED_SEARCH_PATH), so a legacy
// DLL next to the component is found as on Linux with RPATH $ORIGIN. A missing dependency or
// entry point fails here, at load, naming it (dll_load-win32.h), rather than as a crash in the
// middle of a call. No error dialog: preparePlatform() turned them off.
#include <windows.h>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "common/inspect_hint.h"
#include "common/platform/text-win32.h"
#include "host/components/component_loader.h"
#include "host/dll_load-win32.h"

namespace bitbridge {
LoadedComponent openComponentLibrary(const std::string& path, const std::string& legacyLibrary) {
  // Missing file: NotFound; garbage or a foreign format: BadConfiguration; else bitness.
  requireHostable(path, currentArch(), BinaryRole::Component);
  if (!legacyLibrary.empty()) requireHostable(legacyLibrary, currentArch(), BinaryRole::LegacyLibrary);

  // Load exactly the file whose header we checked: a bare name would search the DLL path.
  LoadedDll dll = loadDllExplainingFailure(path, "component");
  HMODULE module = dll.module;
  LoadedComponent loaded;
  loaded.path = dll.path;
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
