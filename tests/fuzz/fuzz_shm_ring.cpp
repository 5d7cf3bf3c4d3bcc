// Fuzz target: the shared-memory channel's segment as a hostile peer leaves it (shm_ring.h):
// ShmSegment::open on the peer's memfd (header, size, seals), then the host's consumer of the
// client->host ring and producer of the host->client ring while the peer rewrites the counters,
// flags and data under them.
//
// Input layout (little-endian; missing bytes read as zero):
//   [0, 64)    the segment header as the peer wrote it (ShmSegmentHeader)
//   [64, 72)   the memfd's size (taken modulo 1 MiB + 4 KiB, so that capacities up to 512 KiB
//              can be valid and no input maps much memory)
//   [72]       bit 0: leave the memfd unsealed (open must refuse it)
//   [73, ...)  operations of 9 bytes each: op, then a 64-bit value:
//                0 the peer sets ring 0's head (what the host may read) to the value
//                1 the peer sets ring 1's tail (what the host may overwrite) to the value
//                2 the host reads up to value % 64 KiB bytes from ring 0
//                3 the host writes value % 64 KiB bytes into ring 1
//                4 the peer sets the flags (parked/closed) of both rings from the value's bits
//                5 the host asks available() and space()
// A malformed counter must be reported as a kj::Exception (malformed-peer); the counts the
// host's views return must stay within what was asked and what the ring holds, and their
// positions must never go backwards. Anything else (a crash, an access outside the mapping, a
// broken invariant: abort) is a finding.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <kj/exception.h>

#include "bitbridge/error.h"
#include "common/transport/shm_ring.h"

namespace {

using namespace bitbridge;

uint64_t u64At(const uint8_t* input, size_t size, size_t offset) {
  uint8_t bytes[8] = {};
  if (offset < size) std::memcpy(bytes, input + offset, size - offset < 8 ? size - offset : 8);
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

[[noreturn]] void violated(const char* what, uint64_t a, uint64_t b) {
  std::fprintf(stderr, "fuzz_shm_ring: %s (%llu, %llu)\n", what, static_cast<unsigned long long>(a),
               static_cast<unsigned long long>(b));
  std::abort();
}

void run(const uint8_t* input, size_t size) {
  kj::AutoCloseFd fd(::memfd_create("fuzz-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd.get() < 0) return;
  uint64_t fileBytes = u64At(input, size, 64) % ((1u << 20) + kShmDataOffset + 1);
  if (::ftruncate(fd.get(), static_cast<off_t>(fileBytes)) != 0) return;
  uint8_t header[64] = {};
  std::memcpy(header, input, size < 64 ? size : 64);
  if (fileBytes > 0 &&
      ::pwrite(fd.get(), header, fileBytes < 64 ? fileBytes : 64, 0) < 0) {
    return;
  }
  bool unsealed = size > 72 && (input[72] & 1) != 0;
  if (!unsealed) ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);

  ShmSegment segment = ShmSegment::open(kj::mv(fd));  // throws for a bad segment
  if (unsealed) violated("an unsealed segment was accepted", 0, 0);
  uint32_t capacity = segment.ringCapacity();
  ShmRingConsumer consumer(segment.control(kShmClientToHost), segment.data(kShmClientToHost),
                           capacity);
  ShmRingProducer producer(segment.control(kShmHostToClient), segment.data(kShmHostToClient),
                           capacity);
  std::vector<uint8_t> buffer(64 << 10);
  for (size_t at = 73; at + 9 <= size; at += 9) {
    uint8_t op = input[at];
    uint64_t value = u64At(input, size, at + 1);
    switch (op % 6) {
      case 0: segment.control(kShmClientToHost).head.store(value); break;
      case 1: segment.control(kShmHostToClient).tail.store(value); break;
      case 2: {
        size_t want = value % buffer.size();
        uint64_t before = consumer.position();
        size_t got = consumer.read(buffer.data(), want);
        if (got > want || got > capacity) violated("read more than asked or held", got, want);
        if (consumer.position() != before + got) violated("tail moved wrongly", before, got);
        break;
      }
      case 3: {
        size_t want = value % buffer.size();
        uint64_t before = producer.position();
        size_t put = producer.write(buffer.data(), want);
        if (put > want || put > capacity) violated("wrote more than asked or fits", put, want);
        if (producer.position() != before + put) violated("head moved wrongly", before, put);
        break;
      }
      case 4:
        for (unsigned ring = 0; ring < kShmRingCount; ++ring) {
          auto& control = segment.control(ring);
          control.writerParked.store(static_cast<uint32_t>(value >> (ring * 4)) & 1);
          control.readerParked.store(static_cast<uint32_t>(value >> (ring * 4 + 1)) & 1);
          control.writerClosed.store(static_cast<uint32_t>(value >> (ring * 4 + 2)) & 1);
          control.readerClosed.store(static_cast<uint32_t>(value >> (ring * 4 + 3)) & 1);
        }
        consumer.takeParkedWriter();
        producer.takeParkedReader();
        break;
      case 5:
        if (consumer.available() > capacity) violated("more available than the ring holds", 0, 0);
        if (producer.space() > capacity) violated("more space than the ring has", 0, 0);
        consumer.maybeData();
        producer.maybeSpace();
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool trace = std::getenv("BITBRIDGE_FUZZ_TRACE") != nullptr;  // how far an input got
  try {
    run(data, size);
    if (trace) std::fprintf(stderr, "fuzz_shm_ring: ran every operation\n");
  } catch (const kj::Exception& e) {
    if (trace) std::fprintf(stderr, "fuzz_shm_ring: refused: %s\n", e.getDescription().cStr());
  } catch (const bitbridge::Error& e) {
    if (trace) std::fprintf(stderr, "fuzz_shm_ring: refused: %s\n", e.what());
  }
  return 0;
}
