// The host's watchdog thread: answers the client's heartbeat and makes an orphaned host exit.
//
// Why a thread of its own: the RPC thread runs component code, and legacy calls may block it for
// seconds or forever. The watchdog thread never runs component code, so it can still (1) answer
// heartbeats, reporting how long the RPC thread has been stuck, and (2) notice that the client
// process is gone and end the host within a second even when the RPC thread never returns to
// read the channel's EOF.
//
// Lifetime: created in runHost before serving, destroyed (thread joined) after. The loop side
// (attach()) must be called on the RPC thread, whose event loop acknowledges the pokes.
// Thread assumptions: the watchdog thread touches only its descriptors and the atomics below.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include <kj/async-unix.h>

namespace spdlog {
class logger;
}

namespace bitbridge {

struct HostWatchdogSettings {
  /// Heartbeat socket inherited from the client (kHostHeartbeatFd), or -1 for none.
  int heartbeatFd = -1;
  /// The client's process id: when getppid() stops being this, the client is gone and the host
  /// exits. 0 disables the check (shared hosts outlive their starter on purpose).
  int parentPid = 0;
};

class HostWatchdog {
 public:
  /// Starts the thread. Takes ownership of settings.heartbeatFd.
  HostWatchdog(HostWatchdogSettings settings, std::shared_ptr<spdlog::logger> logger);
  ~HostWatchdog();
  HostWatchdog(const HostWatchdog&) = delete;
  HostWatchdog& operator=(const HostWatchdog&) = delete;

  /// Lets the RPC thread's event loop acknowledge pokes. Keep the returned promise alive for as
  /// long as the loop serves (it never completes).
  kj::Promise<void> attach(kj::UnixEventPort& eventPort);

  /// How often the thread checks for its parent; the bound on an orphan's lifetime.
  static constexpr int kParentCheckMs = 100;

 private:
  void run();
  void answerPing(uint64_t sequence);
  uint32_t loopStalledMs() const;

  HostWatchdogSettings settings_;
  std::shared_ptr<spdlog::logger> logger_;
  int pokeFd_ = -1;   // eventfd: watchdog -> RPC loop
  int stopFd_ = -1;   // eventfd: destructor -> watchdog thread
  // Poke bookkeeping: `poked_` is written by the watchdog thread before it signals pokeFd_;
  // the loop copies it into `acknowledged_`. Equal means the loop has turned since the last poke.
  std::atomic<uint64_t> poked_{0};
  std::atomic<uint64_t> acknowledged_{0};
  std::atomic<int64_t> pokedAtMs_{0};  // steady clock, watchdog thread only (atomic for tsan)
  kj::Own<kj::UnixEventPort::FdObserver> pokeObserver_;
  std::thread thread_;
};

}  // namespace bitbridge
