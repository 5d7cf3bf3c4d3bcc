// Timers measured from the moment they are armed, on both sides of the channel.
//
// Why not kj::Timer::afterDelay: KJ's timer counts from the event loop's cached time, which is
// refreshed only when the loop polls its event port. A client thread that slept or computed for
// a while (off the loop), or a host whose RPC thread just spent seconds in a legacy call, arms
// its next timer against a time that is seconds old, and the timer fires at once: a 1000 ms call
// deadline failed in under 1 ms after 1.5 s of client idleness. Every bitbridge timer goes
// through these two functions instead.
//
// Thread: the timer's own thread (the one running its event loop). Both KJ event ports (epoll on
// Linux, IOCP on Windows) keep their timer on systemPreciseMonotonicClock(), which is what the
// due time is computed from here.
#pragma once

#include <kj/async.h>
#include <kj/time.h>
#include <kj/timer.h>

namespace bitbridge {

/// Resolves once `delay` has passed since this call, by the monotonic clock.
inline kj::Promise<void> afterDelayFromNow(kj::Timer& timer, kj::Duration delay) {
  kj::TimePoint due = kj::systemPreciseMonotonicClock().now() + delay;
  if (due < timer.now()) due = timer.now();  // never before the loop's own notion of now
  return timer.atTime(due);
}

/// A deadline for an answer: resolves once `limit` has passed since this call AND the event
/// port has been polled once more after that. An answer that arrived while this thread was away
/// from the loop (busy, asleep, or stuck in a long call) is delivered by that poll and wins the
/// race, instead of being mistaken for a timeout because the timer expired in the same turn.
inline kj::Promise<void> deadlineFromNow(kj::Timer& timer, kj::Duration limit) {
  return afterDelayFromNow(timer, limit).then([&timer]() {
    // A timer due "now" fires at the next poll of the event port, which KJ makes only once
    // every event already queued (the answer's read among them) has run.
    return timer.atTime(timer.now());
  });
}

}  // namespace bitbridge
