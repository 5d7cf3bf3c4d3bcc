// The Host interface served by every host process (schemas/bitbridge/host.capnp).
//
// Lifetime: owned by the RPC system as its bootstrap capability. The registry it loads into is
// owned by the host's main and outlives the RPC system, so that activated instances (which
// live in component code) are destroyed before anything they depend on.
// Thread assumption: called on the host's single RPC thread.
#pragma once

#include <memory>

#include <capnp/message.h>
#include <kj/async-io.h>

#include "bitbridge/host.capnp.h"
#include "component_loader.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

class HostService final : public proto::Host::Server {
 public:
  /// `onShutdown` is fulfilled after a shutdown call has been answered.
  HostService(ComponentRegistry& registry, std::shared_ptr<spdlog::logger> logger,
              kj::Own<kj::PromiseFulfiller<void>> onShutdown);

 protected:
  kj::Promise<void> info(InfoContext context) override;
  kj::Promise<void> load(LoadContext context) override;
  kj::Promise<void> activate(ActivateContext context) override;
  kj::Promise<void> shutdown(ShutdownContext context) override;

 private:
  // What classes created by this host see of it.
  class Context final : public ComponentContext {
   public:
    explicit Context(spdlog::logger& logger) : logger_(logger) {}
    spdlog::logger& logger() override { return logger_; }
    const char* componentPath() const override { return componentPath_.c_str(); }
    std::string componentPath_;  // set around each factory call

   private:
    spdlog::logger& logger_;
  };

  static void fillComponent(proto::ComponentInfo::Builder out, const LoadedComponent& component);

  ComponentRegistry& registry_;
  std::shared_ptr<spdlog::logger> logger_;
  kj::Own<kj::PromiseFulfiller<void>> onShutdown_;
  Context context_;
};

/// Runs a host on an already-open channel until the client disconnects or asks it to shut
/// down: hello exchange (with `helloTimeout`), then Cap'n Proto RPC serving HostService.
/// Returns the process exit code. Used by the host executables and by in-process tests.
int runHost(kj::AsyncIoContext& io, kj::Own<kj::AsyncIoStream> stream,
            std::shared_ptr<spdlog::logger> logger, kj::Duration helloTimeout);

/// Reader limits for every Cap'n Proto message bitbridge receives (both directions).
capnp::ReaderOptions rpcReaderOptions();

}  // namespace bitbridge
