#include "host/shared_host.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include <capnp/rpc-twoparty.h>
#include <capnp/rpc.capnp.h>
#include <capnp/serialize-async.h>
#include <capnp/serialize.h>
#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/event_port.h"
#include "common/fresh_timer.h"
#include "common/platform/system_error_text.h"
#include "common/transport/handshake.h"
#include "common/transport/shared_endpoint.h"
#include "host/abort_logging_stream.h"
#include "host/bulk_registry.h"
#include "host/components/component_loader.h"
#include "host/host_service.h"
#include "wire/host_exit.h"

namespace bitbridge {
namespace {

// An idle host whose start lock is held (a client is connecting) looks again this often.
constexpr auto kIdleRetry = 100 * kj::MILLISECONDS;
// After accept() failed for another reason than running out of descriptors, the next try
// waits this long.
constexpr auto kAcceptRetry = 100 * kj::MILLISECONDS;
// Out of descriptors: the backlog is emptied (each connection refused) and accepting pauses
// this long, so that a flood costs the host a little work per interval, not a busy loop.
constexpr auto kOverloadBackoff = 100 * kj::MILLISECONDS;
// Descriptors kept free for everything but connections: a host that lets connections take its
// last descriptors fails its legitimate clients too (a component opening a file, a bulk
// segment being attached), and sanitizer runtimes need a few to work at all. Connections that
// would eat into them are refused like those that meet EMFILE.
constexpr int kDescriptorHeadroom = 16;

// One client's connection. Members are destroyed in reverse order: the RPC system (and with
// it this connection's HostService, which detaches the client's bulk segments) first, the
// socket last.
struct Connection {
  Connection(uint64_t id, kj::Own<kj::AsyncIoStream> stream, PeerCredential peer)
      : id(id), peer(peer), label("client pid " + std::to_string(peer.pid)),
        stream(kj::mv(stream)) {}

  uint64_t id;  // also the owner of its bulk segments and messages (bulk_registry.h)
  PeerCredential peer;
  std::string label;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<AbortLoggingStream> messages;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
};

class SharedHost final : private kj::TaskSet::ErrorHandler {
 public:
  SharedHost(kj::AsyncIoContext& io, kj::AutoCloseFd listener, const SharedHostConfig& config,
             std::shared_ptr<spdlog::logger> logger)
      : io_(io),
        config_(config),
        logger_(std::move(logger)),
        threads_(*logger_, bulk_),
        instances_(threads_),
        listener_(kj::mv(listener)),
        listening_((makeNonBlocking(listener_.get()), eventPortOf(io)), listener_.get(),
                   kj::UnixEventPort::FdObserver::OBSERVE_READ),
        tasks_(*this) {}

  int run() {
    auto exit = kj::newPromiseAndFulfiller<void>();
    exit_ = kj::mv(exit.fulfiller);
    logger_->info("shared host {} serving on {} (idle timeout {} ms; at most {} connections, {} "
                  "per client process; hello within {} ms; stall limit {} ms; messages up to {} "
                  "bytes; {} bytes queued per connection)",
                  config_.endpoint, config_.socketPath, config_.idleTimeout / kj::MILLISECONDS,
                  config_.maxConnections, config_.maxConnectionsPerClient,
                  config_.helloTimeout / kj::MILLISECONDS,
                  config_.limits.stallTimeout / kj::MILLISECONDS, config_.limits.maxMessageBytes,
                  config_.limits.maxQueuedBytes);
    armIdleTimer();  // a host nobody connects to leaves too
    BulkRegistry::Scope checkedReferences(bulk_);  // fromWire on this thread checks against it
    exit.promise.exclusiveJoin(acceptLoop())
        .exclusiveJoin(terminatedBy(SIGTERM))
        .exclusiveJoin(terminatedBy(SIGINT))
        .wait(io_.waitScope);
    return 0;
  }

 private:
  void taskFailed(kj::Exception&& exception) override {
    logger_->error("{}", fromKjException(exception).what());
  }

  kj::Timer& timer() { return io_.provider->getTimer(); }

