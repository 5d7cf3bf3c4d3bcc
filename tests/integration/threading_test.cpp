// The threading model with real hosts of both bitnesses: work a component offloads runs off the
// RPC thread, serialized per component unless its class is kClassConcurrent, and the host stays
// responsive (other calls, heartbeat, hang detection) while it runs.
#include <chrono>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "probe.capnp.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::testComponent;

class Threading : public ::testing::TestWithParam<Arch> {
 protected:
  Host spawnProbe(HostOptions options = {}) {
    options.component = testComponent("probe_component", GetParam());
    return Host::spawn(runtime, options);
  }
  Runtime runtime;
};

TEST_P(Threading, OffloadedWorkLeavesTheHostAnswering) {
  Host host = spawnProbe();
  auto busy = host.activate<probe::Probe>("probe");
  auto other = host.activate<probe::Probe>("probe");
  auto slow = busy.sleepOffThreadRequest();
  slow.setMilliseconds(1000);
  auto pending = slow.send();
  auto start = steady_clock::now();
  EXPECT_EQ(host.wait(other.whoamiRequest().send()).getPid(), host.pid());
  EXPECT_LT(steady_clock::now() - start, milliseconds(500)) << "the RPC thread was blocked";
  uint32_t thread = host.wait(kj::mv(pending)).getThreadId();
  EXPECT_NE(thread, host.pid()) << "offloaded work ran on the RPC thread";
}

TEST_P(Threading, SerializedClassRunsOffloadedWorkOneAtATimeOnOneThread) {
  Host host = spawnProbe();
  auto first = host.activate<probe::Probe>("probe");
  auto second = host.activate<probe::Probe>("probe");
  auto a = first.sleepOffThreadRequest();
  a.setMilliseconds(300);
  auto b = second.sleepOffThreadRequest();
  b.setMilliseconds(300);
  auto start = steady_clock::now();
  auto pa = a.send();
  auto pb = b.send();
  uint32_t ta = host.wait(kj::mv(pa)).getThreadId();
  uint32_t tb = host.wait(kj::mv(pb)).getThreadId();
  EXPECT_GE(steady_clock::now() - start, milliseconds(590));
  EXPECT_EQ(ta, tb) << "one component, one thread";
}

TEST_P(Threading, ConcurrentClassOverlapsItsOffloadedWork) {
  Host host = spawnProbe();
  auto first = host.activate<probe::Probe>("probe-alias");  // registered kClassConcurrent
  auto second = host.activate<probe::Probe>("probe-alias");
  auto a = first.sleepOffThreadRequest();
  a.setMilliseconds(400);
  auto b = second.sleepOffThreadRequest();
  b.setMilliseconds(400);
  auto start = steady_clock::now();
  auto pa = a.send();
  auto pb = b.send();
  uint32_t ta = host.wait(kj::mv(pa)).getThreadId();
  uint32_t tb = host.wait(kj::mv(pb)).getThreadId();
  EXPECT_LT(steady_clock::now() - start, milliseconds(750)) << "the two calls did not overlap";
  EXPECT_NE(ta, tb);
}

TEST_P(Threading, OffloadedLongCallIsNotAHang) {
  // With a hang limit, a call blocking the RPC thread gets the host killed (supervision_test);
  // the same call offloaded keeps the loop turning, so it completes.
  HostOptions options;
  options.heartbeatInterval = milliseconds(100);
  options.hangTimeout = milliseconds(300);
  Host host = spawnProbe(options);
  auto probe = host.activate<probe::Probe>("probe");
  auto slow = probe.sleepOffThreadRequest();
  slow.setMilliseconds(1000);
  host.wait(slow.send());
  EXPECT_TRUE(host.running());
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, Threading, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
