// Host.createComObject (schemas/bitbridge/host.capnp): in-process COM objects served by late
// binding (schemas/bitbridge/com.capnp). Windows hosts build com_host-win32.cpp (an apartment
// thread, activation, the Dispatch server); other hosts com_host-posix.cpp, which answers
// Unimplemented.
//
// Lifetime: a ComHost belongs to one HostService (one connection) and is created on its first
// createComObject. Its apartment thread lives as long as the ComHost or any object made there,
// whichever is last (the objects keep it), so a client's objects outlive nothing they need.
// Thread assumption: create() is called on the host's RPC thread.
#pragma once

#include <memory>
#include <string>

#include <capnp/capability.h>

namespace spdlog {
class logger;
}

namespace bitbridge {

class ComHost {
 public:
  virtual ~ComHost() = default;
  /// Creates class `classId` (ProgID or "{CLSID}") from the registry view of this host's
  /// bitness, or, with `path` not empty, from that DLL without the registry. Resolves to a
  /// proto::Dispatch capability; breaks with the Error the activation met.
  virtual kj::Promise<capnp::Capability::Client> create(const std::string& classId,
                                                        const std::string& path) = 0;
};

/// This platform's ComHost.
std::unique_ptr<ComHost> makeComHost(std::shared_ptr<spdlog::logger> logger);

}  // namespace bitbridge
