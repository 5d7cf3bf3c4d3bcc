// POSIX watchdog thread: poll() on the heartbeat socket and a stop eventfd, with a timeout that
// paces the parent check; an eventfd observed by the RPC loop carries the pokes.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <spdlog/logger.h>

#include "heartbeat_wire.h"
#include "host_watchdog.h"

namespace bitbridge {
namespace {

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Reads exactly `size` bytes unless EOF/error comes first (then false).
bool readFully(int fd, void* data, size_t size) {
  auto* out = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool writeFully(int fd, const void* data, size_t size) {
  const auto* in = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, in, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    in += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

HostWatchdog::HostWatchdog(HostWatchdogSettings settings, std::shared_ptr<spdlog::logger> logger)
    : settings_(settings), logger_(std::move(logger)) {
  if (settings_.heartbeatFd < 0 && settings_.parentPid <= 0) return;  // nothing to watch
  pokeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  stopFd_ = ::eventfd(0, EFD_CLOEXEC);
  if (pokeFd_ < 0 || stopFd_ < 0) {
    // Without them the host still serves; it only loses heartbeat answers and orphan checks.
    logger_->error("watchdog disabled: eventfd() failed: {}", std::strerror(errno));
    return;
  }
  thread_ = std::thread([this] { run(); });
}

HostWatchdog::~HostWatchdog() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(stopFd_, &one, sizeof(one));
    thread_.join();
  }
  pokeObserver_ = nullptr;
  for (int fd : {pokeFd_, stopFd_, settings_.heartbeatFd}) {
    if (fd >= 0) ::close(fd);
  }
}

kj::Promise<void> HostWatchdog::attach(kj::UnixEventPort& eventPort) {
  if (pokeFd_ < 0) return kj::NEVER_DONE;
  pokeObserver_ = kj::heap<kj::UnixEventPort::FdObserver>(
      eventPort, pokeFd_, kj::UnixEventPort::FdObserver::OBSERVE_READ);
  // Each wake-up proves the loop turned: acknowledge whatever was poked so far.
  struct Loop {
    static kj::Promise<void> next(HostWatchdog& self) {
      return self.pokeObserver_->whenBecomesReadable().then([&self]() {
        uint64_t count;
        while (::read(self.pokeFd_, &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count))) {
        }
        self.acknowledged_.store(self.poked_.load());
        return next(self);
      });
    }
  };
  return Loop::next(*this);
}

uint32_t HostWatchdog::loopStalledMs() const {
  if (acknowledged_.load() == poked_.load()) return 0;
  int64_t stalled = steadyMs() - pokedAtMs_.load();
  return stalled <= 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(stalled, UINT32_MAX));
}

void HostWatchdog::answerPing(uint64_t sequence) {
  WireHeartbeatPong pong{};
  pong.sequence = sequence;
  pong.loopStalledMs = loopStalledMs();
  // Poke again only once the previous poke was answered, so the stall is measured from the
  // first unanswered one.
  if (acknowledged_.load() == poked_.load()) {
    pokedAtMs_.store(steadyMs());
    poked_.fetch_add(1);
    uint64_t one = 1;
    (void)!::write(pokeFd_, &one, sizeof(one));
  }
  if (!writeFully(settings_.heartbeatFd, &pong, sizeof(pong))) {
    logger_->debug("heartbeat socket closed while answering");
  }
}

void HostWatchdog::run() {
  bool heartbeatOpen = settings_.heartbeatFd >= 0;
  for (;;) {
    pollfd fds[2] = {{stopFd_, POLLIN, 0}, {heartbeatOpen ? settings_.heartbeatFd : -1, POLLIN, 0}};
    int timeout = settings_.parentPid > 0 ? kParentCheckMs : -1;
    int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) {
      logger_->error("watchdog poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[0].revents) return;
    if (settings_.parentPid > 0 && ::getppid() != settings_.parentPid) {
      // The client is gone but the RPC thread has not noticed (it may be stuck in a legacy
      // call). Nothing can be answered any more: end the process now, skipping destructors
      // that could block on that same stuck thread.
      logger_->warn("client pid {} is gone; exiting", settings_.parentPid);
      logger_->flush();
      ::_exit(0);
    }
    if (heartbeatOpen && fds[1].revents) {
      WireHeartbeatPing ping{};
      if (!readFully(settings_.heartbeatFd, &ping, sizeof(ping))) {
        heartbeatOpen = false;  // the client closed it; the channel's EOF ends the host
        continue;
      }
      answerPing(ping.sequence);
    }
  }
}

}  // namespace bitbridge
