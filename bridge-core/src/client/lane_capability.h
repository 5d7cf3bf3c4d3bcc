// The object Host::bind returns when HostOptions::fastLane is on: a local Cap'n Proto server in
// front of the bound library's RPC capability, which the application uses exactly as before
// (same typed Client, same Host::wait). Methods the host listed as lane methods go through the
// Host's ClientLane (bound_lane.h); every other call (callbacks, Bulk.BulkRef, $calls(host),
// superclass methods, params too large for the slot) is forwarded to the RPC capability.
//
// Order: calls on one object start in the order they were sent, whichever path they take. A
// lane call waits until every earlier RPC call on this object has returned (the host runs it
// on another thread, so RPC's ordering alone would not hold); an RPC call waits for earlier
// lane calls still in flight. Back-to-back lane calls with nothing pending take the fast path:
// no bookkeeping at all: they are made right in the request's send() by a ClientHook of our own
// (LaneClient), so the application's typed call costs one small message, the slot's round trip
// and a ready promise, not a Cap'n Proto local call (deferred dispatch, call context, pipeline,
// response message); the server object (LaneCapability) handles everything that must wait.
//
// Thread: the Runtime's thread. Lifetime: owned by its capability; it shares the ClientLane
// with the Host, whose capabilities must not outlive it anyway.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <capnp/capability.h>

namespace bitbridge {

class ClientLane;

/// Wraps `rpc` (interface `interfaceId`, bound as `binding` on `lane`); `laneMethods[i]` says
/// whether method i may use the lane.
capnp::Capability::Client laneCapability(capnp::Capability::Client rpc, uint64_t interfaceId,
                                         std::shared_ptr<ClientLane> lane, uint32_t binding,
                                         std::vector<bool> laneMethods);

}  // namespace bitbridge
