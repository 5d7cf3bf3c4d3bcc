// The Host interface served by every host process (schemas/bitbridge/host.capnp).
//
// Lifetime: owned by the RPC system as its bootstrap capability, so one HostService per
// connection. The registry it loads into and the component threads are owned by the host's
// main loop (runHost / runSharedHost) and outlive the RPC system, so that activated instances
// (which live in component code) are destroyed before anything they depend on. A shared host
// (shared_host.h) serves many connections, each with its own HostService over the same
// registry, bulk registry, component threads and SharedInstances.
// Thread assumption: called on the host's single RPC thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <capnp/message.h>
#include <kj/async-io.h>

#include "bitbridge/host.capnp.h"
#include "bitbridge/host.h"
#include "host/bounded_message_stream.h"
#include "wire/rpc_limits.h"  // rpcReaderOptions, for the service and the shared host
#include "host/bulk_registry.h"
#include "host/com/com_host.h"
#include "host/bind/lane_thread.h"
#include "host/components/component_loader.h"
#include "host/components/component_threads.h"
#include "host/host_watchdog.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

// What classes created by a host see of it (ComponentContext).
// Lifetime: must outlive every instance created with it (instances keep the reference).
/// A shared host's activation policy (like COM's REGCLS_MULTIPLEUSE): one instance per class,
/// created on its first activation and handed to every later client, whatever its bitness, so
/// all of them see the same state. Instances live until the host exits.
/// Lifetime: owned by the shared host; outlives every connection's HostService and is
/// destroyed before the ComponentRegistry (instances live in component code).
class SharedInstances {
 public:
  explicit SharedInstances(ComponentThreads& threads) : threads_(threads) {}
  /// The instance of `className`, created with `registry` the first time.
  capnp::Capability::Client get(const std::string& className, ComponentRegistry& registry);
  /// COM state every connection shares (com_host.h: one apartment, so that VB6 module
  /// variables are one for all clients; the objects created per key). Made on first use.
  const std::shared_ptr<ComHostState>& comState() {
    if (com_ == nullptr) com_ = makeComHostState();
    return com_;
  }

 private:
  ComponentThreads& threads_;  // outlives the instances (owned by runSharedHost)
  // Declared after threads_ and destroyed before it; holds COM objects kept per key, released
  // in their apartment when the host exits.
  std::shared_ptr<ComHostState> com_;
  // Behind a pointer: Capability::Client's copy constructor takes a non-const reference, which
  // std::pair's defaulted const copy constructor cannot use (clang refuses the map outright).
  std::map<std::string, std::unique_ptr<capnp::Capability::Client>> instances_;
};

class HostService final : public proto::Host::Server {
 public:
  /// `onShutdown` is fulfilled after a shutdown call has been answered (a private host then
  /// exits; a shared host closes only this connection). `transport` is what info() reports as
  /// HostInfo.transport ("socket" or "shm"). `shared`: null in a private host, where every
  /// activation creates a new instance; a shared host's instances otherwise.
  HostService(ComponentRegistry& registry, BulkRegistry& bulk, ComponentThreads& threads,
              std::shared_ptr<spdlog::logger> logger,
              kj::Own<kj::PromiseFulfiller<void>> onShutdown, const char* transport = "socket",
              SharedInstances* shared = nullptr, uint64_t connection = 0);
  /// Detaches the bulk segments this connection attached and did not detach (a client that
  /// went away without cleaning up must not leave mappings in a long-lived shared host).
  ~HostService();  // not virtual in capnp::Capability::Server; kj::heap deletes the concrete type

 protected:
  kj::Promise<void> info(InfoContext context) override;
  kj::Promise<void> load(LoadContext context) override;
  kj::Promise<void> activate(ActivateContext context) override;
  kj::Promise<void> shutdown(ShutdownContext context) override;
  kj::Promise<void> attachBulk(AttachBulkContext context) override;
  kj::Promise<void> detachBulk(DetachBulkContext context) override;
  kj::Promise<void> bind(BindContext context) override;
  kj::Promise<void> createComObject(CreateComObjectContext context) override;

 private:
  static void fillComponent(proto::ComponentInfo::Builder out, const LoadedComponent& component);

  ComponentRegistry& registry_;
  BulkRegistry& bulk_;
  std::shared_ptr<spdlog::logger> logger_;
  ComponentThreads& threads_;
  kj::Own<kj::PromiseFulfiller<void>> onShutdown_;
  const char* transport_;  // a string literal
  SharedInstances* shared_;
  std::set<uint64_t> attached_;  // bulk segments attached through this connection
  uint64_t connection_;          // owner of those segments in `bulk_` (bulk_registry.h)
  // This connection's COM objects and their apartment (com_host.h): made on the first
  // createComObject, so a host that serves no COM starts no apartment thread.
  std::unique_ptr<ComHost> com_;
  // This connection's fast lane (lane_thread.h), made by the first bind that asks for one.
  std::unique_ptr<LaneThread> lane_;
};

/// Runs a host on an already-open channel until the client disconnects or asks it to shut
/// down: hello exchange (with `helloTimeout`), then Cap'n Proto RPC serving HostService.
/// Returns the process exit code. Used by the host executables and by in-process tests.
/// With Transport::SharedMemory, the hello is followed by the shared-memory set-up
/// (acceptShmChannel, within the same `helloTimeout`; a failure is exit code 2 like a failed
/// hello) and RPC runs over the rings, `stream` staying open as their control socket.
/// `watchdog` names the heartbeat socket and the client's pid (see host_watchdog.h); the
/// default watches nothing (in-process tests). `limits` bound the connection's memory
/// (bounded_message_stream.h; a private host has no stall timeout).
int runHost(kj::AsyncIoContext& io, kj::Own<kj::AsyncIoStream> stream,
            std::shared_ptr<spdlog::logger> logger, kj::Duration helloTimeout,
            Transport transport = Transport::Socket, HostWatchdogSettings watchdog = {},
            ConnectionLimits limits = {});

}  // namespace bitbridge
