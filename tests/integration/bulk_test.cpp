// Bulk data across real processes of both bitnesses: the client writes in place, the host's
// component reads and writes the same memory; references are checked by the host; nothing is
// left in /dev/shm, also when either side is killed.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "components/probe_pattern.h"
#include "host_test_support.h"
#include "probe.capnp.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

std::vector<std::string> bitbridgeShmNames(const std::string& pidFilter = "") {
  std::vector<std::string> names;
  DIR* dir = ::opendir("/dev/shm");
  if (dir == nullptr) return names;
  std::string prefix = "bitbridge-" + pidFilter;
  while (dirent* entry = ::readdir(dir)) {
    if (std::string(entry->d_name).rfind(prefix, 0) == 0) names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  return names;
}

std::string ours() { return std::to_string(::getpid()) + "-"; }

class BulkAcrossProcesses : public ::testing::TestWithParam<Arch> {
 protected:
  void SetUp() override {
    host = std::make_unique<Host>(Host::spawn(runtime, options()));
    probe = std::make_unique<probe::Probe::Client>(host->activate<probe::Probe>("probe"));
  }
  void TearDown() override {
    probe.reset();
    host.reset();
    EXPECT_TRUE(bitbridgeShmNames(ours()).empty()) << "a segment name was left behind";
  }
  HostOptions options() {
    HostOptions o;
    o.component = testComponent("probe_component", GetParam());
    return o;
  }
  uint64_t hostChecksum(const BulkRef& ref, uint64_t window = 0, uint64_t* windows = nullptr) {
    auto request = probe->checksumRequest();
    toWire(ref, request.initData());
    request.setWindow(window);
    auto response = host->wait(request.send());
    if (windows) *windows = response.getWindows();
    return response.getSum();
  }
  Runtime runtime;
  std::unique_ptr<Host> host;
  std::unique_ptr<probe::Probe::Client> probe;
};

TEST_P(BulkAcrossProcesses, ClientWritesHostReadsInPlace) {
  BulkBuffer buffer = host->allocate(64 << 20);
  EXPECT_TRUE(bitbridgeShmNames(ours()).empty()) << "the name must be gone once both have it";
  uint64_t expected = 0;
  buffer.forEachWindow(0, buffer.size(), 0, [&](BulkView& view, uint64_t offset) {
    probe::probeFill(view.bytes(), offset, 11);
    expected += probe::probeChecksum(view.bytes(), offset);
  });
  EXPECT_EQ(hostChecksum(buffer.ref()), expected);
  // A sub-range, with small windows in the host: same bytes, same positions.
  BulkRef middle = buffer.ref(12345, 1 << 20);
  uint64_t windows = 0;
  uint64_t sub = hostChecksum(middle, 100000, &windows);
  EXPECT_EQ(windows, 11u);
  BulkView local = buffer.view(12345, 1 << 20);
  EXPECT_EQ(sub, probe::probeChecksum(local.bytes(), 0));
}

TEST_P(BulkAcrossProcesses, HostWritesClientSeesIt) {
  BulkBuffer buffer = host->allocate(3 << 20);
  auto fill = probe->fillRequest();
  toWire(buffer.ref(4096, 2 << 20), fill.initData());
  fill.setSeed(99);
  host->wait(fill.send());
  BulkView view = buffer.view();
  EXPECT_EQ(view.data()[0], 0);  // outside the range: untouched
  std::vector<kj::byte> expected(2 << 20);
  probe::probeFill(kj::arrayPtr(expected.data(), expected.size()), 0, 99);
  EXPECT_EQ(std::memcmp(view.data() + 4096, expected.data(), expected.size()), 0);
}

TEST_P(BulkAcrossProcesses, OutOfRangeAndUnknownReferencesAreRefusedAndHostKeepsServing) {
  BulkBuffer buffer = host->allocate(1 << 20);
  Error tooLong = expectError(ErrorKind::MalformedPeer, [&] {
    hostChecksum(BulkRef{buffer.segmentId(), 1, 1 << 20});
  });
  EXPECT_CONTAINS(tooLong.message(), "outside its segment");
  expectError(ErrorKind::MalformedPeer, [&] {
    hostChecksum(BulkRef{buffer.segmentId(), 1, UINT64_MAX});  // offset + length wraps
  });
  Error unknown = expectError(ErrorKind::MalformedPeer, [&] {
    hostChecksum(BulkRef{buffer.segmentId() ^ 1, 0, 1});
  });
  EXPECT_CONTAINS(unknown.message(), "not attached");
  EXPECT_EQ(hostChecksum(buffer.ref(0, 0)), 0u);  // empty range: valid
  EXPECT_EQ(host->wait(probe->whoamiRequest().send()).getPid(), host->pid());
  // The client checks its own references too.
  expectError(ErrorKind::MalformedPeer, [&] { buffer.ref(1 << 20, 1); });
}

TEST_P(BulkAcrossProcesses, DetachedSegmentIsForgottenByTheHost) {
  BulkRef stale;
  {
    BulkBuffer buffer = host->allocate(4096);
    stale = buffer.ref();
  }  // detach is sent with the next message
  expectError(ErrorKind::MalformedPeer, [&] { hostChecksum(stale); });
}

TEST_P(BulkAcrossProcesses, HostKilledWithBuffersAttachedLeavesNothing) {
  BulkBuffer a = host->allocate(8 << 20);
  BulkBuffer b = host->allocate(8 << 20);
  ASSERT_EQ(::kill(static_cast<pid_t>(host->pid()), SIGKILL), 0);
  expectError(ErrorKind::Disconnected, [&] { hostChecksum(a.ref()); });
  EXPECT_TRUE(bitbridgeShmNames(ours()).empty());
  EXPECT_TRUE(bitbridgeShmNames(std::to_string(host->pid()) + "-").empty());
  // The client's own mapping stays usable after the host died.
  a.view().data()[0] = 1;
}

TEST_P(BulkAcrossProcesses, KilledClientLeavesNoHostAndNoSegment) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  HostOptions childOptions = options();
  pid_t client = ::fork();
  if (client == 0) {
    // A client process that allocates, then is killed with -9 while holding the buffer. It
    // runs on a new thread: this thread still has the parent's (forked) event loop.
    ::close(ready[0]);
    std::thread([&] {
      Runtime childRuntime;
      Host childHost = Host::spawn(childRuntime, childOptions);
      BulkBuffer buffer = childHost.allocate(16 << 20);
      uint32_t hostPid = childHost.pid();
      (void)!::write(ready[1], &hostPid, sizeof(hostPid));
      ::pause();
    }).join();
    ::_exit(0);
  }
  ::close(ready[1]);
  uint32_t hostPid = 0;
  ASSERT_EQ(::read(ready[0], &hostPid, sizeof(hostPid)), static_cast<ssize_t>(sizeof(hostPid)));
  ::close(ready[0]);
  ASSERT_EQ(::kill(client, SIGKILL), 0);
  ::waitpid(client, nullptr, 0);
  // The orphaned host sees EOF on its channel and exits.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (test::processAlive(static_cast<int>(hostPid)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(test::processAlive(static_cast<int>(hostPid))) << "host outlived its client";
  EXPECT_TRUE(bitbridgeShmNames(std::to_string(client) + "-").empty());
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, BulkAcrossProcesses, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

// A 32-bit client hands more than 4 GiB to a 64-bit host: it writes through moving windows
// (it cannot map the whole buffer), the host maps it whole and checks every byte.
TEST(BulkBeyond4GiB, ThirtyTwoBitClientFillsAndHost64ChecksMoreThan4GiB) {
  Runtime runtime;
  HostOptions options;
  options.component = testComponent("probe_component", Arch::x86_64);
  Host host = Host::spawn(runtime, options);
  const uint64_t size = (uint64_t{9} << 29);  // 4.5 GiB
  BulkBuffer buffer = host.allocate(size);
  if (sizeof(void*) == 4) {
    expectError(ErrorKind::BadConfiguration, [&] { buffer.view(); });  // cannot map it whole
  }
  uint64_t expected = 0;
  buffer.forEachWindow(0, size, 0, [&](BulkView& view, uint64_t offset) {
    probe::probeFill(view.bytes(), offset, 5);
    expected += probe::probeChecksum(view.bytes(), offset);
  });
  auto probe = host.activate<probe::Probe>("probe");
  auto whole = probe.viewWholeRequest();  // one mapping of all 4.5 GiB in the 64-bit host
  toWire(buffer.ref(), whole.initData());
  EXPECT_EQ(host.wait(whole.send()).getFirstByte(), probe::probeByte(0, 5));
  auto checksum = probe.checksumRequest();
  toWire(buffer.ref(), checksum.initData());
  checksum.setWindow(0);
  EXPECT_EQ(host.wait(checksum.send()).getSum(), expected);
}

}  // namespace
}  // namespace bitbridge