  // A host ended from outside (kill, systemd, Ctrl-C) still removes its socket, so that the
  // next client starts a new host at once rather than meeting a dead socket.
  kj::Promise<void> terminatedBy(int signal) {
    return eventPortOf(io_).onSignal(signal).then([this, signal](siginfo_t) {
      removeSharedSocket(config_.socketPath);
      logger_->info("ended by signal {} ({}) with {} connection(s): socket removed, exiting",
                    signal, signal == SIGTERM ? "SIGTERM" : "SIGINT", connections_.size());
    });
  }

  kj::Promise<void> acceptLoop() {
    for (;;) {
      AcceptOutcome accepted = acceptConnection(listener_.get());
      if (accepted.fd != nullptr) {
        if (accepted.fd.get() >= descriptorCeiling_) {
          refuseNearLimit(kj::mv(accepted.fd));
          continue;
        }
        admit(kj::mv(accepted.fd));
        continue;
      }
      switch (accepted.error) {
        case EAGAIN:
#if EAGAIN != EWOULDBLOCK
        case EWOULDBLOCK:
#endif
          return listening_.whenBecomesReadable().then([this]() { return acceptLoop(); });
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
          shed(accepted.error);
          return afterDelayFromNow(timer(), kOverloadBackoff).then([this]() {
            return acceptLoop();
          });
        default:
          logger_->warn("accepting a connection failed: {}; retrying",
                        errnoText(accepted.error));
          return afterDelayFromNow(timer(), kAcceptRetry).then([this]() { return acceptLoop(); });
      }
    }
  }

  // A connection whose descriptor is within kDescriptorHeadroom of the limit: refused as if
  // the host were out of descriptors (the episode is logged once, with shed()'s).
  void refuseNearLimit(kj::AutoCloseFd fd) {
    if (!overloaded_) {
      overloaded_ = true;
      logger_->warn("out of file descriptors for new connections (descriptor {} reached; {} are "
                    "kept free below the limit for the host's own use) with {} connections: "
                    "refusing new connections until descriptors are free again (existing ones "
                    "are served)",
                    fd.get(), kDescriptorHeadroom, connections_.size());
    }
    WireHello refusal = makeRefusal(HelloRefusal::OutOfDescriptors, 0);
    refuseConnection(kj::mv(fd), &refusal, sizeof(refusal));
  }

  // Out of descriptors: the clients waiting in the backlog are accepted with the reserved
  // descriptor, told why, and closed; the host keeps serving the connections it has.
  void shed(int error) {
    if (!overloaded_) {  // once per episode
      overloaded_ = true;
      logger_->warn("out of file descriptors ({}) with {} connections: refusing new connections "
                    "until descriptors are free again (existing ones are served)",
                    errnoText(error), connections_.size());
    }
    reserve_.release();
    WireHello refusal = makeRefusal(HelloRefusal::OutOfDescriptors, 0);
    for (int i = 0; i < 64; ++i) {  // bounded: the backlog may refill as fast as we empty it
      AcceptOutcome accepted = acceptConnection(listener_.get());
      if (accepted.fd == nullptr) break;
      refuseConnection(kj::mv(accepted.fd), &refusal, sizeof(refusal));
    }
    reserve_.restore();
  }

  // Refuses with a hello that says why; each reason is logged once until it no longer holds.
  void refuse(kj::AutoCloseFd fd, const PeerCredential& peer, HelloRefusal why, uint32_t limit) {
    WireHello refusal = makeRefusal(why, limit);
    refuseConnection(kj::mv(fd), &refusal, sizeof(refusal));
    if (why == HelloRefusal::TooManyConnections) {
      if (refusedForTotal_) return;
      refusedForTotal_ = true;
      logger_->warn("refusing connections: {} are open, the limit (sharedMaxConnections); first "
                    "refused: pid {}",
                    limit, peer.pid);
    } else if (refusedClients_.insert(peer.pid).second) {
      logger_->warn("refusing connections of client pid {}: it has {} open, the limit per client "
                    "(sharedMaxConnectionsPerClient)",
                    peer.pid, limit);
    }
  }

