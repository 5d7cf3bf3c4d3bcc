// Waiting on a fast lane's futex words (wire/lane_layout.h): spin briefly, then sleep in the
// kernel on the word itself, so an idle client or host uses no CPU, and a back-to-back call
// makes no system call at all.
//
// The words live in memory both processes map (MAP_SHARED), so the sleep is a process-shared
// futex (Linux: FUTEX_WAIT without FUTEX_PRIVATE_FLAG). Windows: WaitOnAddress only works within
// one process; the fast lane is not offered there (lane_wait-win32.cpp refuses with
// Unimplemented, and Host::bind refuses HostOptions::fastLane before anything is set up).
// Thread: any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/internal_api.h"

BITBRIDGE_INTERNAL_API_BEGIN
namespace bitbridge {

/// Sleeps while `word` holds `expected`, at most `timeout`; returns early on laneWake, on a
/// change, spuriously, or on a signal. The caller re-checks what it waits for.
void laneSleep(std::atomic<uint32_t>& word, uint32_t expected, std::chrono::microseconds timeout);

/// Wakes every process sleeping on `word` (laneSleep).
void laneWake(std::atomic<uint32_t>& word);

/// One polite iteration of a spin loop: the CPU's pause hint; after `yieldAfter` of spinning
/// also gives the core away (sched_yield), so a peer sharing the core can run.
void laneSpinPause(bool yield);

/// Whether this platform has the fast lane (false on Windows).
bool laneSupported();

}  // namespace bitbridge
BITBRIDGE_INTERNAL_API_END
