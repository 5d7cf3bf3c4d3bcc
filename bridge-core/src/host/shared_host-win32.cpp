// A shared host on Windows, served on a named pipe: see shared_host-win32.h for what differs
// from shared_host-posix.cpp, whose per-connection service (hello, limits, RPC) this repeats.
#include "host/shared_host-win32.h"

#include <windows.h>

#include <map>
#include <optional>
#include <set>

#include <capnp/rpc-twoparty.h>
#include <capnp/rpc.capnp.h>
#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/event_port.h"
#include "common/fresh_timer.h"
#include "common/platform/text-win32.h"
#include "common/platform/user_identity-win32.h"
#include "common/platform/wait-win32.h"
#include "common/transport/handshake.h"
#include "common/transport/named_pipe-win32.h"
#include "host/abort_logging_stream.h"
#include "host/bulk_registry.h"
#include "host/components/component_loader.h"
#include "host/host_service.h"
#include "wire/host_exit.h"

namespace bitbridge {
namespace {

// An idle host whose start mutex is held (a client is connecting) looks again this often.
constexpr auto kIdleRetry = 100 * kj::MILLISECONDS;
// After a pipe instance could not be created or connected, the next try waits this long.
constexpr auto kAcceptRetry = 100 * kj::MILLISECONDS;
// How long a refused client's instance stays open, at most, for it to send its hello and read
// the refusal.
constexpr auto kRefusalWrite = 1 * kj::SECONDS;

// One client's connection. Members are destroyed in reverse order: the RPC system (and with
// it this connection's HostService, which detaches the client's bulk segments) first, the
// pipe last.
struct Connection {
  Connection(uint64_t id, kj::Own<kj::AsyncIoStream> stream, uint32_t pid)
      : id(id), pid(pid), label("client pid " + std::to_string(pid)), stream(kj::mv(stream)) {}

  uint64_t id;  // also the owner of its bulk segments and messages (bulk_registry.h)
  uint32_t pid;
  std::string label;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<AbortLoggingStream> messages;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
};

// An overlapped ConnectNamedPipe on one instance. Its OVERLAPPED must live until the operation
// is over, so a pending one is cancelled, and its cancellation waited for, on destruction (the
// instance's handle must still be open then: the host closes it only after its accept loop is
// gone).
struct PendingConnect {
  explicit PendingConnect(HANDLE pipe) : pipe(pipe), event(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {
    overlapped.hEvent = event.get();
  }
  ~PendingConnect() {
    if (!pending) return;
    ::CancelIoEx(pipe, &overlapped);
    DWORD transferred = 0;
    ::GetOverlappedResult(pipe, &overlapped, &transferred, TRUE);
  }
  PendingConnect(const PendingConnect&) = delete;
  PendingConnect& operator=(const PendingConnect&) = delete;

  HANDLE pipe;
  UniqueHandle event;
  OVERLAPPED overlapped{};
  bool pending = false;
};

class SharedPipeHost final : private kj::TaskSet::ErrorHandler {
 public:
  SharedPipeHost(kj::AsyncIoContext& io, UniqueHandle firstInstance,
                 const SharedPipeEndpoint& endpoint, const SharedHostConfig& config,
                 std::shared_ptr<spdlog::logger> logger)
      : io_(io),
        endpoint_(endpoint),
        config_(config),
        logger_(std::move(logger)),
        ownSid_(currentUserSid()),
        threads_(*logger_, bulk_),
        instances_(threads_),
        listening_(std::move(firstInstance)),
        tasks_(*this) {}

  int run() {
    auto exit = kj::newPromiseAndFulfiller<void>();
    exit_ = kj::mv(exit.fulfiller);
    logger_->info("shared host {} serving on {} (idle timeout {} ms; at most {} connections, {} "
                  "per client process; hello within {} ms; stall limit {} ms; messages up to {} "
                  "bytes; {} bytes queued per connection)",
                  config_.endpoint, endpoint_.pipe, config_.idleTimeout / kj::MILLISECONDS,
                  config_.maxConnections, config_.maxConnectionsPerClient,
                  config_.helloTimeout / kj::MILLISECONDS,
                  config_.limits.stallTimeout / kj::MILLISECONDS, config_.limits.maxMessageBytes,
                  config_.limits.maxQueuedBytes);
    armIdleTimer();  // a host nobody connects to leaves too
    {
      BulkRegistry::Scope checkedReferences(bulk_);  // fromWire on this thread checks against it
      exit.promise.exclusiveJoin(acceptLoop()).wait(io_.waitScope);
    }
    // The accept loop (and its pending ConnectNamedPipe) is gone: closing the waiting instance
    // makes the pipe's name disappear (no connection is left at an idle exit), and only then
    // is the start mutex released, so a client that was waiting for it finds no pipe and starts
    // a new host rather than meeting this one leaving.
    listening_.reset();
    exitLock_.reset();
    return 0;
  }

