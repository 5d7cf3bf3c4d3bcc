// CLibrary on POSIX: header check, then dlopen(RTLD_NOW | RTLD_LOCAL) and dlsym.
#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <cstring>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "common/inspect_hint.h"
#include "common/platform/system_error_text.h"
#include "host/bind/c_library.h"
#include "host/components/component_loader.h"

namespace bitbridge {

CLibrary CLibrary::open(const std::string& path) {
  requireHostable(path, currentArch(), BinaryRole::LegacyLibrary);
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) {
    int error = errno;
    throw Error(ErrorKind::NotFound, "cannot resolve " + path + ": " + errnoText(error));
  }
  // RTLD_LOCAL: two bound libraries (or a library and a component) may export the same names.
  void* handle = ::dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* raw = ::dlerror();
    std::string why = raw ? raw : "unknown dlopen error";
    // As for components: a dependency of the other class is named with its path (the walk
    // runs on this failure path only).
    char self[PATH_MAX];
    std::string executable = ::realpath("/proc/self/exe", self) != nullptr ? self : "";
    if (auto problem = findDependencyProblem(resolved, executable)) {
      if (problem->status == DependencyStatus::WrongBitness) {
        throw wrongBitnessDependencyError(resolved, *problem, why);
      }
    }
    throw Error(ErrorKind::BadConfiguration, std::string("cannot load ") + resolved + ": " + why,
                "a library it needs may be missing or of the wrong bitness; run `" +
                    inspectCommand(resolved) + "` to see which");
  }
  return CLibrary(resolved, handle);
}

void* CLibrary::function(const std::string& symbol, const std::string& method) const {
  ::dlerror();
  void* address = ::dlsym(handle_, symbol.c_str());
  if (address == nullptr) {
    throw Error(ErrorKind::NotFound,
                method + ": " + path_ + " does not export '" + symbol + "'",
                "name the exported function with $C.symbol(\"<name>\") on the method; `" +
                    inspectCommand(path_) + " --exports` lists what it exports");
  }
  return address;
}

void* CLibrary::function(const cbind::FunctionPlan& plan) const {
  if (plan.ordinal) {
    throw Error(ErrorKind::BadConfiguration,
                plan.method + ": $ordinal(" + std::to_string(*plan.ordinal) + ") names an export "
                    "by number, which only Windows DLLs have; " + path_ + " is an ELF library",
                "name the function with $C.symbol(\"<name>\") instead");
  }
  // ELF has no decorated stdcall names (GCC exports __attribute__((stdcall)) functions
  // undecorated on i386 Linux): the name is the name.
  return function(plan.symbol, plan.method);
}

}  // namespace bitbridge
