// The host's end of a fast lane (HostOptions::fastLane; layout in wire/lane_layout.h): a thread
// that waits on one client thread's call slot and makes the calls posted there into libraries
// that client bound, with no RPC protocol and no event loop in between.
//
// One per connection that asked for a lane (HostService keeps it); every library the
// connection binds with a lane is registered here under a small id. The thread spins briefly
// after each answer (a chatty client's next call costs no system call), then sleeps on the
// slot's futex word, so an idle lane uses no CPU. Each call obeys the library's threading rule
// (LaneTarget::laneCall: the library thread's call gate unless $calls(pool)).
//
// The slot is the client's memory, so nothing in it is trusted: the header is validated once
// into a private copy, paramWords is bounded by it, the params are copied out before they are
// read, and every bad call (unknown binding or method, too many words, a params message Cap'n
// Proto refuses, results larger than the results area) is answered with a MalformedPeer (or the
// call's own) error; the lane keeps serving.
//
// Lifetime: owned by HostService (RPC thread), which holds each bound library's capability
// here, so the targets outlive the thread. When the connection ends, stopOrAbandon() stops the
// thread; one inside a legacy call is detached instead and the LaneThread is leaked with
// everything it uses (the call still reads its targets, whose capabilities must not be dropped
// on another thread), as LibraryThread detaches a stuck thread: the connection is ending.
// Thread assumptions: constructor, add(), stopOrAbandon() and the destructor on the RPC thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <capnp/capability.h>
#include <capnp/schema.h>
#include <kj/array.h>
#include <spdlog/logger.h>

#include "bitbridge/bulk.h"
#include "common/transport/lane_wait.h"
#include "wire/lane_layout.h"

namespace bitbridge {

class BulkSegment;
class LaneTarget;

class LaneThread {
 public:
  /// Serves the slot at the start of `segment`'s data area (attached by this connection).
  /// Throws Error{MalformedPeer} if its header is not a valid lane header for that size.
  LaneThread(std::shared_ptr<BulkSegment> segment, std::shared_ptr<spdlog::logger> logger);
  ~LaneThread();
  LaneThread(const LaneThread&) = delete;
  LaneThread& operator=(const LaneThread&) = delete;

  uint64_t segmentId() const { return segmentId_; }

  /// Stops the thread. Returns true if it was inside a call and has been detached: the caller
  /// must then leak this object (release its owner without deleting it).
  bool stopOrAbandon();

  /// Makes `target` callable through the lane; `keep` is its capability, held for as long as
  /// this lane lives. Returns its id (1, 2, ...), which the client puts in LaneControl::binding.
  uint32_t add(capnp::Capability::Client keep, LaneTarget& target);

  /// How long the thread polls for the next call after answering one before it sleeps.
  static constexpr auto kSpin = std::chrono::microseconds(50);

 private:
  void loop(uint32_t answered);
  void serve();
  void answer(LaneStatus status, const void* bytes, uint32_t size);
  void fail(const std::string& encodedError);

  std::shared_ptr<BulkSegment> segment_;
  BulkView view_;  // the slot, mapped for the lane's life
  uint64_t segmentId_;
  std::shared_ptr<spdlog::logger> logger_;
  LaneControl* control_;
  std::unique_ptr<LaneDoorbell> requestBell_;  // the lane thread sleeps on it
  std::unique_ptr<LaneDoorbell> replyBell_;    // rung for the client's waiter
  kj::byte* paramArea_;
  kj::byte* resultArea_;
  uint32_t paramBytes_;   // private copies of the validated header
  uint32_t resultBytes_;
  // The params copied out of the slot (lane thread only), in paramsMemory_.
  kj::ArrayPtr<capnp::word> params_;
  kj::Array<capnp::word> paramsMemory_;
  // The results' first segment, reused call after call: zero between calls (the builder zeroes
  // what it used when it is destroyed). In resultMemory_. Lane thread only.
  kj::ArrayPtr<capnp::word> resultScratch_;
  kj::Array<capnp::word> resultMemory_;

  struct Entry {
    capnp::Capability::Client keep;
    LaneTarget* target;
    // Each method's param and result structs, looked up once (capnp::Schema lookups are
    // not free on a path of a microsecond); indexed like the interface's methods.
    std::vector<capnp::InterfaceSchema::Method> methods;
  };
  std::mutex bindingsMutex_;
  std::vector<Entry> bindings_;  // id - 1; guarded by bindingsMutex_

  std::atomic<bool> stopping_{false};
  std::atomic<bool> busy_{false};  // inside a call: the destructor must not join
  std::thread thread_;
};

}  // namespace bitbridge
