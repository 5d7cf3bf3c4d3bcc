// The connections of one shared host, on either platform (shared_connections.h).
#include "host/shared_connections.h"

#include <capnp/rpc-twoparty.h>
#include <capnp/rpc.capnp.h>
#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/fresh_timer.h"
#include "common/transport/handshake.h"
#include "host/abort_logging_stream.h"

namespace bitbridge {
namespace {

// An idle host whose platform side said "not now" (a client is connecting) looks again this
// often.
constexpr auto kIdleRetry = 100 * kj::MILLISECONDS;

}  // namespace

// One client's connection. Members are destroyed in reverse order: the RPC system (and with
// it this connection's HostService, which detaches the client's bulk segments) first, the
// stream last.
struct SharedConnection {
  SharedConnection(uint64_t id, kj::Own<kj::AsyncIoStream> stream, uint32_t pid)
      : id(id), pid(pid), label("client pid " + std::to_string(pid)), stream(kj::mv(stream)) {}

  uint64_t id;  // also the owner of its bulk segments and messages (bulk_registry.h)
  uint32_t pid;
  std::string label;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<AbortLoggingStream> messages;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
};

SharedConnections::SharedConnections(kj::AsyncIoContext& io, const SharedHostConfig& config,
                                     std::shared_ptr<spdlog::logger> logger,
                                     std::string peerAuthority,
                                     std::function<IdleAnswer()> onIdle)
    : io_(io),
      config_(config),
      logger_(std::move(logger)),
      peerAuthority_(std::move(peerAuthority)),
      onIdle_(std::move(onIdle)),
      threads_(*logger_, bulk_),
      instances_(threads_),
      tasks_(*this) {}

SharedConnections::~SharedConnections() = default;

void SharedConnections::taskFailed(kj::Exception&& exception) {
  logger_->error("{}", fromKjException(exception).what());
}

void SharedConnections::start(const std::string& where) {
  logger_->info("shared host {} serving on {} (idle timeout {} ms; at most {} connections, {} "
                "per client process; hello within {} ms; stall limit {} ms; messages up to {} "
                "bytes; {} bytes queued per connection)",
                config_.endpoint, where, config_.idleTimeout / kj::MILLISECONDS,
                config_.maxConnections, config_.maxConnectionsPerClient,
                config_.helloTimeout / kj::MILLISECONDS,
                config_.limits.stallTimeout / kj::MILLISECONDS, config_.limits.maxMessageBytes,
                config_.limits.maxQueuedBytes);
  armIdleTimer();
}

std::optional<WireHello> SharedConnections::refusalFor(uint32_t pid) {
  if (connections_.size() >= config_.maxConnections) {
    if (!refusedForTotal_) {
      refusedForTotal_ = true;
      logger_->warn("refusing connections: {} are open, the limit (sharedMaxConnections); first "
                    "refused: pid {}",
                    config_.maxConnections, pid);
    }
    return makeRefusal(HelloRefusal::TooManyConnections, config_.maxConnections);
  }
  auto ofClient = perClient_.find(pid);
  if (ofClient != perClient_.end() && ofClient->second >= config_.maxConnectionsPerClient) {
    if (refusedClients_.insert(pid).second) {
      logger_->warn("refusing connections of client pid {}: it has {} open, the limit per client "
                    "(sharedMaxConnectionsPerClient)",
                    pid, config_.maxConnectionsPerClient);
    }
    return makeRefusal(HelloRefusal::TooManyFromThisClient, config_.maxConnectionsPerClient);
  }
  return std::nullopt;
}

void SharedConnections::admit(kj::Own<kj::AsyncIoStream> stream, uint32_t pid) {
  ++perClient_[pid];
  ++idleGeneration_;  // a pending idle exit is off
  uint64_t id = nextId_++;
  auto connection = kj::heap<SharedConnection>(id, kj::mv(stream), pid);
  SharedConnection& admitted = *connection;
  connections_.emplace(id, kj::mv(connection));
  logger_->info("{} connected ({} connected)", admitted.label, connections_.size());
  // Closed on a later turn, once nothing of this chain still refers to the connection.
  tasks_.add(serve(admitted).then([this, id]() {
    return kj::evalLater([this, id]() { close(id); });
  }));
}

// Hello, then RPC until the client disconnects or asks to shut down. Never rejects: a failure
// is logged and ends only this connection.
kj::Promise<void> SharedConnections::serve(SharedConnection& connection) {
  return exchangeHello(*connection.stream, timer(), HelloRole::Host, connection.label,
                       config_.helloTimeout)
      .then([this, &connection](WireHello hello) -> kj::Promise<void> {
        if (hello.pid != connection.pid) {
          throwAsKj(Error(ErrorKind::MalformedPeer,
                          connection.label + " sent a hello as pid " + std::to_string(hello.pid) +
                              ": not the process " + peerAuthority_ + " says is connected"));
        }
        auto shutdown = kj::newPromiseAndFulfiller<void>();
        connection.messages = kj::heap<AbortLoggingStream>(*connection.stream, timer(),
                                                           config_.limits, *logger_,
                                                           connection.label, &bulk_, connection.id);
        connection.network = kj::heap<capnp::TwoPartyVatNetwork>(
            *connection.messages, capnp::rpc::twoparty::Side::SERVER, rpcReaderOptions());
        connection.messages->bounded().watchQueue(*connection.network);
        connection.rpc = kj::heap(capnp::makeRpcServer(
            *connection.network,
            kj::heap<HostService>(registry_, bulk_, threads_, logger_, kj::mv(shutdown.fulfiller),
                                  transportName(Transport::Socket), &instances_, connection.id)));
        connection.rpc->setFlowLimit(config_.limits.maxCallBytesInFlight / sizeof(capnp::word));
        auto label = connection.label;
        return connection.network->onDisconnect()
            .exclusiveJoin(kj::mv(shutdown.promise).then([this, label]() {
              logger_->info("{} asked to shut down: closing its connection only (this host is "
                            "shared)",
                            label);
            }))
            .exclusiveJoin(silentAfterHello(connection));
      })
      .then([]() {},
            [this, label = connection.label](kj::Exception&& exception) {
              logger_->warn("{}: {}", label, fromKjException(exception).what());
            });
}

// A real client sends its first request (the bootstrap) right after its hello. One that sends
// nothing within the hello timeout is closed; after that first request a connection may stay
// quiet as long as it likes (it holds capabilities: its client's business).
kj::Promise<void> SharedConnections::silentAfterHello(SharedConnection& connection) {
  return afterDelayFromNow(timer(), config_.helloTimeout)
      .then([this, &connection]() -> kj::Promise<void> {
        if (connection.messages->bounded().startedAMessage()) return kj::NEVER_DONE;
        logger_->warn("{} sent its hello but no request within {} ms: closing its connection "
                      "(sharedHelloTimeout)",
                      connection.label, config_.helloTimeout / kj::MILLISECONDS);
        return kj::READY_NOW;
      });
}

void SharedConnections::close(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  std::string label = it->second->label;
  uint32_t pid = it->second->pid;
  connections_.erase(it);
  if (auto count = perClient_.find(pid); count != perClient_.end() && --count->second == 0) {
    perClient_.erase(count);
  }
  refusedClients_.erase(pid);
  refusedForTotal_ = false;
  logger_->info("{} disconnected ({} connected)", label, connections_.size());
  if (connections_.empty()) armIdleTimer();
}

void SharedConnections::armIdleTimer() {
  uint64_t generation = ++idleGeneration_;
  tasks_.add(afterDelayFromNow(timer(), config_.idleTimeout).then([this, generation]() {
    return idleCheck(generation);
  }));
}

// Runs when the host has had no client for the idle timeout. `generation` no longer current
// means a client came since; that client's departure arms a new check.
kj::Promise<void> SharedConnections::idleCheck(uint64_t generation) {
  if (generation != idleGeneration_ || !connections_.empty()) return kj::READY_NOW;
  if (onIdle_() == IdleAnswer::Exit) return kj::READY_NOW;
  return afterDelayFromNow(timer(), kIdleRetry).then([this, generation]() {
    return idleCheck(generation);
  });
}

}  // namespace bitbridge
