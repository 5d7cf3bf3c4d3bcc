#include "host/host_service.h"

#include <cstring>


#include <capnp/rpc-twoparty.h>

#include "bitbridge/detail/capnp_schema.h"  // before schema-loader.h: see there
#include <capnp/schema-loader.h>
#include <capnp/serialize.h>
#include <spdlog/logger.h>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "common/bulk/bulk_segment.h"
#include "common/fresh_timer.h"
#include "common/process/child_process.h"
#include "common/transport/handshake.h"
#include "common/transport/shm_stream.h"
#include "host/abort_logging_stream.h"
#include "host/bind/bind_schema.h"
#include "host/bind/c_binding.h"
#include "host/bind/lane_target.h"
#include "wire/host_exit.h"

#ifndef BITBRIDGE_VERSION
#define BITBRIDGE_VERSION "unknown"
#endif

namespace bitbridge {
namespace {

// Runs `body`, turning a bitbridge::Error into the kj exception Cap'n Proto sends back, so the
// client receives the kind and the hint.
template <typename Body>
auto reportingErrors(Body&& body) {
  try {
    return body();
  } catch (const Error& error) {
    throwAsKj(error);
  }
}

// After answering shutdown, how long a host waits for the client to close the channel.
constexpr auto kShutdownFlush = 500 * kj::MILLISECONDS;

}  // namespace

capnp::Capability::Client SharedInstances::get(const std::string& className,
                                               ComponentRegistry& registry) {
  if (auto it = instances_.find(className); it != instances_.end()) return *it->second;
  registry.requireClass(className);  // throws NotFound: nothing is kept
  auto object = registry.create(className,
                                threads_.contextFor(className, registry.componentOf(className),
                                                    registry.classFlags(className)));
  instances_.emplace(className, std::make_unique<capnp::Capability::Client>(object));
  return object;
}

HostService::HostService(ComponentRegistry& registry, BulkRegistry& bulk,
                         ComponentThreads& threads, std::shared_ptr<spdlog::logger> logger,
                         kj::Own<kj::PromiseFulfiller<void>> onShutdown, const char* transport,
                         SharedInstances* shared, uint64_t connection)
    : registry_(registry),
      bulk_(bulk),
      logger_(std::move(logger)),
      threads_(threads),
      onShutdown_(kj::mv(onShutdown)),
      transport_(transport),
      shared_(shared),
      connection_(connection) {}

HostService::~HostService() {
  // The lane first: its thread may be inside a call into a library bound here. One stuck in a
  // legacy call is left running with everything it uses (lane_thread.h): leaked on purpose.
  if (lane_ && lane_->stopOrAbandon()) {
    logger_->warn("the fast lane's thread is inside a library call; left running");
    (void)lane_.release();
  }
  lane_.reset();
  for (uint64_t segment : attached_) bulk_.detach(segment);
  if (!attached_.empty()) {
    logger_->debug("detached {} bulk segment(s) the client left attached", attached_.size());
  }
}

void HostService::fillComponent(proto::ComponentInfo::Builder out,
                                const LoadedComponent& component) {
  out.setPath(component.path);
  auto classes = out.initClasses(static_cast<unsigned>(component.classes.size()));
  for (unsigned i = 0; i < classes.size(); ++i) classes.set(i, component.classes[i]);
}

kj::Promise<void> HostService::info(InfoContext context) {
  auto info = context.getResults().initInfo();
  info.setPid(currentProcessId());
  info.setPointerBits(static_cast<uint8_t>(sizeof(void*) * 8));
  info.setArch(static_cast<uint8_t>(currentArch()));
  info.setOs(nativeBinaryFormat() == BinaryFormat::Pe ? "windows" : "linux");
  info.setVersion(BITBRIDGE_VERSION);
  info.setProtocolVersion(proto::PROTOCOL_VERSION);
  info.setTransport(transport_);
  info.setShared(shared_ != nullptr);
  const auto& components = registry_.components();
  auto list = info.initComponents(static_cast<unsigned>(components.size()));
  for (unsigned i = 0; i < list.size(); ++i) fillComponent(list[i], *components[i]);
  return kj::READY_NOW;
}

kj::Promise<void> HostService::load(LoadContext context) {
  std::string path = context.getParams().getPath();
  std::string legacy = context.getParams().getLegacyLibrary();
  reportingErrors([&] {
    try {
      const LoadedComponent& loaded = registry_.load(path, legacy);
      logger_->info("loaded component {} ({} classes)", loaded.path, loaded.classes.size());
      fillComponent(context.getResults().initComponent(), loaded);
    } catch (const Error& e) {
      // In the host's log too, so that logTail() and the forwarded log say why (the caller
      // gets the Error itself).
      logger_->error("cannot load component {}: {}", path, e.what());
      throw;
    }
  });
  return kj::READY_NOW;
}

kj::Promise<void> HostService::activate(ActivateContext context) {
  std::string name = context.getParams().getClassName();
  reportingErrors([&] {
    registry_.requireClass(name);  // before a context is made for the name
    capnp::Capability::Client object = nullptr;
    if (shared_ != nullptr) {
      object = shared_->get(name, registry_);
    } else {
      object = registry_.create(
          name, threads_.contextFor(name, registry_.componentOf(name), registry_.classFlags(name)));
    }
    logger_->debug("activated {}{}", name, shared_ != nullptr ? " (shared instance)" : "");
    context.getResults().setObject(kj::mv(object));
  });
  return kj::READY_NOW;
}

kj::Promise<void> HostService::shutdown(ShutdownContext) {
  logger_->info("shutdown requested by client");
  // Fulfil on a later turn so the answer to this call is queued for sending first.
  return kj::evalLater([this]() { onShutdown_->fulfill(); });
}

kj::Promise<void> HostService::attachBulk(AttachBulkContext context) {
  std::string name = context.getParams().getName();
  reportingErrors([&] {
    auto segment = bulk_.attach(name, connection_);
    attached_.insert(segment->id());
    logger_->debug("attached bulk segment {} ({} bytes)", segment->id(), segment->dataBytes());
    context.getResults().setSegment(segment->id());
    context.getResults().setSize(segment->dataBytes());
  });
  return kj::READY_NOW;
}

kj::Promise<void> HostService::detachBulk(DetachBulkContext context) {
  // Only segments this connection attached: in a shared host, another client's are not ours
  // to drop. Unknown ids are ignored, as before.
  if (attached_.erase(context.getParams().getSegment()) != 0) {
    bulk_.detach(context.getParams().getSegment());
  }
  return kj::READY_NOW;
}

kj::Promise<void> HostService::bind(BindContext context) {
  auto params = context.getParams();
  std::string library = params.getLibrary();
  reportingErrors([&] {
    // The client's schema, checked by Cap'n Proto's loader (a node that is not a valid schema
    // node is the peer's fault, not the library's). One loader per binding: the object keeps
    // it, since the interface schema it serves points into it.
    auto schemas = loadBindSchema(params.getNodes(), params.getInterfaceId(), library);
    auto bound = bindCLibrary(library, std::move(schemas), params.getInterfaceId(), logger_,
                              threads_, bulk_);
    auto results = context.getResults();
    uint64_t laneSegment = params.getLaneSegment();
    if (laneSegment != 0 && bound.lane != nullptr) {
      if (attached_.count(laneSegment) == 0) {
        throw Error(ErrorKind::MalformedPeer,
                    "bind: the fast lane's segment " + std::to_string(laneSegment) +
                        " is not one this connection attached");
      }
      if (!lane_) {
        lane_ = std::make_unique<LaneThread>(bulk_.segment(laneSegment), logger_);
      } else if (lane_->segmentId() != laneSegment) {
        throw Error(ErrorKind::MalformedPeer, "bind: this connection has a fast lane already, "
                                              "in segment " + std::to_string(lane_->segmentId()));
      }
      std::vector<uint16_t> methods;
      auto count = bound.lane->laneSchema().getMethods().size();
      for (uint16_t i = 0; i < count; ++i) {
        if (bound.lane->laneCallable(i)) methods.push_back(i);
      }
      results.setLaneBinding(lane_->add(bound.object, *bound.lane));
      auto list = results.initLaneMethods(static_cast<unsigned>(methods.size()));
      for (unsigned i = 0; i < methods.size(); ++i) list.set(i, methods[i]);
      logger_->debug("fast lane: {} of {} methods of {}", methods.size(), count, library);
    }
    results.setObject(kj::mv(bound.object));
    results.setFunctions(bound.functions);
  });
  return kj::READY_NOW;
}

kj::Promise<void> HostService::createComObject(CreateComObjectContext context) {
  auto params = context.getParams();
  if (com_ == nullptr) {
    com_ = makeComHost(logger_, shared_ != nullptr ? shared_->comState() : nullptr);
  }
  return com_->create(params.getClassId(), params.getPath(), params.getKey())
      .then([context](capnp::Capability::Client object) mutable {
        context.getResults().setObject(object.castAs<proto::Dispatch>());
      });
}

int runHost(kj::AsyncIoContext& io, kj::Own<kj::AsyncIoStream> stream,
            std::shared_ptr<spdlog::logger> logger, kj::Duration helloTimeout,
            Transport transport, HostWatchdogSettings watchdogSettings, ConnectionLimits limits) {
  // Before the hello, so that an orphan check runs from the start.
  HostWatchdog watchdog(watchdogSettings, logger);
  auto acknowledgePokes = watchdog.attach(eventPortOf(io)).eagerlyEvaluate(nullptr);
  ComponentRegistry registry;  // all three outlive the RPC system: see host_service.h
  BulkRegistry bulk;
  BulkRegistry::Scope checkedReferences(bulk);  // fromWire on this thread checks against it
  ComponentThreads threads(*logger, bulk);
  try {
    exchangeHello(*stream, io.provider->getTimer(), HelloRole::Host, "client", helloTimeout)
        .wait(io.waitScope);
    if (transport == Transport::SharedMemory) {
      // The socket becomes the rings' control channel (set-up, then death detection).
      stream = acceptShmChannel(eventPortOf(io),
                                toControlChannel(kj::mv(stream), *io.lowLevelProvider))
                   .exclusiveJoin(deadlineFromNow(io.provider->getTimer(), helloTimeout).then(
                       []() -> kj::Own<kj::AsyncIoStream> {
                         throwAsKj(Error(ErrorKind::TimedOut,
                                         "the client did not offer the shared-memory segment"));
                       }))
                   .wait(io.waitScope);
    }
  } catch (const kj::Exception& e) {
    logger->error("handshake failed: {}", fromKjException(e).what());
    return exitCode(HostExit::HandshakeFailed);
  } catch (const Error& e) {
    logger->error("handshake failed: {}", e.what());
    return exitCode(HostExit::HandshakeFailed);
  }
  auto shutdown = kj::newPromiseAndFulfiller<void>();
  AbortLoggingStream messages(*stream, io.provider->getTimer(), limits, *logger, "the client",
                              &bulk);
  capnp::TwoPartyVatNetwork network(messages, capnp::rpc::twoparty::Side::SERVER,
                                    rpcReaderOptions());
  messages.bounded().watchQueue(network);
  auto rpc = capnp::makeRpcServer(
      network, kj::heap<HostService>(registry, bulk, threads, logger, kj::mv(shutdown.fulfiller),
                                     transportName(transport)));
  rpc.setFlowLimit(limits.maxCallBytesInFlight / sizeof(capnp::word));
  logger->debug("serving");
  bool disconnected = false;
  auto disconnect = network.onDisconnect().fork();
  disconnect.addBranch()
      .then([&] { disconnected = true; })
      .exclusiveJoin(kj::mv(shutdown.promise))
      .wait(io.waitScope);
  if (messages.aborted()) return exitCode(HostExit::PeerAborted);  // the reason has been logged as an error
  if (!disconnected) {
    // The answer to shutdown is queued, not yet written: let it go out, and give the client
    // (which closes the channel once it has the answer) a moment, instead of exiting under it.
    disconnect.addBranch()
        .exclusiveJoin(afterDelayFromNow(io.provider->getTimer(), kShutdownFlush))
        .wait(io.waitScope);
  }
  logger->info(disconnected ? "client disconnected; exiting" : "exiting on request");
  return exitCode(HostExit::Ok);
}

}  // namespace bitbridge
