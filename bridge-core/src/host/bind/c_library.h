// A plain C library opened by a host for Host::bind, and its functions by name.
//
// Platform code: c_library-posix.cpp (dlopen/dlsym), c_library-win32.cpp (LoadLibraryW/
// GetProcAddress).
//
// Lifetime: a library stays loaded until the host exits (as components do, component_loader.h:
// many legacy libraries crash or leak when unloaded, and a bound object may outlive its
// binding's caller). Thread assumption: opened and resolved on the host's RPC thread.
#pragma once

#include <string>

#include "host/bind/c_binding_plan.h"

namespace bitbridge {

class CLibrary {
 public:
  /// Checks `path`'s header against this host's architecture (NotFound, WrongBitness,
  /// BadConfiguration as for components), then loads it with the platform loader (every
  /// symbol resolved now: a missing dependency fails here, in the loader's words).
  /// Windows also takes a bare DLL name ("kernel32.dll", no directory), found where
  /// LoadLibrary looks (the system DLLs are there in the host's bitness).
  static CLibrary open(const std::string& path);

  /// The address of the exported function `symbol`, by that exact name; throws
  /// Error{NotFound} naming `method`, the symbol and the library.
  void* function(const std::string& symbol, const std::string& method) const;

  /// The address of the function `plan` calls: its `symbol`, or on Windows its export
  /// `ordinal`, or for a stdcall function its decorated name (`_symbol@N`, `symbol@N`). Throws
  /// Error{NotFound} naming the method, the symbol (or ordinal) and the library;
  /// Error{BadConfiguration} for an ordinal on a platform without them.
  void* function(const cbind::FunctionPlan& plan) const;

  const std::string& path() const { return path_; }

 private:
  CLibrary(std::string path, void* handle) : path_(std::move(path)), handle_(handle) {}
  std::string path_;  // canonical absolute path
  void* handle_;      // never closed (see above)
};

}  // namespace bitbridge
