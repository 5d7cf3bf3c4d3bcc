// Seeds for fuzz_shm_ring (input layout in fuzz_shm_ring.cpp): the header of a real segment
// (ShmSegment::create) with a well-behaved exchange, with corrupt counters, and with each way
// the header can fail validation.
#include <cstring>

#include "common/transport/shm_ring.h"
#include "seeds.h"

namespace bitbridge::fuzz {
namespace {

constexpr uint32_t kCapacity = 4096;

Bytes header(uint32_t capacity = kCapacity) {
  ShmSegmentHeader h{};
  std::memcpy(h.magic, kShmMagic, sizeof h.magic);
  h.version = kShmVersion;
  h.dataOffset = kShmDataOffset;
  h.ringCapacity = capacity;
  h.ringCount = kShmRingCount;
  h.segmentBytes = shmSegmentBytes(capacity);
  h.creatorPid = 4242;
  h.creatorPointerBits = 64;
  Bytes b(73, 0);
  std::memcpy(b.data(), &h, sizeof h);
  put64(b, 64, shmSegmentBytes(capacity));
  return b;
}

void op(Bytes& b, uint8_t code, uint64_t value) {
  size_t at = b.size();
  b.resize(at + 9);
  b[at] = code;
  put64(b, at + 1, value);
}

}  // namespace

Seeds shmRingSeeds() {
  Seeds s;
  {
    Bytes b = header();
    op(b, 0, 100);   // the peer publishes 100 bytes
    op(b, 2, 60);    // the host reads 60, then 40
    op(b, 2, 1000);
    op(b, 3, 3000);  // the host writes 3000
    op(b, 1, 3000);  // the peer takes them
    op(b, 3, 4096);
    op(b, 4, 0xff);
    op(b, 5, 0);
    s["gen-exchange"] = b;
  }
  {
    Bytes b = header();
    op(b, 0, kCapacity + 1);  // more than the ring holds
    op(b, 2, 10);
    s["gen-head-past-capacity"] = b;
  }
  {
    Bytes b = header();
    op(b, 0, 50);
    op(b, 2, 50);
    op(b, 0, 10);  // the head goes backwards
    op(b, 5, 0);
    s["gen-head-backwards"] = b;
  }
  {
    Bytes b = header();
    op(b, 3, 100);
    op(b, 1, 200);  // the tail passes the head
    op(b, 3, 1);
    s["gen-tail-past-head"] = b;
  }
  {
    Bytes b = header();
    b[72] = 1;  // unsealed
    s["gen-unsealed"] = b;
  }
  {
    Bytes b = header();
    b[0] ^= 0xff;
    s["gen-bad-magic"] = b;
  }
  {
    Bytes b = header();
    put32(b, 16, 6000);  // not a power of two
    s["gen-bad-capacity"] = b;
  }
  {
    Bytes b = header();
    put64(b, 64, shmSegmentBytes(kCapacity) - 8);  // the file is shorter than the header says
    s["gen-short-file"] = b;
  }
  {
    Bytes b = header(1u << 18);
    op(b, 0, 1u << 17);
    op(b, 2, 65535);
    s["gen-large-ring"] = b;
  }
  return s;
}

}  // namespace bitbridge::fuzz