  void admit(kj::AutoCloseFd fd) {
    PeerCredential peer;
    try {
      peer = peerCredential(fd.get());
    } catch (const Error& e) {
      logger_->warn("refused a connection: {}", e.what());
      return;
    }
    if (auto reason = refusalReason(peer, currentUserId())) {
      logger_->warn("refused a connection from uid {} (pid {}): {}", peer.uid, peer.pid, *reason);
      return;  // closes it
    }
    if (connections_.size() >= config_.maxConnections) {
      refuse(kj::mv(fd), peer, HelloRefusal::TooManyConnections, config_.maxConnections);
      return;
    }
    uint32_t& ofClient = perClient_[peer.pid];
    if (ofClient >= config_.maxConnectionsPerClient) {
      refuse(kj::mv(fd), peer, HelloRefusal::TooManyFromThisClient,
             config_.maxConnectionsPerClient);
      return;
    }
    ++ofClient;
    if (overloaded_) {
      overloaded_ = false;
      logger_->info("accepting connections again");
    }
    ++idleGeneration_;  // a pending idle exit is off
    uint64_t id = nextId_++;
    auto stream = io_.lowLevelProvider->wrapSocketFd(
        fd.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                          kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC |
                          kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK);
    auto connection = kj::heap<Connection>(id, kj::mv(stream), peer);
    Connection& admitted = *connection;
    connections_.emplace(id, kj::mv(connection));
    logger_->info("{} connected ({} connected)", admitted.label, connections_.size());
    // Closed on a later turn, once nothing of this chain still refers to the connection.
    tasks_.add(serve(admitted).then([this, id]() {
      return kj::evalLater([this, id]() { close(id); });
    }));
  }

  // Hello, then RPC until the client disconnects or asks to shut down. Never rejects: a
  // failure is logged and ends only this connection.
  kj::Promise<void> serve(Connection& connection) {
    return exchangeHello(*connection.stream, timer(), HelloRole::Host, connection.label,
                         config_.helloTimeout)
        .then([this, &connection](WireHello hello) -> kj::Promise<void> {
          if (hello.pid != connection.peer.pid) {
            throwAsKj(Error(ErrorKind::MalformedPeer,
                            connection.label + " sent a hello as pid " +
                                std::to_string(hello.pid) +
                                ": not the process the kernel says is connected"));
          }
          auto shutdown = kj::newPromiseAndFulfiller<void>();
          connection.messages = kj::heap<AbortLoggingStream>(
              *connection.stream, timer(), config_.limits, *logger_, connection.label, &bulk_,
              connection.id);
          connection.network = kj::heap<capnp::TwoPartyVatNetwork>(
              *connection.messages, capnp::rpc::twoparty::Side::SERVER, rpcReaderOptions());
          connection.messages->bounded().watchQueue(*connection.network);
          connection.rpc = kj::heap(capnp::makeRpcServer(
              *connection.network,
              kj::heap<HostService>(registry_, bulk_, threads_, logger_, kj::mv(shutdown.fulfiller),
                                    transportName(Transport::Socket), &instances_,
                                    connection.id)));
          connection.rpc->setFlowLimit(config_.limits.maxCallBytesInFlight / sizeof(capnp::word));
          auto label = connection.label;
          return connection.network->onDisconnect()
              .exclusiveJoin(kj::mv(shutdown.promise).then([this, label]() {
                logger_->info("{} asked to shut down: closing its connection only (this host "
                              "is shared)",
                              label);
              }))
              .exclusiveJoin(silentAfterHello(connection));
        })
        .then([]() {},
              [this, label = connection.label](kj::Exception&& exception) {
                logger_->warn("{}: {}", label, fromKjException(exception).what());
              });
  }

