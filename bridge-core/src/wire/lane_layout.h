// The layout of a fast lane (HostOptions::fastLane; client/bound_lane.h, host/bind/lane_thread.h):
// one call slot in shared memory through which a client thread calls the functions of libraries
// it bound (Host::bind), with no RPC protocol and no event loop between the two sides.
//
// The slot lives at the start of the data area of a bulk segment (common/bulk), which the client
// creates and the host attaches as any other (attachBulk), so it needs no new way of handing
// memory over. It holds, in order: LaneHeader (written once by the client before the host sees
// it), LaneControl (two cache lines: the client's, the host's), then the parameters area and the
// results area. Parameters are the method's Cap'n Proto params struct as one segment (no segment
// table: paramWords words); results are the results struct as a flat message with its segment
// table (capnp::FlatArrayMessageReader reads it), or, with a failure status, an encoded error
// (wire/error_text.h) of resultBytes bytes.
//
// A call: the client writes the params, then binding/method/paramWords, then stores the next
// sequence number in `request` (release) and, if the host is parked, wakes it (futex on
// `request`). The host copies the params out, calls, writes the results and status, stores the
// sequence number in `reply` (release) and wakes the client if it is parked (futex on `reply`).
// Parked flags are raised, then a full fence, then the word is re-checked before sleeping; the
// other side stores the word, fences, then reads the flag: no wake-up is lost (as in
// shm_ring_layout.h).
//
// Cross-bitness ABI: fixed-width fields only, explicit padding, every size and offset
// static_assert'ed; compiled into every build and checked byte for byte by
// tests/unit/wire_layout_test.cpp. 32-bit atomics (futex words) are lock-free in both
// bitnesses. Little-endian is assumed, as in hello.h. The host trusts nothing in it: it reads
// the header once into a private copy, bounds paramWords by that copy, copies the params before
// reading them, and answers anything else with a MalformedPeer status.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace bitbridge {

inline constexpr uint8_t kLaneMagic[8] = {'B', 'B', 'l', 'a', 'n', 'e', 0, 1};
inline constexpr uint32_t kLaneVersion = 1;
/// The parameters area starts here, after the header and the controls.
inline constexpr uint32_t kLaneAreasOffset = 256;
/// Default sizes of the two areas: 256 KiB each (a params struct of 32 000 doubles).
inline constexpr uint32_t kLaneDefaultAreaBytes = 256u << 10;
inline constexpr uint32_t kLaneMinAreaBytes = 4096;
inline constexpr uint32_t kLaneMaxAreaBytes = 64u << 20;

/// What the host answered (LaneControl::status).
enum class LaneStatus : uint32_t {
  Ok = 0,      ///< the results area holds the results message (resultBytes bytes)
  Failed = 1,  ///< the results area holds an encoded error (wire/error_text.h), resultBytes long
};

/// At offset 0. Written once by the client before the segment is attached by the host.
struct LaneHeader {
  uint8_t magic[8];       // kLaneMagic
  uint32_t version;       // kLaneVersion
  uint32_t areasOffset;   // kLaneAreasOffset
  uint32_t paramBytes;    // size of the parameters area (multiple of 8)
  uint32_t resultBytes;   // size of the results area (multiple of 8), right after the params
  uint32_t creatorPid;    // informational
  uint8_t creatorPointerBits;  // informational: 32 or 64
  uint8_t reserved[35];   // zero
};
static_assert(sizeof(LaneHeader) == 64, "lane ABI");
static_assert(offsetof(LaneHeader, magic) == 0, "lane ABI");
static_assert(offsetof(LaneHeader, version) == 8, "lane ABI");
static_assert(offsetof(LaneHeader, areasOffset) == 12, "lane ABI");
static_assert(offsetof(LaneHeader, paramBytes) == 16, "lane ABI");
static_assert(offsetof(LaneHeader, resultBytes) == 20, "lane ABI");
static_assert(offsetof(LaneHeader, creatorPid) == 24, "lane ABI");
static_assert(offsetof(LaneHeader, creatorPointerBits) == 28, "lane ABI");
static_assert(offsetof(LaneHeader, reserved) == 29, "lane ABI");

/// Each cache line is written by one side only, so a call moves each line across once.
struct alignas(64) LaneControl {
  // The client's line.
  std::atomic<uint32_t> request;        // sequence number of the last call posted (futex word)
  std::atomic<uint32_t> clientParked;   // 1: the client sleeps on `reply`
  uint32_t binding;                     // the host's lane id of the bound library
  uint16_t method;                      // method index in the bound interface
  uint16_t reserved0;                   // zero
  uint32_t paramWords;                  // 8-byte words of params in the parameters area
  uint8_t clientPad[44];
  // The host's line.
  alignas(64) std::atomic<uint32_t> reply;  // sequence number of the last call answered
  std::atomic<uint32_t> hostParked;         // 1: the host's lane thread sleeps on `request`
  uint32_t status;                          // LaneStatus of the answer
  uint32_t resultBytes;                     // bytes of the answer in the results area
  uint8_t hostPad[48];
};
static_assert(std::atomic<uint32_t>::is_always_lock_free, "lane futex words need lock-free atomics");
static_assert(sizeof(std::atomic<uint32_t>) == 4, "lane ABI");
static_assert(sizeof(LaneControl) == 128, "lane ABI");
static_assert(alignof(LaneControl) == 64, "lane ABI");
static_assert(offsetof(LaneControl, request) == 0, "lane ABI");
static_assert(offsetof(LaneControl, clientParked) == 4, "lane ABI");
static_assert(offsetof(LaneControl, binding) == 8, "lane ABI");
static_assert(offsetof(LaneControl, method) == 12, "lane ABI");
static_assert(offsetof(LaneControl, reserved0) == 14, "lane ABI");
static_assert(offsetof(LaneControl, paramWords) == 16, "lane ABI");
static_assert(offsetof(LaneControl, reply) == 64, "lane ABI");
static_assert(offsetof(LaneControl, hostParked) == 68, "lane ABI");
static_assert(offsetof(LaneControl, status) == 72, "lane ABI");
static_assert(offsetof(LaneControl, resultBytes) == 76, "lane ABI");

/// The start of the slot: header, then the controls on their own cache lines.
struct LaneSlotLayout {
  LaneHeader header;
  uint8_t pad[64];  // zero: the controls start on the second 128-byte boundary
  LaneControl control;
};
static_assert(sizeof(LaneSlotLayout) == 256, "lane ABI");
static_assert(offsetof(LaneSlotLayout, header) == 0, "lane ABI");
static_assert(offsetof(LaneSlotLayout, control) == 128, "lane ABI");
static_assert(sizeof(LaneSlotLayout) <= kLaneAreasOffset, "the controls must fit before the areas");

/// Bytes a slot with these areas needs (the data area of its bulk segment).
inline constexpr uint64_t laneSlotBytes(uint32_t paramBytes, uint32_t resultBytes) {
  return uint64_t{kLaneAreasOffset} + paramBytes + resultBytes;
}

}  // namespace bitbridge
