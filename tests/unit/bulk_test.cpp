// Bulk data in one process: the bounds and header checks a receiver applies to peer data, and
// real shared-memory segments (create, open as the peer would, windows, truncation, names).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <capnp/message.h>
#include <gtest/gtest.h>

#include "bitbridge/bulk.h"
#include "bulk_layout.h"
#include "bulk_segment.h"
#include "components/probe_pattern.h"
#include "support/test_support.h"

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

bool shmNameExists(const std::string& name) {
  struct stat st {};
  return ::stat(("/dev/shm/" + name).c_str(), &st) == 0;
}

TEST(BulkSegment, CreatorAndPeerShareTheSameBytesAndTheNameGoes) {
  auto mine = BulkSegment::create(1 << 20, {});
  struct stat st {};
  ASSERT_EQ(::stat(("/dev/shm/" + mine->name()).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "segments must be private to the user";
  EXPECT_EQ(mine->name().rfind(std::string(kBulkNamePrefix) + std::to_string(::getpid()) + "-", 0), 0u);

  auto peer = BulkSegment::open(mine->name(), {});
  EXPECT_FALSE(shmNameExists(mine->name())) << "opening removes the name";
  EXPECT_EQ(peer->id(), mine->id());
  EXPECT_EQ(peer->dataBytes(), uint64_t{1} << 20);

  BulkView written = mine->view(4096, 8192, "test");
  probe::probeFill(written.bytes(), 4096, 7);
  BulkView read = peer->view(0, 1 << 20, "test");
  EXPECT_EQ(probe::probeChecksum(read.bytes().slice(4096, 4096 + 8192), 4096),
            probe::probeChecksum(written.bytes(), 4096));
  EXPECT_EQ(read.data()[0], 0) << "fresh segments are zeroed";
}

TEST(BulkSegment, PeerCannotOpenTwiceOrGarbageNames) {
  auto mine = BulkSegment::create(4096, {});
  BulkSegment::open(mine->name(), {});
  expectError(ErrorKind::NotFound, [&] { BulkSegment::open(mine->name(), {}); });
  expectError(ErrorKind::MalformedPeer, [] { BulkSegment::open("../../etc/passwd", {}); });
  expectError(ErrorKind::MalformedPeer, [] { BulkSegment::open("not-ours", {}); });
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

TEST(BulkSegment, ShrunkSegmentIsRefusedNotABusError) {
  auto mine = BulkSegment::create(1 << 20, {});
  // The peer's descriptor, taken while the name still exists (what a hostile peer would hold).
  int fd = ::shm_open(("/" + mine->name()).c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  auto peer = BulkSegment::open(mine->name(), {});
  ASSERT_EQ(::ftruncate(fd, 4096), 0);
  Error e = expectError(ErrorKind::MalformedPeer, [&] { peer->view(0, 4096, "after shrink"); });
  EXPECT_CONTAINS(e.message(), "shrank");
  expectError(ErrorKind::MalformedPeer, [&] { mine->view(0, 1, "after shrink"); });
  ::close(fd);
}

TEST(BulkSegment, TruncatedBeforeOpenFailsValidation) {
  auto mine = BulkSegment::create(1 << 20, {});
  int fd = ::shm_open(("/" + mine->name()).c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, kBulkHeaderBytes + 10), 0);
  ::close(fd);
  Error e = expectError(ErrorKind::MalformedPeer, [&] { BulkSegment::open(mine->name(), {}); });
  EXPECT_CONTAINS(e.message(), "truncated");
}

TEST(BulkSegment, StaleNamesOfDeadCreatorsAreRemoved) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a pid that no longer exists
  std::string stale = std::string(kBulkNamePrefix) + std::to_string(child) + "-00000000deadbeef";
  int fd = ::shm_open(("/" + stale).c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto live = BulkSegment::create(4096, {});  // ours: must survive
  EXPECT_GE(removeStaleBulkNames(), 1);
  EXPECT_FALSE(shmNameExists(stale));
  EXPECT_TRUE(shmNameExists(live->name()));
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