  // A real client sends its first request (the bootstrap) right after its hello. One that
  // sends nothing within the hello timeout is closed; after that first request a connection
  // may stay quiet as long as it likes (it holds capabilities: its client's business).
  kj::Promise<void> silentAfterHello(Connection& connection) {
    return afterDelayFromNow(timer(), config_.helloTimeout)
        .then([this, &connection]() -> kj::Promise<void> {
          if (connection.messages->bounded().startedAMessage()) return kj::NEVER_DONE;
          logger_->warn("{} sent its hello but no request within {} ms: closing its connection "
                        "(sharedHelloTimeout)",
                        connection.label, config_.helloTimeout / kj::MILLISECONDS);
          return kj::READY_NOW;
        });
  }

  void close(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    std::string label = it->second->label;
    uint32_t pid = it->second->peer.pid;
    connections_.erase(it);
    if (auto count = perClient_.find(pid); count != perClient_.end() && --count->second == 0) {
      perClient_.erase(count);
    }
    refusedClients_.erase(pid);
    refusedForTotal_ = false;
    logger_->info("{} disconnected ({} connected)", label, connections_.size());
    if (connections_.empty()) armIdleTimer();
  }

  void armIdleTimer() {
    uint64_t generation = ++idleGeneration_;
    tasks_.add(afterDelayFromNow(timer(), config_.idleTimeout).then([this, generation]() {
      return idleCheck(generation);
    }));
  }

  // Runs when the host has had no client for the idle timeout. `generation` no longer current
  // means a client came since; that client's departure arms a new check.
  kj::Promise<void> idleCheck(uint64_t generation) {
    if (generation != idleGeneration_ || !connections_.empty()) return kj::READY_NOW;
    std::optional<StartLock> lock = StartLock::tryAcquire(config_.lockPath);
    // A client holding the lock is connecting to us (or starting us): not now. So is one
    // waiting in the backlog that our accept loop has not reached yet.
    if (!lock || connectionPending(listener_.get())) {
      return afterDelayFromNow(timer(), kIdleRetry).then([this, generation]() {
        return idleCheck(generation);
      });
    }
    removeSharedSocket(config_.socketPath);
    logger_->info("no client for {} ms: exiting", config_.idleTimeout / kj::MILLISECONDS);
    // Held until the process is gone: a client waiting for the lock then finds no socket and
    // starts a new host, rather than connecting to one that is leaving.
    exitLock_ = std::move(lock);
    exit_->fulfill();
    return kj::READY_NOW;
  }

  kj::AsyncIoContext& io_;
  SharedHostConfig config_;
  std::shared_ptr<spdlog::logger> logger_;
  // Shared by every connection and outliving them all (see host_service.h); the instances are
  // destroyed before the registry whose component code they live in.
  ComponentRegistry registry_;
  BulkRegistry bulk_;
  ComponentThreads threads_;
  SharedInstances instances_;
  kj::AutoCloseFd listener_;
  kj::UnixEventPort::FdObserver listening_;  // before the descriptor closes (declared after)
  DescriptorReserve reserve_;
  int descriptorCeiling_ = descriptorCeiling(kDescriptorHeadroom);
  bool overloaded_ = false;       // out of descriptors, logged; cleared by the next admission
  bool refusedForTotal_ = false;  // the total limit's refusal is logged
  std::set<uint32_t> refusedClients_;      // client pids whose refusal is logged
  std::map<uint32_t, uint32_t> perClient_;  // connections by client pid
  std::map<uint64_t, kj::Own<Connection>> connections_;
  uint64_t nextId_ = 1;
  uint64_t idleGeneration_ = 0;
  std::optional<StartLock> exitLock_;
  kj::Own<kj::PromiseFulfiller<void>> exit_;
  kj::TaskSet tasks_;  // last: its tasks refer to the connections, so it goes first
};

}  // namespace

int runSharedHost(kj::AsyncIoContext& io, kj::AutoCloseFd listener, const SharedHostConfig& config,
                  std::shared_ptr<spdlog::logger> logger) {
  try {
    SharedHost host(io, kj::mv(listener), config, logger);
    return host.run();
  } catch (const Error& e) {
    logger->critical("{}", e.what());
  } catch (const kj::Exception& e) {
    logger->critical("{}", fromKjException(e).what());
  }
  return exitCode(HostExit::Failed);
}

}  // namespace bitbridge
