#include "shared_host.h"

#include <cstdio>
#include <map>
#include <optional>

#include <capnp/rpc-twoparty.h>
#include <capnp/rpc.capnp.h>
#include <capnp/serialize-async.h>
#include <capnp/serialize.h>
#include <spdlog/logger.h>

#include "abort_logging_stream.h"
#include "bitbridge/error.h"
#include "bulk_registry.h"
#include "component_loader.h"
#include "fresh_timer.h"
#include "handshake.h"
#include "host_service.h"
#include "shared_endpoint.h"

namespace bitbridge {
namespace {

// An idle host whose start lock is held (a client is connecting) looks again this often.
constexpr auto kIdleRetry = 100 * kj::MILLISECONDS;
// After accept() itself failed (out of descriptors, say), the next try waits this long.
constexpr auto kAcceptRetry = 100 * kj::MILLISECONDS;

// One client's connection. Members are destroyed in reverse order: the RPC system (and with
// it this connection's HostService, which detaches the client's bulk segments) first, the
// socket last.
struct Connection {
  Connection(kj::Own<kj::AsyncIoStream> stream, PeerCredential peer)
      : peer(peer), label("client pid " + std::to_string(peer.pid)), stream(kj::mv(stream)) {}

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
        listenerFd_(listener.get()),
        receiver_(io.lowLevelProvider->wrapListenSocketFd(
            listener.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                                    kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC)),
        tasks_(*this) {}

  int run() {
    auto exit = kj::newPromiseAndFulfiller<void>();
    exit_ = kj::mv(exit.fulfiller);
    logger_->info("shared host {} serving on {} (idle timeout {} ms)", config_.endpoint,
                  config_.socketPath, config_.idleTimeout / kj::MILLISECONDS);
    armIdleTimer();  // a host nobody connects to leaves too
    exit.promise.exclusiveJoin(acceptLoop()).wait(io_.waitScope);
    return 0;
  }

 private:
  void taskFailed(kj::Exception&& exception) override {
    logger_->error("{}", fromKjException(exception).what());
  }

  kj::Timer& timer() { return io_.provider->getTimer(); }

  kj::Promise<void> acceptLoop() {
    return receiver_->accept().then(
        [this](kj::Own<kj::AsyncIoStream> stream) {
          admit(kj::mv(stream));
          return acceptLoop();
        },
        [this](kj::Exception&& exception) {
          logger_->warn("accepting a connection failed: {}; retrying",
                        exception.getDescription().cStr());
          return afterDelayFromNow(timer(), kAcceptRetry).then([this]() { return acceptLoop(); });
        });
  }

  void admit(kj::Own<kj::AsyncIoStream> stream) {
    PeerCredential peer;
    try {
      peer = peerCredential(*stream);
    } catch (const kj::Exception& e) {
      logger_->warn("refused a connection: {}", e.getDescription().cStr());
      return;
    } catch (const Error& e) {
      logger_->warn("refused a connection: {}", e.what());
      return;
    }
    if (auto reason = refusalReason(peer, currentUserId())) {
      logger_->warn("refused a connection from uid {} (pid {}): {}", peer.uid, peer.pid, *reason);
      return;  // closes it
    }
    ++idleGeneration_;  // a pending idle exit is off
    uint64_t id = nextId_++;
    auto connection = kj::heap<Connection>(kj::mv(stream), peer);
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
          connection.messages =
              kj::heap<AbortLoggingStream>(*connection.stream, *logger_, connection.label);
          connection.network = kj::heap<capnp::TwoPartyVatNetwork>(
              *connection.messages, capnp::rpc::twoparty::Side::SERVER, rpcReaderOptions());
          connection.rpc = kj::heap(capnp::makeRpcServer(
              *connection.network,
              kj::heap<HostService>(registry_, bulk_, threads_, logger_, kj::mv(shutdown.fulfiller),
                                    transportName(Transport::Socket), &instances_)));
          auto label = connection.label;
          return connection.network->onDisconnect().exclusiveJoin(
              kj::mv(shutdown.promise).then([this, label]() {
                logger_->info("{} asked to shut down: closing its connection only (this host "
                              "is shared)",
                              label);
              }));
        })
        .then([]() {},
              [this, label = connection.label](kj::Exception&& exception) {
                logger_->warn("{}: {}", label, fromKjException(exception).what());
              });
  }

  void close(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    std::string label = it->second->label;
    connections_.erase(it);
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
    if (!lock || connectionPending(listenerFd_)) {
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
  int listenerFd_;  // owned by receiver_
  kj::Own<kj::ConnectionReceiver> receiver_;
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
  return 1;
}

}  // namespace bitbridge
