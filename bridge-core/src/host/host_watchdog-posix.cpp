// POSIX watchdog thread: poll() on the heartbeat socket and a stop eventfd, with a timeout that
// paces the parent check; an eventfd observed by the RPC loop carries the pokes.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/platform/system_error_text.h"
#include "host/host_watchdog.h"
#include "wire/heartbeat.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

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

// "fd:<n>" -> n; "" -> -1.
int heartbeatDescriptor(const std::string& spec) {
  if (spec.empty()) return -1;
  const std::string prefix = host_flags::kDescriptorPrefix;
  if (spec.compare(0, prefix.size(), prefix) == 0) {
    const char* digits = spec.c_str() + prefix.size();
    char* end = nullptr;
    long fd = std::strtol(digits, &end, 10);
    if (end != digits && *end == '\0' && fd >= 0 && fd < 65536) return static_cast<int>(fd);
  }
  throw Error(ErrorKind::BadConfiguration, "unknown heartbeat '" + spec + "'",
              "hosts are started by the bitbridge client library, which passes --heartbeat fd:<n>");
}

}  // namespace

struct HostWatchdog::Impl {
  Impl(HostWatchdogSettings settings, std::shared_ptr<spdlog::logger> logger)
      : settings(std::move(settings)), logger(std::move(logger)),
        heartbeatFd(heartbeatDescriptor(this->settings.heartbeat)) {}

  void run();
  void answerPing(uint64_t sequence);

  HostWatchdogSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  int heartbeatFd = -1;
  int pokeFd = -1;  // eventfd: watchdog -> RPC loop
  int stopFd = -1;  // eventfd: destructor -> watchdog thread
  LoopStallMeter meter;
  kj::Own<kj::UnixEventPort::FdObserver> pokeObserver;
  std::thread thread;
};

HostWatchdog::HostWatchdog(HostWatchdogSettings settings, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(logger))) {
  auto& impl = *impl_;
  if (impl.heartbeatFd < 0 && impl.settings.parentPid <= 0) return;  // nothing to watch
  impl.pokeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  impl.stopFd = ::eventfd(0, EFD_CLOEXEC);
  if (impl.pokeFd < 0 || impl.stopFd < 0) {
    // Without them the host still serves; it only loses heartbeat answers and orphan checks.
    impl.logger->error("watchdog disabled: eventfd() failed: {}", errnoText(errno));
    return;
  }
  impl.thread = std::thread([&impl] { impl.run(); });
}

HostWatchdog::~HostWatchdog() {
  auto& impl = *impl_;
  if (impl.thread.joinable()) {
    uint64_t one = 1;
    (void)!::write(impl.stopFd, &one, sizeof(one));
    impl.thread.join();
  }
  impl.pokeObserver = nullptr;
  for (int fd : {impl.pokeFd, impl.stopFd, impl.heartbeatFd}) {
    if (fd >= 0) ::close(fd);
  }
}

kj::Promise<void> HostWatchdog::attach(EventPort& eventPort) {
  auto& impl = *impl_;
  if (impl.pokeFd < 0) return kj::NEVER_DONE;
  impl.pokeObserver = kj::heap<kj::UnixEventPort::FdObserver>(
      eventPort, impl.pokeFd, kj::UnixEventPort::FdObserver::OBSERVE_READ);
  // Each wake-up proves the loop turned: acknowledge whatever was poked so far.
  struct Loop {
    static kj::Promise<void> next(Impl& impl) {
      return impl.pokeObserver->whenBecomesReadable().then([&impl]() {
        uint64_t count;
        while (::read(impl.pokeFd, &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count))) {
        }
        impl.meter.acknowledge();
        return next(impl);
      });
    }
  };
  return Loop::next(impl);
}

void HostWatchdog::Impl::answerPing(uint64_t sequence) {
  WireHeartbeatPong pong{};
  pong.sequence = sequence;
  pong.loopStalledMs = meter.stalledMs();
  if (meter.startPoke()) {
    uint64_t one = 1;
    (void)!::write(pokeFd, &one, sizeof(one));
  }
  if (!writeFully(heartbeatFd, &pong, sizeof(pong))) {
    logger->debug("heartbeat socket closed while answering");
  }
}

void HostWatchdog::Impl::run() {
  bool heartbeatOpen = heartbeatFd >= 0;
  for (;;) {
    pollfd fds[2] = {{stopFd, POLLIN, 0}, {heartbeatOpen ? heartbeatFd : -1, POLLIN, 0}};
    int timeout = settings.parentPid > 0 ? kParentCheckMs : -1;
    int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) {
      logger->error("watchdog poll failed: {}", errnoText(errno));
      return;
    }
    if (fds[0].revents) return;
    if (settings.parentPid > 0 && ::getppid() != settings.parentPid) {
      // The client is gone but the RPC thread has not noticed (it may be stuck in a legacy
      // call). Nothing can be answered any more: end the process now, skipping destructors
      // that could block on that same stuck thread.
      logger->warn("client pid {} is gone; exiting", settings.parentPid);
      logger->flush();
      ::_exit(0);
    }
    if (heartbeatOpen && fds[1].revents) {
      WireHeartbeatPing ping{};
      if (!readFully(heartbeatFd, &ping, sizeof(ping))) {
        heartbeatOpen = false;  // the client closed it; the channel's EOF ends the host
        continue;
      }
      answerPing(ping.sequence);
    }
  }
}

}  // namespace bitbridge
