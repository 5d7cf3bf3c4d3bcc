// The heartbeat: a second private socket between a client and the host it spawned, answered by
// a thread of its own in the host (host_watchdog), so that a host whose RPC thread is busy in a
// long legacy call still answers, and one that is frozen (SIGSTOP, a deadlock in the process,
// swapped to death) does not.
//
// The client sends a ping every HostOptions::heartbeatInterval; the host answers with the ping's
// sequence number and how long its RPC thread has been unresponsive (the watchdog thread pokes
// the RPC thread's event loop at every ping and measures how long the poke stays unanswered).
// Cross-bitness ABI: fixed-width fields, layout asserted here in every build (32- and 64-bit);
// little-endian on every supported platform.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bitbridge {

struct WireHeartbeatPing {
  uint64_t sequence;  // 1, 2, 3, ... per connection
};
static_assert(sizeof(WireHeartbeatPing) == 8, "WireHeartbeatPing is wire ABI");
static_assert(offsetof(WireHeartbeatPing, sequence) == 0, "WireHeartbeatPing is wire ABI");

struct WireHeartbeatPong {
  uint64_t sequence;        // the ping's
  uint32_t loopStalledMs;   // how long the host's RPC thread has not turned its loop (0: fine)
  uint32_t reserved;        // zero
};
static_assert(sizeof(WireHeartbeatPong) == 16, "WireHeartbeatPong is wire ABI");
static_assert(offsetof(WireHeartbeatPong, sequence) == 0, "WireHeartbeatPong is wire ABI");
static_assert(offsetof(WireHeartbeatPong, loopStalledMs) == 8, "WireHeartbeatPong is wire ABI");
static_assert(offsetof(WireHeartbeatPong, reserved) == 12, "WireHeartbeatPong is wire ABI");

}  // namespace bitbridge
