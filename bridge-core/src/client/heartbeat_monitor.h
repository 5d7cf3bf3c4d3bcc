// Client half of the heartbeat (see wire/heartbeat.h): pings the host's watchdog thread on a
// timer and reports a host that is frozen (no answer in time) or stuck (its RPC thread has not
// turned for longer than the hang limit).
//
// Lifetime: owned by Host::Impl; destroying it cancels the timer and the pending read.
// Thread assumptions: runs on the client's event loop thread, so it only makes progress while
// that thread waits on the loop (any Host::wait). A ping overdue because the client itself was
// busy is given a short grace read before it counts as unanswered.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <kj/async-io.h>
#include <kj/timer.h>

#include "wire/heartbeat.h"

namespace bitbridge {

struct HeartbeatSettings {
  std::chrono::milliseconds interval{1000};  ///< between pings (> 0)
  std::chrono::milliseconds timeout{5000};   ///< for an answer
  std::chrono::milliseconds hangLimit{0};    ///< RPC thread stall that counts as hung; 0: off
};

class HeartbeatMonitor {
 public:
  /// `onVerdict` is called at most once, on the loop thread, with a sentence such as "did not
  /// answer its heartbeat within 500 ms (stopped or frozen)". EOF on the socket (the host
  /// exited) is not a verdict: the monitor just stops, death is reported elsewhere.
  HeartbeatMonitor(kj::Own<kj::AsyncIoStream> stream, kj::Timer& timer, HeartbeatSettings settings,
                   std::function<void(std::string)> onVerdict);

 private:
  kj::Promise<void> cycle();
  kj::Promise<void> readPongWithin();
  kj::Promise<void> check(size_t bytes);

  kj::Own<kj::AsyncIoStream> stream_;
  kj::Timer& timer_;
  HeartbeatSettings settings_;
  std::function<void(std::string)> onVerdict_;
  uint64_t sequence_ = 0;
  WireHeartbeatPing ping_{};
  WireHeartbeatPong pong_{};
  kj::Promise<void> task_ = nullptr;  // last: cancelled first on destruction
};

}  // namespace bitbridge
