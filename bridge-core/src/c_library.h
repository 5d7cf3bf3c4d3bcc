// A plain C library opened by a host for Host::bind, and its functions by name.
//
// Lifetime: a library stays loaded until the host exits (as components do, component_loader.h:
// many legacy libraries crash or leak when unloaded, and a bound object may outlive its
// binding's caller). Thread assumption: opened and resolved on the host's RPC thread.
#pragma once

#include <string>

namespace bitbridge {

class CLibrary {
 public:
  /// Checks `path`'s header against this host's architecture (NotFound, WrongBitness,
  /// BadConfiguration as for components), then loads it with the platform loader (every
  /// symbol resolved now: a missing dependency fails here, in the loader's words).
  static CLibrary open(const std::string& path);

  /// The address of the exported function `symbol`; throws Error{NotFound} naming `method`,
  /// the symbol and the library.
  void* function(const std::string& symbol, const std::string& method) const;

  const std::string& path() const { return path_; }

 private:
  CLibrary(std::string path, void* handle) : path_(std::move(path)), handle_(handle) {}
  std::string path_;  // canonical absolute path
  void* handle_;      // never closed (see above)
};

}  // namespace bitbridge
