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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <kj/async.h>

#include "common/event_port.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

struct HostWatchdogSettings {
  /// Where the client's heartbeat arrives, as passed with --heartbeat: "fd:<n>" (POSIX, an
  /// inherited socket) or "pipe:<name>" (Windows, a pipe this host creates); "" for none.
  std::string heartbeat;
  /// The client's process id: when it is gone, the host exits. 0 disables the check (shared
  /// hosts outlive their starter on purpose).
  int parentPid = 0;
};

/// How long the RPC thread's event loop has not turned, measured with pokes: the watchdog
/// thread pokes the loop (platform wake-up: an eventfd, a Win32 event) and the loop acknowledges.
/// Portable; the watchdog thread calls startPoke()/stalledMs(), the RPC loop acknowledge().
class LoopStallMeter {
 public:
  /// True (and the poke is recorded) when the previous poke has been acknowledged: poke again
  /// only then, so that a stall is measured from the first unanswered poke.
  bool startPoke() {
    if (acknowledged_.load() != poked_.load()) return false;
    pokedAtMs_.store(nowMs());
    poked_.fetch_add(1);
    return true;
  }
  void acknowledge() { acknowledged_.store(poked_.load()); }
  uint32_t stalledMs() const {
    if (acknowledged_.load() == poked_.load()) return 0;
    int64_t stalled = nowMs() - pokedAtMs_.load();
    return stalled <= 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(stalled, UINT32_MAX));
  }

 private:
  static int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // Equal counters mean the loop has turned since the last poke.
  std::atomic<uint64_t> poked_{0};
  std::atomic<uint64_t> acknowledged_{0};
  std::atomic<int64_t> pokedAtMs_{0};  // steady clock
};

class HostWatchdog {
 public:
  /// Starts the thread (when there is anything to watch). Throws Error on a heartbeat spec this
  /// platform does not understand.
  HostWatchdog(HostWatchdogSettings settings, std::shared_ptr<spdlog::logger> logger);
  ~HostWatchdog();
  HostWatchdog(const HostWatchdog&) = delete;
  HostWatchdog& operator=(const HostWatchdog&) = delete;

  /// Lets the RPC thread's event loop acknowledge pokes. Keep the returned promise alive for as
  /// long as the loop serves (it never completes).
  kj::Promise<void> attach(EventPort& eventPort);

  /// How often the thread checks for its parent; the bound on an orphan's lifetime.
  static constexpr int kParentCheckMs = 100;

  struct Impl;  // per platform: host_watchdog-posix.cpp, host_watchdog-win32.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitbridge
