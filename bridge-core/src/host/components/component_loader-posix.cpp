// POSIX component loading: header check, then dlopen(RTLD_NOW) so that a missing symbol in
// the component or the legacy library fails here, at load, with dlerror()'s own words, rather
// than as a crash in the middle of a call.
#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <cstring>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "common/inspect_hint.h"
#include "common/platform/system_error_text.h"
#include "host/components/component_loader.h"

namespace bitbridge {
namespace {

// This host's executable: what it has loaded counts as present for the dependency walk.
std::string thisExecutable() {
  char path[PATH_MAX];
  return ::realpath("/proc/self/exe", path) != nullptr ? std::string(path) : std::string();
}

}  // namespace

LoadedComponent openComponentLibrary(const std::string& path, const std::string& legacyLibrary) {
  // Missing file: NotFound; garbage or a foreign format: BadConfiguration; else bitness.
  requireHostable(path, currentArch(), BinaryRole::Component);
  if (!legacyLibrary.empty()) requireHostable(legacyLibrary, currentArch(), BinaryRole::LegacyLibrary);

  // Load exactly the file whose header we checked (a bare name would search LD_LIBRARY_PATH).
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) {
    throw Error(ErrorKind::NotFound, "cannot resolve " + path + ": " + errnoText(errno));
  }
  LoadedComponent loaded;
  loaded.path = resolved;

  void* handle = ::dlopen(loaded.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* raw = ::dlerror();
    std::string why = raw ? raw : "unknown dlopen error";
    // ld.so skips a dependency of the other class and, if nothing else matches, says only
    // "libx.so: wrong ELF class: ELFCLASS64": not where that file is, nor what needs it. The
    // dependency walk (on this failure path only, so a good load pays nothing) names both.
    // dlerror()'s "cannot open shared object file" already names a missing library: left as
    // is.
    if (auto problem = findDependencyProblem(loaded.path, thisExecutable())) {
      if (problem->status == DependencyStatus::WrongBitness) {
        throw wrongBitnessDependencyError(loaded.path, *problem, why);
      }
    }
    throw Error(ErrorKind::BadConfiguration, "cannot load " + loaded.path + ": " + why,
                "a library it needs may be missing or of the wrong bitness; run `" +
                    inspectCommand(loaded.path) +
                    "` to see which, and put dependencies next to the component");
  }
  ::dlerror();
  void* entry = ::dlsym(handle, BITBRIDGE_COMPONENT_ENTRY_NAME);
  if (entry == nullptr) {
    // Copy the text first: dlclose() frees the buffer dlerror() returned.
    const char* raw = ::dlerror();
    std::string why = raw ? std::string(" (") + raw + ")" : "";
    ::dlclose(handle);  // nothing from it is in use yet
    throw Error(ErrorKind::BadConfiguration,
                loaded.path + " is not a bitbridge component: it does not export " +
                    BITBRIDGE_COMPONENT_ENTRY_NAME + why,
                "export one with BITBRIDGE_COMPONENT(bitbridge::serve<Impl>(\"name\")) and build "
                "it with bitbridge_add_component; to call a plain C library, wrap it in a component");
  }
  using EntryPoint = const ComponentTable* (*)();
  loaded.table = reinterpret_cast<EntryPoint>(entry)();
  validateComponentTable(loaded.table, loaded.path);
  for (uint32_t i = 0; i < loaded.table->classCount; ++i) {
    loaded.classes.emplace_back(loaded.table->classes[i].name);
  }
  // The handle is intentionally never closed: see component_loader.h.
  return loaded;
}

}  // namespace bitbridge
