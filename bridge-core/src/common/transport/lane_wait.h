// Waiting on a fast lane's words (wire/lane_layout.h): spin briefly, then sleep until the peer
// rings, so an idle client or host uses no CPU, and a back-to-back call makes no system call.
//
// A LaneDoorbell is one direction's wake-up: the sleeper raises its parked flag, fences,
// re-checks its word and sleeps; the other side stores the word, fences, and rings only if the
// flag is up (lane_layout.h). How a sleep is made differs per platform:
// - Linux (lane_wait-posix.cpp): a process-shared futex on the word itself (the words live in a
//   MAP_SHARED segment); nothing to create.
// - Windows (lane_wait-win32.cpp): WaitOnAddress wakes only threads of the same process, so each
//   direction has a named auto-reset event beside the lane's segment ("<segment name>-lane-
//   request", "-lane-reply"), created by the client before it shows the segment to the host and
//   opened by the host; an event that already exists when the client creates it is refused.
// Thread: sleep() on one thread at a time (the lane thread, or the client's waiter); wake() on
// any. Lifetime: the word outlives the bell (both belong to the lane's mapping and its owner).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/internal_api.h"

namespace bitbridge {

class BITBRIDGE_INTERNAL_API LaneDoorbell {
 public:
  enum class End { Client, Host };  // the client creates the bell, the host opens it

  /// The bell `which` ("request" or "reply") of the lane in segment `segmentName`, ringing for
  /// `word`. Throws Error (Windows: the event exists already, or the host cannot open it).
  LaneDoorbell(std::atomic<uint32_t>& word, const std::string& segmentName, const char* which,
               End end);
  ~LaneDoorbell();
  LaneDoorbell(const LaneDoorbell&) = delete;
  LaneDoorbell& operator=(const LaneDoorbell&) = delete;

  /// Sleeps while the word holds `expected`, at most `timeout`; returns early when rung, on a
  /// change, spuriously, or on a signal. The caller re-checks what it waits for.
  void sleep(uint32_t expected, std::chrono::microseconds timeout);
  /// Wakes the side sleeping on this bell, if any (a ring with nobody asleep may make that
  /// side's next sleep return at once: harmless, it re-checks).
  void wake();

 private:
  struct Platform;  // per platform: nothing on Linux, the event's handle on Windows
  std::atomic<uint32_t>& word_;
  std::unique_ptr<Platform> platform_;
};

/// One polite iteration of a spin loop: the CPU's pause hint; with `yield` also gives the core
/// away, so a peer sharing the core can run.
BITBRIDGE_INTERNAL_API void laneSpinPause(bool yield);

}  // namespace bitbridge
