// A shared host on Windows, served on a named pipe: see shared_host-win32.h for what differs
// from shared_host-posix.cpp. The connections themselves are SharedConnections'
// (shared_connections.h), as on POSIX.
#include "host/shared_host-win32.h"

#include <windows.h>

#include <optional>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/event_port.h"
#include "common/fresh_timer.h"
#include "common/platform/text-win32.h"
#include "common/platform/user_identity-win32.h"
#include "common/platform/wait-win32.h"
#include "common/transport/handshake.h"
#include "common/transport/named_pipe-win32.h"
#include "host/shared_connections.h"
#include "wire/host_exit.h"

namespace bitbridge {
namespace {

// After a pipe instance could not be created or connected, the next try waits this long.
constexpr auto kAcceptRetry = 100 * kj::MILLISECONDS;
// How long a refused client's instance stays open, at most, for it to send its hello and read
// the refusal.
constexpr auto kRefusalWrite = 1 * kj::SECONDS;

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

// The accept side of a shared host on Windows: pipe instances, the client's token user, the
// idle exit under the start mutex.
class SharedPipeHost final {
 public:
  SharedPipeHost(kj::AsyncIoContext& io, UniqueHandle firstInstance,
                 const SharedPipeEndpoint& endpoint, const SharedHostConfig& config,
                 std::shared_ptr<spdlog::logger> logger)
      : io_(io),
        endpoint_(endpoint),
        config_(config),
        logger_(std::move(logger)),
        ownSid_(currentUserSid()),
        listening_(std::move(firstInstance)),
        connections_(io, config, logger_, "Windows", [this] { return idleExit(); }) {}

  int run() {
    auto exit = kj::newPromiseAndFulfiller<void>();
    exit_ = kj::mv(exit.fulfiller);
    connections_.start(endpoint_.pipe);
    {
      BulkRegistry::Scope checkedReferences(connections_.bulk());  // fromWire here checks it
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

  // Refuses with a hello that says why (SharedConnections logs it). The instance stays open
  // until the client's own hello has arrived (or kRefusalWrite has passed): closed earlier, the
  // client's write of its hello could fail before it reads ours, and it would see a plain
  // disconnection instead of the reason.
  void refuse(UniqueHandle pipe, const WireHello& why) {
    auto stream = wrapPipe(eventPortOf(io_), std::move(pipe));
    auto refusal = kj::heap<WireHello>(why);
    auto theirs = kj::heap<WireHello>();
    kj::AsyncIoStream& connection = *stream;
    WireHello& received = *theirs;
    auto answered = stream->write(refusal.get(), sizeof(WireHello))
                        .then([&connection, &received]() {
                          return connection.tryRead(&received, sizeof(received), sizeof(received))
                              .ignoreResult();
                        });
    connections_.addTask(answered.attach(kj::mv(stream), kj::mv(refusal), kj::mv(theirs))
                             .exclusiveJoin(afterDelayFromNow(timer(), kRefusalWrite))
                             .catch_([](kj::Exception&&) {}));
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
    if (std::optional<WireHello> refusal = connections_.refusalFor(pid)) {
      refuse(std::move(pipe), *refusal);
      return;
    }
    connections_.admit(wrapPipe(eventPortOf(io_), std::move(pipe)), pid);
  }

  // The host has had no client for the idle timeout.
  SharedConnections::IdleAnswer idleExit() {
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
    if (!lock || clientArrived) return SharedConnections::IdleAnswer::NotNow;
    logger_->info("no client for {} ms: exiting", config_.idleTimeout / kj::MILLISECONDS);
    exitLock_ = std::move(lock);  // released by run() once the pipe is closed
    exit_->fulfill();
    return SharedConnections::IdleAnswer::Exit;
  }

  kj::AsyncIoContext& io_;
  SharedPipeEndpoint endpoint_;
  SharedHostConfig config_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string ownSid_;
  UniqueHandle listening_;          // the instance waiting for the next client
  HANDLE waitingClient_ = nullptr;  // its ConnectNamedPipe's event while pending
  std::optional<StartMutex> exitLock_;
  kj::Own<kj::PromiseFulfiller<void>> exit_;
  SharedConnections connections_;  // last: its tasks call idleExit(), so it goes first
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
