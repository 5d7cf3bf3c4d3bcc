// The Host interface served by every host process (schemas/bitbridge/host.capnp).
//
// Lifetime: owned by the RPC system as its bootstrap capability. The registry it loads into and
// the component threads are owned by runHost and outlive the RPC system, so that activated instances (which
// live in component code) are destroyed before anything they depend on.
// Thread assumption: called on the host's single RPC thread.
#pragma once

#include <memory>

#include <capnp/message.h>
#include <kj/async-io.h>

#include "bitbridge/host.capnp.h"
#include "bitbridge/host.h"
#include "bulk_registry.h"
#include "component_loader.h"
#include "component_threads.h"
#include "host_watchdog.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

class HostService final : public proto::Host::Server {
 public:
  /// `onShutdown` is fulfilled after a shutdown call has been answered. `transport` is what
  /// info() reports as HostInfo.transport ("socket" or "shm").
  HostService(ComponentRegistry& registry, BulkRegistry& bulk, ComponentThreads& threads,
              std::shared_ptr<spdlog::logger> logger,
              kj::Own<kj::PromiseFulfiller<void>> onShutdown, const char* transport = "socket");

 protected:
  kj::Promise<void> info(InfoContext context) override;
  kj::Promise<void> load(LoadContext context) override;
  kj::Promise<void> activate(ActivateContext context) override;
  kj::Promise<void> shutdown(ShutdownContext context) override;
  kj::Promise<void> attachBulk(AttachBulkContext context) override;
  kj::Promise<void> detachBulk(DetachBulkContext context) override;

 private:
  static void fillComponent(proto::ComponentInfo::Builder out, const LoadedComponent& component);

  ComponentRegistry& registry_;
  BulkRegistry& bulk_;
  std::shared_ptr<spdlog::logger> logger_;
  ComponentThreads& threads_;
  kj::Own<kj::PromiseFulfiller<void>> onShutdown_;
  const char* transport_;  // a string literal
};

/// Runs a host on an already-open channel until the client disconnects or asks it to shut
/// down: hello exchange (with `helloTimeout`), then Cap'n Proto RPC serving HostService.
/// Returns the process exit code. Used by the host executables and by in-process tests.
/// With Transport::SharedMemory, the hello is followed by the shared-memory set-up
/// (acceptShmChannel, within the same `helloTimeout`; a failure is exit code 2 like a failed
/// hello) and RPC runs over the rings, `stream` staying open as their control socket.
/// `watchdog` names the heartbeat socket and the client's pid (see host_watchdog.h); the
/// default watches nothing (in-process tests).
int runHost(kj::AsyncIoContext& io, kj::Own<kj::AsyncIoStream> stream,
            std::shared_ptr<spdlog::logger> logger, kj::Duration helloTimeout,
            Transport transport = Transport::Socket, HostWatchdogSettings watchdog = {});

/// Reader limits for every Cap'n Proto message bitbridge receives (both directions).
capnp::ReaderOptions rpcReaderOptions();

}  // namespace bitbridge
