// The message a fast-lane request is built in when the slot is free (client/lane_capability.cpp):
// its first segment is the lane's parameters area itself, so the application's typed request
// (its lists of numbers included) is written right where the host reads it, and posting it
// copies nothing.
//
// Only the first segment is the slot's: params that outgrow it continue in segments of their
// own on the heap (zeroed, as MallocMessageBuilder's), and such a message is sent by RPC (the
// host reads one segment). Unlike MallocMessageBuilder with a caller's first segment, this one
// does not zero that segment when it is destroyed: the request is destroyed right after send(),
// while the host may still be copying the posted params; ClientLane zeroes the words it used
// before it lends the area again (ClientLane::leaseParams).
//
// Thread: the Runtime's thread, like the request holding it. Lifetime: no longer than the
// lease of the area (ClientLane::releaseParams / postInPlace end it).
#pragma once

#include <cstddef>

#include <capnp/message.h>
#include <kj/array.h>
#include <kj/vector.h>

namespace bitbridge {

class LaneParamsBuilder final : public capnp::MessageBuilder {
 public:
  /// `area`: the leased parameters area, all zero.
  explicit LaneParamsBuilder(kj::ArrayPtr<capnp::word> area) : area_(area) {}

  kj::ArrayPtr<capnp::word> allocateSegment(unsigned minimumSize) override;

  /// The whole message is one segment, the area's: it can be posted as it is.
  bool inArea();
  /// Words of the area written so far (dirty: to be zeroed before the area is built in again).
  size_t areaWordsUsed();

 private:
  kj::ArrayPtr<capnp::word> area_;
  bool areaGiven_ = false;   // the area is segment 0
  size_t heapWords_ = 0;     // words of the heap segments so far (each new one is as big)
  kj::Vector<kj::Array<capnp::word>> heap_;
};

}  // namespace bitbridge
