// The layout of the shared-memory channel's segment (common/transport/shm_ring.h): two
// single-producer/single-consumer byte rings, one per direction, behind one header page.
//
// Cross-bitness ABI: a 64-bit client and a 32-bit host (or the reverse) map the same bytes, so
// the layout below has fixed-width fields only (no pointers, size_t or long), explicit padding,
// and every size and offset is static_assert'ed; this header is compiled into every build and
// tests/unit/wire_layout_test.cpp checks it at run time in all four.
// Counters are 64-bit atomics: lock-free in both bitnesses (on i686 GCC uses 8-byte x87/SSE
// loads and stores and cmpxchg8b, no libatomic lock), 8-byte aligned (asserted below; the
// segment itself is page-aligned). Little-endian is assumed, as in hello.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace bitbridge {

inline constexpr uint8_t kShmMagic[8] = {'B', 'B', 's', 'h', 'm', 'R', 'n', 'g'};
inline constexpr uint32_t kShmVersion = 1;
/// The data of ring 0 starts here; the header and the ring controls fit in the first page.
inline constexpr uint32_t kShmDataOffset = 4096;
inline constexpr uint32_t kShmDefaultRingCapacity = 1u << 20;  // 1 MiB per direction
inline constexpr uint32_t kShmMinRingCapacity = 4096;
inline constexpr uint32_t kShmMaxRingCapacity = 1u << 28;  // 256 MiB: the 32-bit peer maps it
inline constexpr uint32_t kShmRingCount = 2;
/// Ring 0 carries client -> host bytes, ring 1 host -> client.
inline constexpr unsigned kShmClientToHost = 0;
inline constexpr unsigned kShmHostToClient = 1;

/// At offset 0 of the segment. Written once by the creator (the client) before it is shared.
struct ShmSegmentHeader {
  uint8_t magic[8];            // kShmMagic
  uint32_t version;            // kShmVersion
  uint32_t dataOffset;         // kShmDataOffset
  uint32_t ringCapacity;       // bytes per ring; a power of two
  uint32_t ringCount;          // kShmRingCount
  uint64_t segmentBytes;       // dataOffset + ringCount * ringCapacity == the memfd's size
  uint32_t creatorPid;         // informational
  uint8_t creatorPointerBits;  // informational: 32 or 64
  uint8_t reserved[27];        // zero
};
static_assert(sizeof(ShmSegmentHeader) == 64, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, magic) == 0, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, version) == 8, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, dataOffset) == 12, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, ringCapacity) == 16, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, ringCount) == 20, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, segmentBytes) == 24, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, creatorPid) == 32, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, creatorPointerBits) == 36, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, reserved) == 37, "shared-memory ABI");

/// The control block of one ring. Each cache line is written by one side only (apart from the
/// peer clearing a "parked" flag when it wakes that side), so the two sides do not bounce a
/// line on every counter update.
struct alignas(64) ShmRingControl {
  // Producer's line.
  std::atomic<uint64_t> head;          // bytes ever written (monotonic)
  std::atomic<uint32_t> writerParked;  // 1: the producer sleeps on its doorbell waiting for space
  std::atomic<uint32_t> writerClosed;  // 1: no more bytes will come (shutdownWrite / gone)
  uint8_t producerPad[48];
  // Consumer's line.
  alignas(64) std::atomic<uint64_t> tail;  // bytes ever read (monotonic, <= head)
  std::atomic<uint32_t> readerParked;      // 1: the consumer sleeps on its doorbell for data
  std::atomic<uint32_t> readerClosed;      // 1: the consumer will read no more (abortRead)
  uint8_t consumerPad[48];
};
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "shared-memory counters need lock-free 8-byte atomics in every bitness");
static_assert(std::atomic<uint32_t>::is_always_lock_free,
              "shared-memory flags need lock-free atomics");
static_assert(sizeof(std::atomic<uint64_t>) == 8 && alignof(std::atomic<uint64_t>) == 8,
              "8-byte atomics must be 8-byte aligned in the 32-bit build too");
static_assert(sizeof(std::atomic<uint32_t>) == 4, "shared-memory ABI");
static_assert(sizeof(ShmRingControl) == 128, "shared-memory ABI");
static_assert(alignof(ShmRingControl) == 64, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, head) == 0, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, writerParked) == 8, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, writerClosed) == 12, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, tail) == 64, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, readerParked) == 72, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, readerClosed) == 76, "shared-memory ABI");

/// The first page of the segment; ring i's data is at kShmDataOffset + i * ringCapacity.
struct ShmSegmentLayout {
  ShmSegmentHeader header;
  ShmRingControl rings[kShmRingCount];
};
static_assert(sizeof(ShmSegmentLayout) == 320, "shared-memory ABI");
static_assert(offsetof(ShmSegmentLayout, header) == 0, "shared-memory ABI");
static_assert(offsetof(ShmSegmentLayout, rings) == 64, "shared-memory ABI");
static_assert(sizeof(ShmSegmentLayout) <= kShmDataOffset, "the controls must fit before the data");

/// Size of a segment whose rings hold `ringCapacity` bytes each.
inline constexpr uint64_t shmSegmentBytes(uint32_t ringCapacity) {
  return uint64_t{kShmDataOffset} + uint64_t{kShmRingCount} * ringCapacity;
}

}  // namespace bitbridge
