#include "host/shared_host.h"

#include <csignal>
#include <optional>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/event_port.h"
#include "common/fresh_timer.h"
#include "common/platform/system_error_text.h"
#include "common/transport/handshake.h"
#include "common/transport/shared_endpoint.h"
#include "host/shared_connections.h"
#include "wire/host_exit.h"

namespace bitbridge {
namespace {

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

// The accept side of a shared host on POSIX: a listening Unix socket, SO_PEERCRED, the
// descriptor limit, SIGTERM/SIGINT and the idle exit under the start lock. The connections
// themselves are SharedConnections'.
class SharedHost final {
 public:
  SharedHost(kj::AsyncIoContext& io, kj::AutoCloseFd listener, const SharedHostConfig& config,
             std::shared_ptr<spdlog::logger> logger)
      : io_(io),
        config_(config),
        logger_(logger),
        listener_(kj::mv(listener)),
        listening_((makeNonBlocking(listener_.get()), eventPortOf(io)), listener_.get(),
                   kj::UnixEventPort::FdObserver::OBSERVE_READ),
        connections_(io, config, logger, "the kernel", [this] { return idleExit(); }) {}

  int run() {
    auto exit = kj::newPromiseAndFulfiller<void>();
    exit_ = kj::mv(exit.fulfiller);
    connections_.start(config_.socketPath);
    BulkRegistry::Scope checkedReferences(connections_.bulk());  // fromWire here checks it
    exit.promise.exclusiveJoin(acceptLoop())
        .exclusiveJoin(terminatedBy(SIGTERM))
        .exclusiveJoin(terminatedBy(SIGINT))
        .wait(io_.waitScope);
    return 0;
  }

 private:
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
    if (std::optional<WireHello> refusal = connections_.refusalFor(peer.pid)) {
      refuseConnection(kj::mv(fd), &*refusal, sizeof(*refusal));
      return;
    }
    if (overloaded_) {
      overloaded_ = false;
      logger_->info("accepting connections again");
    }
    auto stream = io_.lowLevelProvider->wrapSocketFd(
        fd.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                          kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC |
                          kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK);
    connections_.admit(kj::mv(stream), peer.pid);
  }

  // The host has had no client for the idle timeout.
  SharedConnections::IdleAnswer idleExit() {
    std::optional<StartLock> lock = StartLock::tryAcquire(config_.lockPath);
    // A client holding the lock is connecting to us (or starting us): not now. So is one
    // waiting in the backlog that our accept loop has not reached yet.
    if (!lock || connectionPending(listener_.get())) return SharedConnections::IdleAnswer::NotNow;
    removeSharedSocket(config_.socketPath);
    logger_->info("no client for {} ms: exiting", config_.idleTimeout / kj::MILLISECONDS);
    // Held until the process is gone: a client waiting for the lock then finds no socket and
    // starts a new host, rather than connecting to one that is leaving.
    exitLock_ = std::move(lock);
    exit_->fulfill();
    return SharedConnections::IdleAnswer::Exit;
  }

  kj::AsyncIoContext& io_;
  SharedHostConfig config_;
  std::shared_ptr<spdlog::logger> logger_;
  kj::AutoCloseFd listener_;
  kj::UnixEventPort::FdObserver listening_;  // before the descriptor closes (declared after)
  DescriptorReserve reserve_;
  int descriptorCeiling_ = descriptorCeiling(kDescriptorHeadroom);
  bool overloaded_ = false;  // out of descriptors, logged; cleared by the next admission
  std::optional<StartLock> exitLock_;
  kj::Own<kj::PromiseFulfiller<void>> exit_;
  SharedConnections connections_;  // last: its tasks call idleExit(), so it goes first
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