 private:
  void taskFailed(kj::Exception&& exception) override {
    logger_->error("{}", fromKjException(exception).what());
  }

  kj::Timer& timer() { return io_.provider->getTimer(); }

  kj::Promise<void> retryLater() {
    return afterDelayFromNow(timer(), kAcceptRetry).then([this]() { return acceptLoop(); });
  }

  // Keeps one instance waiting for a client; each client that connects is admitted and the next
  // instance created at once, so that a client never finds every instance busy for long.
  kj::Promise<void> acceptLoop() {
    if (!listening_.valid()) {
      try {
        listening_ = createSharedPipeInstance(endpoint_.pipe, /*first=*/false);
      } catch (const Error& e) {
        logger_->warn("cannot offer a new pipe instance: {}; retrying", e.what());
        return retryLater();
      }
    }
    auto connect = kj::heap<PendingConnect>(listening_.get());
    DWORD result = ERROR_PIPE_CONNECTED;
    if (!::ConnectNamedPipe(listening_.get(), &connect->overlapped)) result = ::GetLastError();
    if (result != ERROR_IO_PENDING) {
      // A client was there already (ERROR_PIPE_CONNECTED), or came and went (ERROR_NO_DATA).
      // On a later turn, so that a stream of clients does not deepen the stack.
      return kj::evalLater([this, result]() { return afterConnect(result); });
    }
    connect->pending = true;
    waitingClient_ = connect->event.get();
    PendingConnect& waiting = *connect;
    return whenSignaled(waiting.event.get())
        .then([this, &waiting]() {
          waiting.pending = false;
          waitingClient_ = nullptr;
          DWORD transferred = 0;
          return ::GetOverlappedResult(waiting.pipe, &waiting.overlapped, &transferred, FALSE)
                     ? static_cast<DWORD>(ERROR_PIPE_CONNECTED)
                     : ::GetLastError();
        })
        .attach(kj::mv(connect))
        .then([this](DWORD connected) { return afterConnect(connected); });
  }

  kj::Promise<void> afterConnect(DWORD result) {
    UniqueHandle instance = std::move(listening_);  // the next one is created by acceptLoop
    if (result == ERROR_PIPE_CONNECTED) {
      admit(std::move(instance));
      return acceptLoop();
    }
    if (result == ERROR_NO_DATA || result == ERROR_BROKEN_PIPE) return acceptLoop();
    logger_->warn("waiting for a client on {} failed: {}; retrying", endpoint_.pipe,
                  win32ErrorText(result));
    return retryLater();
  }

  // Refuses with a hello that says why; each reason is logged once until it no longer holds.
  // The instance stays open until the client's own hello has arrived (or kRefusalWrite has
  // passed): closed earlier, the client's write of its hello could fail before it reads ours,
  // and it would see a plain disconnection instead of the reason.
  void refuse(UniqueHandle pipe, uint32_t pid, HelloRefusal why, uint32_t limit) {
    auto stream = wrapPipe(eventPortOf(io_), std::move(pipe));
    auto refusal = kj::heap<WireHello>(makeRefusal(why, limit));
    auto theirs = kj::heap<WireHello>();
    kj::AsyncIoStream& connection = *stream;
    WireHello& received = *theirs;
    auto answered = stream->write(refusal.get(), sizeof(WireHello))
                        .then([&connection, &received]() {
                          return connection.tryRead(&received, sizeof(received), sizeof(received))
                              .ignoreResult();
                        });
    tasks_.add(answered.attach(kj::mv(stream), kj::mv(refusal), kj::mv(theirs))
                   .exclusiveJoin(afterDelayFromNow(timer(), kRefusalWrite))
                   .catch_([](kj::Exception&&) {}));
    if (why == HelloRefusal::TooManyConnections) {
      if (refusedForTotal_) return;
      refusedForTotal_ = true;
      logger_->warn("refusing connections: {} are open, the limit (sharedMaxConnections); first "
                    "refused: pid {}",
                    limit, pid);
    } else if (refusedClients_.insert(pid).second) {
      logger_->warn("refusing connections of client pid {}: it has {} open, the limit per client "
                    "(sharedMaxConnectionsPerClient)",
                    pid, limit);
    }
  }

