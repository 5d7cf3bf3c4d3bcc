// Seeds for fuzz_bulk_checks (input layout in fuzz_bulk_checks.cpp): a header that passes
// validation with references at every edge of its data area, and one header per way of
// failing validation.
#include <cstdint>
#include <cstring>

#include "seeds.h"
#include "wire/bulk_layout.h"

namespace bitbridge::fuzz {
namespace {

constexpr uint64_t kMax = UINT64_MAX;

struct Case {
  uint64_t dataBytes = 1 << 20;
  uint64_t fileBytes = kBulkHeaderBytes + (1 << 20);
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t windowBytes = 0;
  uint64_t defaultWindow = 64 << 10;
};

Bytes input(const Case& c, void (*corrupt)(BulkSegmentHeader&) = nullptr) {
  BulkSegmentHeader header{};
  std::memcpy(header.magic, kBulkMagic, sizeof kBulkMagic);
  header.version = kBulkLayoutVersion;
  header.headerBytes = kBulkHeaderBytes;
  header.segmentId = 0x1122334455667788ull;
  header.dataBytes = c.dataBytes;
  header.creatorPid = 4242;
  if (corrupt) corrupt(header);
  Bytes b(104, 0);
  std::memcpy(b.data(), &header, sizeof header);
  put64(b, 64, c.fileBytes);
  put64(b, 72, c.offset);
  put64(b, 80, c.length);
  put64(b, 88, c.windowBytes);
  put64(b, 96, c.defaultWindow);
  return b;
}

Case range(uint64_t offset, uint64_t length) {
  Case c;
  c.offset = offset;
  c.length = length;
  return c;
}

}  // namespace

Seeds bulkChecksSeeds() {
  const uint64_t size = Case{}.dataBytes;
  Seeds s;
  s["gen-whole"] = input(range(0, size));
  s["gen-empty-at-start"] = input(range(0, 0));
  s["gen-empty-at-end"] = input(range(size, 0));
  s["gen-empty-past-end"] = input(range(size + 1, 0));
  s["gen-last-byte"] = input(range(size - 1, 1));
  s["gen-one-past-end"] = input(range(size, 1));
  s["gen-offset-wraps"] = input(range(kMax, 2));
  s["gen-length-wraps"] = input(range(1, kMax));
  s["gen-both-max"] = input(range(kMax, kMax));
  Case odd = range(3, size - 7);
  odd.windowBytes = 4093;  // windows that do not divide the range
  s["gen-odd-windows"] = input(odd);
  Case one = range(5, 9);
  one.windowBytes = 1;
  s["gen-window-of-one"] = input(one);
  Case zero = range(0, 4096);
  zero.defaultWindow = 0;
  s["gen-zero-window"] = input(zero);
  Case huge;  // header claims the largest data area
  huge.dataBytes = kMax - kBulkHeaderBytes;
  huge.fileBytes = kMax;
  huge.offset = kMax - kBulkHeaderBytes - 1;
  huge.length = 1;
  s["gen-largest-segment"] = input(huge);
  Case overclaim;  // data area larger than the file
  overclaim.dataBytes = kMax;
  s["gen-data-past-file"] = input(overclaim);
  Case tiny;
  tiny.fileBytes = kBulkHeaderBytes - 1;
  s["gen-file-smaller-than-header"] = input(tiny);
  Case exact;
  exact.dataBytes = 0;
  exact.fileBytes = kBulkHeaderBytes;
  s["gen-no-data"] = input(exact);
  s["gen-bad-magic"] = input(Case{}, [](BulkSegmentHeader& h) { h.magic[7] = 2; });
  s["gen-bad-version"] = input(Case{}, [](BulkSegmentHeader& h) { h.version = 2; });
  s["gen-bad-header-size"] = input(Case{}, [](BulkSegmentHeader& h) { h.headerBytes = 8192; });
  s["gen-zero-id"] = input(Case{}, [](BulkSegmentHeader& h) { h.segmentId = 0; });
  Bytes cut = input(Case{});
  cut.resize(30);  // inside the header: the rest reads as zero
  s["gen-short-input"] = cut;
  return s;
}

}  // namespace bitbridge::fuzz
