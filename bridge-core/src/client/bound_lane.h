// The client's end of a fast lane (HostOptions::fastLane; layout in wire/lane_layout.h): the
// call slot one Host (so one client thread: a Host belongs to its Runtime's thread) shares with
// its host's lane thread (host/bind/lane_thread.h), through which calls to bound libraries go
// without RPC.
//
// A call is posted by building the params struct right in the slot (leaseParams: the typed
// request's message starts there, lane_params_builder.h), or by copying it there (post), and
// storing the next sequence number; the client then spins for the answer (kSpin). A call answered within that time costs
// no system call and no event-loop turn. A longer one is left to a waiter thread, which sleeps
// on the slot's futex word and resolves a cross-thread promise, so that the client's event loop
// runs meanwhile: deadlines, the heartbeat, the exit watch and hang detection apply to a lane
// call exactly as to an RPC call. One call at a time: a new call waits until the previous
// answer has been taken or discarded (whenIdle).
//
// Death: Host's death report calls hostGone(), which fails the waiting call with DISCONNECTED
// (Host turns that into the usual Error with the exit status and log tail); the waiter also
// wakes every 100 ms whatever happens, so nothing waits on a lost wake-up.
//
// Thread: everything but the waiter thread runs on the Runtime's thread. Lifetime: shared by
// Host::Impl and the bound objects' LaneCapability; the destructor stops the waiter thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <capnp/any.h>
#include <kj/async.h>

#include "bitbridge/bulk.h"
#include "common/transport/lane_wait.h"
#include "wire/lane_layout.h"

namespace bitbridge {

class BulkSegment;

class ClientLane {
 public:
  /// Writes a lane header for areas of `areaBytes` each into `segment` (of laneSlotBytes(...)
  /// data bytes, not yet shown to the host). `hostLabel` is for messages.
  ClientLane(std::shared_ptr<BulkSegment> segment, uint32_t areaBytes, std::string hostLabel);
  ~ClientLane();
  ClientLane(const ClientLane&) = delete;
  ClientLane& operator=(const ClientLane&) = delete;

  /// Bytes of data a segment for areas of `areaBytes` needs.
  static uint64_t segmentBytes(uint32_t areaBytes) { return laneSlotBytes(areaBytes, areaBytes); }

  /// No answer is outstanding: a call may be posted.
  bool idle() const { return !outstanding_; }
  /// Resolves once idle() (discarding an answer its caller gave up on); rejects if the host is
  /// gone.
  kj::Promise<void> whenIdle();

  /// Copies `params` into the slot and posts the call, if they fit, hold no capability and no
  /// request is being built in the slot (leaseParams); false otherwise (nothing posted: the
  /// caller uses RPC). Requires idle().
  bool post(uint32_t binding, uint16_t method, capnp::AnyPointer::Reader params);
  /// Lends the parameters area, zeroed, to a request built right in it, if the slot is idle and
  /// not lent already; an empty array otherwise. Until the lease ends (releaseParams or
  /// postInPlace) post() refuses, so that nothing overwrites the request being built.
  kj::ArrayPtr<capnp::word> leaseParams();
  /// Ends the lease without posting (the request was dropped, or copied into an RPC request);
  /// `usedWords` of the area were written.
  void releaseParams(size_t usedWords);
  /// Posts the call whose params were built in the leased area (its first `words` words, one
  /// segment) and ends the lease. Requires idle(); throws DISCONNECTED if the host is gone (the
  /// lease ended all the same).
  void postInPlace(uint32_t binding, uint16_t method, uint32_t words);
  /// Spins up to kSpin for the answer to the posted call; true if it is there.
  bool spin();
  /// Resolves when the answer to the posted call is there (or rejects: the host is gone).
  kj::Promise<void> answered();
  /// The answer as a flat message (segment table, then segments) in the slot's results area,
  /// valid until the next post(); or throws the host's error (a kj::Exception carrying the
  /// encoded Error). The slot is idle afterwards. Requires the answer to be there.
  kj::ArrayPtr<const capnp::word> takeAnswer();
  /// takeAnswer(), copied into `results`.
  void take(capnp::AnyPointer::Builder results);

  /// The host died or was killed (Host's death report, or the Host stopping): a waiting call
  /// fails with DISCONNECTED, and so does every later one.
  void hostGone();

  /// How long a call spins for its answer before it lets the event loop run.
  static constexpr auto kSpin = std::chrono::microseconds(50);

 private:
  bool arrived() const;
  void publish(uint32_t binding, uint16_t method, uint32_t words);
  void waiterLoop();
  kj::Exception goneException() const;

  std::shared_ptr<BulkSegment> segment_;
  BulkView view_;
  std::string hostLabel_;
  LaneControl* control_;
  std::unique_ptr<LaneDoorbell> requestBell_;  // rung for the host's lane thread
  std::unique_ptr<LaneDoorbell> replyBell_;    // the waiter thread sleeps on it
  capnp::word* paramArea_;
  const kj::byte* resultArea_;
  uint32_t areaBytes_;

  uint32_t seq_ = 0;           // of the last call posted
  bool leased_ = false;        // the parameters area is lent to a request being built
  size_t dirtyWords_ = 0;      // words of the parameters area possibly not zero
  bool outstanding_ = false;   // posted, answer not yet taken or discarded
  kj::Maybe<kj::ForkedPromise<void>> arrival_;  // the waiter's promise for seq_, once asked

  // The waiter thread, started on first need.
  std::mutex mutex_;
  std::condition_variable wake_;
  struct Wait {
    uint32_t seq;
    kj::Own<kj::CrossThreadPromiseFulfiller<void>> fulfiller;
  };
  std::optional<Wait> wait_;  // guarded by mutex_
  bool stopping_ = false;     // guarded by mutex_
  std::atomic<bool> gone_{false};
  std::thread waiter_;
};

}  // namespace bitbridge
