// The set-up messages of the shared-memory channel, on its control channel: the client offers
// the segment and its doorbells, the host answers. Linux (the private AF_UNIX socket,
// common/transport/shm_stream-posix.cpp): the three descriptors travel with the offer
// (SCM_RIGHTS). Windows (the private named pipe, shm_stream-win32.cpp): the offer is followed
// by WireShmHandles, the values of the client's own handles, which the host duplicates out of
// the client process.
//
// Cross-bitness wire ABI: fixed-width fields, explicit padding, little-endian; sizes and offsets
// asserted here in every build and checked at run time by tests/unit/wire_layout_test.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bitbridge {

inline constexpr uint8_t kOfferMagic[8] = {'B', 'B', 's', 'h', 'm', 'O', 'f', 'r'};
inline constexpr uint8_t kAnswerMagic[8] = {'B', 'B', 's', 'h', 'm', 'A', 'n', 's'};
inline constexpr uint32_t kOfferDescriptors = 3;  // segment, client's doorbell, host's doorbell
// (Windows: the number of handle values in WireShmHandles.)
enum : uint32_t { kAnswerAccepted = 0, kAnswerRefused = 1 };

struct WireShmOffer {
  uint8_t magic[8];           // kOfferMagic
  uint32_t version;           // kShmVersion
  uint32_t ringCapacity;      // as in the segment header
  uint64_t segmentBytes;      // as in the segment header
  uint32_t descriptorCount;   // kOfferDescriptors, attached to these bytes with SCM_RIGHTS
                              // (Windows: sent as WireShmHandles right after these bytes)
  uint32_t reserved;          // zero
};
static_assert(sizeof(WireShmOffer) == 32, "WireShmOffer is wire ABI");
static_assert(offsetof(WireShmOffer, version) == 8, "WireShmOffer is wire ABI");
static_assert(offsetof(WireShmOffer, ringCapacity) == 12, "WireShmOffer is wire ABI");
static_assert(offsetof(WireShmOffer, segmentBytes) == 16, "WireShmOffer is wire ABI");
static_assert(offsetof(WireShmOffer, descriptorCount) == 24, "WireShmOffer is wire ABI");

/// Windows only, right after WireShmOffer on the pipe: the client's handles, as values in the
/// client process (a HANDLE is 32 bits significant in both bitnesses: zero-extended here).
/// Names nothing in the host: the host duplicates each out of the client process
/// (DuplicateHandle(clientProcess, value, ...)) and validates what it gets.
struct WireShmHandles {
  uint64_t section;     // the segment (a section of shmSegmentBytes(ringCapacity) bytes)
  uint64_t clientBell;  // the client's doorbell (auto-reset event), rung by the host
  uint64_t hostBell;    // the host's doorbell, rung by the client
};
static_assert(sizeof(WireShmHandles) == 24, "WireShmHandles is wire ABI");
static_assert(offsetof(WireShmHandles, clientBell) == 8, "WireShmHandles is wire ABI");
static_assert(offsetof(WireShmHandles, hostBell) == 16, "WireShmHandles is wire ABI");

struct WireShmAnswer {
  uint8_t magic[8];  // kAnswerMagic
  uint32_t status;   // kAnswerAccepted / kAnswerRefused (the host logs why)
  uint32_t reserved;
};
static_assert(sizeof(WireShmAnswer) == 16, "WireShmAnswer is wire ABI");
static_assert(offsetof(WireShmAnswer, status) == 8, "WireShmAnswer is wire ABI");

}  // namespace bitbridge
