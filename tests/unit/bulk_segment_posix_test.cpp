// Shared-memory bulk segments on POSIX: create, open as the peer would, names in /dev/shm,
// truncation, stale names of dead creators (portable checks: bulk_test.cpp).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
  // Not a count: every Runtime made by a test running in parallel (ctest -j) sweeps stale
  // names too, and may have taken this one first. Either way the same function removed it.
  removeStaleBulkNames();
  EXPECT_FALSE(shmNameExists(stale));
  EXPECT_TRUE(shmNameExists(live->name()));
}

}  // namespace
}  // namespace bitbridge
