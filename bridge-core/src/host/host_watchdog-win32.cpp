// Windows watchdog thread: waits on the stop event, the client's process handle (the orphan
// check, at once rather than every 100 ms) and the heartbeat pipe's overlapped I/O; an
// auto-reset event observed by the RPC loop carries the pokes. The heartbeat pipe is created
// here, in the constructor, before the hello, so it exists by the time the client connects.
#include <windows.h>

#include <cstdlib>
#include <thread>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/platform/text-win32.h"
#include "common/platform/wait-win32.h"
#include "common/transport/named_pipe-win32.h"
#include "host/host_watchdog.h"
#include "wire/heartbeat.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

// "pipe:<name>" -> <name>; "" -> "".
std::string heartbeatPipeName(const std::string& spec) {
  if (spec.empty()) return {};
  const std::string prefix = host_flags::kPipePrefix;
  if (spec.compare(0, prefix.size(), prefix) == 0 && spec.size() > prefix.size()) {
    return spec.substr(prefix.size());
  }
  throw Error(ErrorKind::BadConfiguration, "unknown heartbeat '" + spec + "'",
              "hosts are started by the bitbridge client library, which passes "
              "--heartbeat pipe:<name>");
}

HANDLE newEvent(bool manualReset) {
  HANDLE event = ::CreateEventW(nullptr, manualReset ? TRUE : FALSE, FALSE, nullptr);
  if (event == nullptr) {
    throw Error(ErrorKind::BadConfiguration, "CreateEvent failed: " + lastWin32ErrorText());
  }
  return event;
}

}  // namespace

struct HostWatchdog::Impl {
  Impl(HostWatchdogSettings settings, std::shared_ptr<spdlog::logger> logger)
      : settings(std::move(settings)), logger(std::move(logger)),
        stopEvent(newEvent(true)), pokeEvent(newEvent(false)) {
    std::string pipeName = heartbeatPipeName(this->settings.heartbeat);
    if (!pipeName.empty()) heartbeat = createPipeServer(pipeName);
    if (this->settings.parentPid > 0) {
      HANDLE parent = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(this->settings.parentPid));
      if (parent == nullptr) {
        // Already gone (or never ours): nobody is left to serve.
        this->logger->warn("client pid {} is gone; exiting", this->settings.parentPid);
        this->logger->flush();
        std::_Exit(0);
      }
      client = UniqueHandle(parent);
    }
  }

  bool hasHeartbeat() const { return heartbeat.valid(); }
  bool hasClient() const { return client.valid(); }

  void run();
  // Waits for `overlapped` (pending on the heartbeat pipe), the stop event or the client's exit.
  // Returns true when the I/O completed (successfully or not: see GetOverlappedResult).
  bool await(OVERLAPPED& overlapped);
  void clientGone();

  HostWatchdogSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  UniqueHandle heartbeat;  // server end of the heartbeat pipe, or invalid
  UniqueHandle client;     // the client process (SYNCHRONIZE), or invalid
  UniqueHandle stopEvent;  // destructor -> watchdog thread
  UniqueHandle pokeEvent;  // watchdog thread -> RPC loop
  LoopStallMeter meter;
  std::thread thread;
};

void HostWatchdog::Impl::clientGone() {
  // The client is gone but the RPC thread has not noticed (it may be stuck in a legacy call).
  // Nothing can be answered any more: end the process now, skipping destructors that could
  // block on that same stuck thread.
  logger->warn("client pid {} is gone; exiting", settings.parentPid);
  logger->flush();
  std::_Exit(0);
}

bool HostWatchdog::Impl::await(OVERLAPPED& overlapped) {
  HANDLE waits[3] = {stopEvent.get(), overlapped.hEvent, client.get()};
  DWORD count = hasClient() ? 3 : 2;
  DWORD which = ::WaitForMultipleObjects(count, waits, FALSE, INFINITE);
  if (which == WAIT_OBJECT_0 + 1) return true;
  if (which == WAIT_OBJECT_0 + 2) clientGone();
  // Stopping: cancel the I/O and let it finish before `overlapped` goes away.
  DWORD transferred = 0;
  ::CancelIoEx(heartbeat.get(), &overlapped);
  ::GetOverlappedResult(heartbeat.get(), &overlapped, &transferred, TRUE);
  return false;
}

void HostWatchdog::Impl::run() {
  UniqueHandle ioEvent(newEvent(true));
  auto start = [&](OVERLAPPED& overlapped) {
    overlapped = OVERLAPPED{};
    overlapped.hEvent = ioEvent.get();
  };
  bool open = false;
  if (hasHeartbeat()) {
    OVERLAPPED overlapped;
    start(overlapped);
    DWORD transferred = 0;
    if (::ConnectNamedPipe(heartbeat.get(), &overlapped)) {
      open = true;
    } else if (::GetLastError() == ERROR_PIPE_CONNECTED) {
      open = true;
    } else if (::GetLastError() == ERROR_IO_PENDING) {
      if (!await(overlapped)) return;
      open = ::GetOverlappedResult(heartbeat.get(), &overlapped, &transferred, FALSE) != 0;
    }
  }
  while (open) {
    WireHeartbeatPing ping{};
    DWORD got = 0;
    OVERLAPPED overlapped;
    start(overlapped);
    if (!::ReadFile(heartbeat.get(), &ping, sizeof(ping), nullptr, &overlapped) &&
        ::GetLastError() != ERROR_IO_PENDING) {
      break;  // the client closed it; the channel's EOF ends the host
    }
    if (!await(overlapped)) return;
    if (!::GetOverlappedResult(heartbeat.get(), &overlapped, &got, FALSE) || got != sizeof(ping)) {
      break;  // (pings are 8 bytes written at once: a short read means the pipe broke)
    }
    WireHeartbeatPong pong{};
    pong.sequence = ping.sequence;
    pong.loopStalledMs = meter.stalledMs();
    if (meter.startPoke()) ::SetEvent(pokeEvent.get());
    start(overlapped);
    if (!::WriteFile(heartbeat.get(), &pong, sizeof(pong), nullptr, &overlapped) &&
        ::GetLastError() != ERROR_IO_PENDING) {
      logger->debug("heartbeat pipe closed while answering");
      break;
    }
    if (!await(overlapped)) return;
  }
  // No heartbeat (any more): only the stop event and the client's exit are left to wait for.
  HANDLE waits[2] = {stopEvent.get(), client.get()};
  if (::WaitForMultipleObjects(hasClient() ? 2 : 1, waits, FALSE, INFINITE) == WAIT_OBJECT_0 + 1) {
    clientGone();
  }
}

HostWatchdog::HostWatchdog(HostWatchdogSettings settings, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(logger))) {
  auto& impl = *impl_;
  if (!impl.hasHeartbeat() && !impl.hasClient()) return;  // nothing to watch
  impl.thread = std::thread([&impl] { impl.run(); });
}

HostWatchdog::~HostWatchdog() {
  if (impl_->thread.joinable()) {
    ::SetEvent(impl_->stopEvent.get());
    impl_->thread.join();
  }
}

kj::Promise<void> HostWatchdog::attach(EventPort&) {
  auto& impl = *impl_;
  if (!impl.thread.joinable()) return kj::NEVER_DONE;
  // Each wake-up proves the loop turned: acknowledge whatever was poked so far.
  struct Loop {
    static kj::Promise<void> next(Impl& impl) {
      return whenSignaled(impl.pokeEvent.get()).then([&impl]() {
        impl.meter.acknowledge();
        return next(impl);
      });
    }
  };
  return Loop::next(impl);
}

}  // namespace bitbridge