  void admit(UniqueHandle pipe) {
    uint32_t pid = pipeClientProcessId(pipe.get());
    std::string problem;
    std::optional<std::string> sid = pid != 0 ? processUserSid(pid, &problem) : std::nullopt;
    if (pid == 0) problem = "GetNamedPipeClientProcessId failed";
    if (auto reason = peerUserRefusal(pid, sid, ownSid_, problem)) {
      logger_->warn("refused a connection from pid {}: {}", pid, *reason);
      return;  // closes it, without a word: it is not ours to talk to
    }
    if (connections_.size() >= config_.maxConnections) {
      refuse(std::move(pipe), pid, HelloRefusal::TooManyConnections, config_.maxConnections);
      return;
    }
    uint32_t& ofClient = perClient_[pid];
    if (ofClient >= config_.maxConnectionsPerClient) {
      refuse(std::move(pipe), pid, HelloRefusal::TooManyFromThisClient,
             config_.maxConnectionsPerClient);
      return;
    }
    ++ofClient;
    ++idleGeneration_;  // a pending idle exit is off
    uint64_t id = nextId_++;
    auto connection = kj::heap<Connection>(id, wrapPipe(eventPortOf(io_), std::move(pipe)), pid);
    Connection& admitted = *connection;
    connections_.emplace(id, kj::mv(connection));
    logger_->info("{} connected ({} connected)", admitted.label, connections_.size());
    // Closed on a later turn, once nothing of this chain still refers to the connection.
    tasks_.add(serve(admitted).then([this, id]() {
      return kj::evalLater([this, id]() { close(id); });
    }));
  }

  // Hello, then RPC until the client disconnects or asks to shut down. Never rejects: a
  // failure is logged and ends only this connection. As shared_host-posix.cpp's.
  kj::Promise<void> serve(Connection& connection) {
    return exchangeHello(*connection.stream, timer(), HelloRole::Host, connection.label,
                         config_.helloTimeout)
        .then([this, &connection](WireHello hello) -> kj::Promise<void> {
          if (hello.pid != connection.pid) {
            throwAsKj(Error(ErrorKind::MalformedPeer,
                            connection.label + " sent a hello as pid " +
                                std::to_string(hello.pid) +
                                ": not the process Windows says is connected"));
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

  // A real client sends its first request (the bootstrap) right after its hello; one that
  // sends nothing within the hello timeout is closed.
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
    std::optional<StartMutex> lock;
    try {
      lock = StartMutex::tryAcquire(endpoint_.startMutex);
    } catch (const Error& e) {
      logger_->warn("{}", e.what());
    }
    // A client holding the mutex is connecting to us (or starting us): not now. So is one that
    // has connected to the waiting instance and that the accept loop has not admitted yet.
    bool clientArrived =
        waitingClient_ != nullptr && ::WaitForSingleObject(waitingClient_, 0) == WAIT_OBJECT_0;
    if (!lock || clientArrived) {
      return afterDelayFromNow(timer(), kIdleRetry).then([this, generation]() {
        return idleCheck(generation);
      });
    }
    logger_->info("no client for {} ms: exiting", config_.idleTimeout / kj::MILLISECONDS);
    exitLock_ = std::move(lock);  // released by run() once the pipe is closed
    exit_->fulfill();
    return kj::READY_NOW;
  }

  kj::AsyncIoContext& io_;
  SharedPipeEndpoint endpoint_;
  SharedHostConfig config_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string ownSid_;
  // Shared by every connection and outliving them all (see host_service.h); the instances are
  // destroyed before the registry whose component code they live in.
  ComponentRegistry registry_;
  BulkRegistry bulk_;
  ComponentThreads threads_;
  SharedInstances instances_;
  UniqueHandle listening_;          // the instance waiting for the next client
  HANDLE waitingClient_ = nullptr;  // its ConnectNamedPipe's event while pending
  bool refusedForTotal_ = false;    // the total limit's refusal is logged
  std::set<uint32_t> refusedClients_;       // client pids whose refusal is logged
  std::map<uint32_t, uint32_t> perClient_;  // connections by client pid
  std::map<uint64_t, kj::Own<Connection>> connections_;
  uint64_t nextId_ = 1;
  uint64_t idleGeneration_ = 0;
  std::optional<StartMutex> exitLock_;
  kj::Own<kj::PromiseFulfiller<void>> exit_;
  kj::TaskSet tasks_;  // last: its tasks refer to the connections, so it goes first
};

}  // namespace

int runSharedPipeHost(kj::AsyncIoContext& io, UniqueHandle firstInstance,
                      const SharedPipeEndpoint& endpoint, const SharedHostConfig& config,
                      std::shared_ptr<spdlog::logger> logger) {
  try {
    SharedPipeHost host(io, std::move(firstInstance), endpoint, config, logger);
    return host.run();
  } catch (const Error& e) {
    logger->critical("{}", e.what());
  } catch (const kj::Exception& e) {
    logger->critical("{}", fromKjException(e).what());
  }
  return exitCode(HostExit::Failed);
}

}  // namespace bitbridge
