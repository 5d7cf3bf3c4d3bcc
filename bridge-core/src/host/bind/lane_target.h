// What a fast lane (lane_thread.h) calls: a bound C library (c_binding_call.cpp) seen from the
// lane's own thread instead of through RPC.
//
// Lifetime: implemented by the bound library's server object; whoever holds a LaneTarget also
// holds that object's capability (LaneThread::add), so it lives as long as it is reachable.
// Thread: laneCall runs on the lane's thread; the other members on any thread (immutable after
// construction).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <capnp/dynamic.h>

namespace bitbridge {

class LaneTarget {
 public:
  virtual ~LaneTarget() = default;

  /// The bound interface, whose methods' param and result structs the lane's messages are.
  virtual capnp::InterfaceSchema laneSchema() const = 0;
  /// Whether method `index` may be called through a lane: it exists, takes no callback (a
  /// capability needs RPC), no Bulk.BulkRef (resolved against the RPC thread's registry scope),
  /// and the interface does not say $calls(host).
  virtual bool laneCallable(uint16_t index) const = 0;
  /// Calls method `index` (laneCallable) on this thread, converting `params` and writing
  /// `results` exactly as an RPC call does, one at a time with the library's other calls unless
  /// the interface says $calls(pool). Throws Error (the kind reaches the client).
  virtual void laneCall(uint16_t index, capnp::DynamicStruct::Reader params,
                        capnp::DynamicStruct::Builder results) = 0;
  /// The library's path, for messages.
  virtual const std::string& lanePath() const = 0;
};

}  // namespace bitbridge
