// The set-up messages of the shared-memory channel, on its control socket (the private AF_UNIX
// channel, common/transport/shm_stream-posix.cpp): the client offers the segment and its
// doorbells (SCM_RIGHTS), the host answers.
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
enum : uint32_t { kAnswerAccepted = 0, kAnswerRefused = 1 };

struct WireShmOffer {
  uint8_t magic[8];           // kOfferMagic
  uint32_t version;           // kShmVersion
  uint32_t ringCapacity;      // as in the segment header
  uint64_t segmentBytes;      // as in the segment header
  uint32_t descriptorCount;   // kOfferDescriptors, attached to these bytes with SCM_RIGHTS
  uint32_t reserved;          // zero
};
static_assert(sizeof(WireShmOffer) == 32, "WireShmOffer is wire ABI");
static_assert(offsetof(WireShmOffer, version) == 8, "WireShmOffer is wire ABI");
static_assert(offsetof(WireShmOffer, ringCapacity) == 12, "WireShmOffer is wire ABI");
static_assert(offsetof(WireShmOffer, segmentBytes) == 16, "WireShmOffer is wire ABI");
static_assert(offsetof(WireShmOffer, descriptorCount) == 24, "WireShmOffer is wire ABI");

struct WireShmAnswer {
  uint8_t magic[8];  // kAnswerMagic
  uint32_t status;   // kAnswerAccepted / kAnswerRefused (the host logs why)
  uint32_t reserved;
};
static_assert(sizeof(WireShmAnswer) == 16, "WireShmAnswer is wire ABI");
static_assert(offsetof(WireShmAnswer, status) == 8, "WireShmAnswer is wire ABI");

}  // namespace bitbridge
