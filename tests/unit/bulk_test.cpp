// Bulk data in one process: the bounds and header checks a receiver applies to peer data, and
// real shared-memory segments (windows, sizes, wire form). Portable: also built for Windows and
// run under Wine. The POSIX-only cases (names in /dev/shm, truncation, a forked peer) are in
// bulk_segment_posix_test.cpp.
#include <cstring>

#include <capnp/message.h>
#include <gtest/gtest.h>

#include "bitbridge/bulk.h"
#include "common/bulk/bulk_segment.h"
#include "components/probe_pattern.h"
#include "support/test_support.h"
#include "wire/bulk_layout.h"

namespace bitbridge {
namespace {

using test::expectError;

constexpr uint64_t k4G = uint64_t{1} << 32;

TEST(BulkRange, AcceptsRangesInsideAndAtTheEdges) {
  EXPECT_NO_THROW(checkBulkRange(0, 100, 100, "r"));
  EXPECT_NO_THROW(checkBulkRange(100, 0, 100, "r"));  // empty range at the end
  EXPECT_NO_THROW(checkBulkRange(0, 0, 0, "r"));
  EXPECT_NO_THROW(checkBulkRange(k4G, k4G, 2 * k4G, "r"));  // beyond 32 bits
  EXPECT_NO_THROW(checkBulkRange(UINT64_MAX, 0, UINT64_MAX, "r"));
}

TEST(BulkRange, RejectsRangesOutsideIncludingOverflow) {
  expectError(ErrorKind::MalformedPeer, [] { checkBulkRange(0, 101, 100, "r"); });
  expectError(ErrorKind::MalformedPeer, [] { checkBulkRange(101, 0, 100, "r"); });
  // offset + length wraps around 2^64 to a small number: must still be refused.
  expectError(ErrorKind::MalformedPeer, [] { checkBulkRange(1, UINT64_MAX, 100, "r"); });
  expectError(ErrorKind::MalformedPeer, [] { checkBulkRange(UINT64_MAX, 2, 100, "r"); });
  // Near 2^32: a 32-bit size_t computation would wrap here.
  expectError(ErrorKind::MalformedPeer, [] { checkBulkRange(k4G - 1, 2, k4G, "r"); });
  Error e = expectError(ErrorKind::MalformedPeer, [] { checkBulkRange(k4G, 1, k4G, "my ref"); });
  EXPECT_CONTAINS(e.message(), "my ref");
  EXPECT_CONTAINS(e.message(), std::to_string(k4G));
}

BulkSegmentHeader goodHeader(uint64_t dataBytes) {
  BulkSegmentHeader h{};
  std::memcpy(h.magic, kBulkMagic, sizeof(kBulkMagic));
  h.version = kBulkLayoutVersion;
  h.headerBytes = kBulkHeaderBytes;
  h.segmentId = 42;
  h.dataBytes = dataBytes;
  return h;
}

TEST(BulkHeader, Validation) {
  EXPECT_NO_THROW(validateBulkHeader(goodHeader(100), kBulkHeaderBytes + 100, "s"));
  auto refused = [](BulkSegmentHeader h, uint64_t file) {
    return expectError(ErrorKind::MalformedPeer, [&] { validateBulkHeader(h, file, "seg"); });
  };
  BulkSegmentHeader h = goodHeader(100);
  h.magic[0] = 'X';
  refused(h, kBulkHeaderBytes + 100);
  h = goodHeader(100);
  h.version = 2;
  refused(h, kBulkHeaderBytes + 100);
  h = goodHeader(100);
  h.headerBytes = 64;
  refused(h, kBulkHeaderBytes + 100);
  h = goodHeader(100);
  h.segmentId = 0;
  refused(h, kBulkHeaderBytes + 100);
  EXPECT_CONTAINS(refused(goodHeader(101), kBulkHeaderBytes + 100).message(), "truncated");
  refused(goodHeader(0), 100);                                       // file smaller than header
  refused(goodHeader(UINT64_MAX - 10), kBulkHeaderBytes + 100);      // would wrap
}

TEST(BulkSegment, WindowsCoverTheRangeInOrder) {
  BulkOptions small;
  small.windowBytes = 64 << 10;
  auto segment = BulkSegment::create(1 << 20, small);
  std::vector<std::pair<uint64_t, size_t>> seen;
  segment->forEachWindow(1000, 200000, 0, [&](BulkView& view, uint64_t offset) {
    seen.emplace_back(offset, view.size());
    probe::probeFill(view.bytes(), offset, 3);
  }, "test");
  ASSERT_EQ(seen.size(), 4u);  // 64 KiB windows over 200000 bytes
  uint64_t next = 0;
  for (auto [offset, size] : seen) {
    EXPECT_EQ(offset, next);
    next += size;
  }
  EXPECT_EQ(next, 200000u);
  std::vector<kj::byte> expected(200000);
  probe::probeFill(kj::arrayPtr(expected.data(), expected.size()), 0, 3);
  segment->forEachWindow(1000, 200000, 50000, [&](BulkView& view, uint64_t offset) {
    EXPECT_EQ(std::memcmp(view.data(), expected.data() + offset, view.size()), 0) << offset;
  }, "test");
}

TEST(BulkSegment, ViewsLargerThanTheWindowNeedWindowsIn32BitProcesses) {
  BulkOptions small;
  small.windowBytes = 64 << 10;
  auto segment = BulkSegment::create(1 << 20, small);
  if (sizeof(void*) == 4) {
    Error e = expectError(ErrorKind::BadConfiguration, [&] { segment->view(0, 1 << 20, "big"); });
    EXPECT_CONTAINS(e.hint(), "forEachWindow");
  } else {
    EXPECT_EQ(segment->view(0, 1 << 20, "big").size(), size_t{1} << 20);  // 64-bit: whole
  }
}

TEST(BulkSegment, AbsurdSizesAreRefusedClearly) {
  expectError(ErrorKind::BadConfiguration, [] { BulkSegment::create(uint64_t{1} << 63, {}); });
}

TEST(BulkWire, RoundTrip) {
  capnp::MallocMessageBuilder message;
  auto wire = message.initRoot<proto::BulkRef>();
  toWire(BulkRef{1, uint64_t{5} << 32, 7}, wire);
  BulkRef back = fromWire(wire.asReader());
  EXPECT_EQ(back.segment, 1u);
  EXPECT_EQ(back.offset, uint64_t{5} << 32);
  EXPECT_EQ(back.length, 7u);
}

}  // namespace
}  // namespace bitbridge
