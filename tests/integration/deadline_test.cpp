// Deadlines with real hosts of both bitnesses: every timer counts from the moment it is armed,
// even after the thread has been away from the event loop for longer than the limit (each
// test first sleeps off the loop for longer than the limit it then relies on), and an expired
// call deadline can treat the host as hung (OnCallTimeout::KillHost). Every bound asserted here
// is a promise in docs/reliability.md.
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "host_test_support.h"
#include "probe.capnp.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::expectError;
using test::HostCase;
using test::testComponent;

// Keeps this thread off the event loop, as an application does between calls.
void awayFromTheLoop(milliseconds time) { std::this_thread::sleep_for(time); }

milliseconds since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

class Deadlines : public ::testing::TestWithParam<HostCase> {
 protected:
  HostOptions probeOptions() {
    HostOptions options;
    options.component = testComponent("probe_component", GetParam().arch);
    options.transport = GetParam().transport;
    return options;
  }
  Runtime runtime;
};

// A call that keeps the host's RPC thread busy for `ms`.
auto sendSleep(probe::Probe::Client& probe, uint32_t ms) {
  auto request = probe.sleepRequest();
  request.setMilliseconds(ms);
  return request.send();
}

TEST_P(Deadlines, CallDeadlineCountsFromTheCallNotFromTheLastLoopTurn) {
  HostOptions options = probeOptions();
  options.callTimeout = milliseconds(300);
  Host host = Host::spawn(runtime, options);
  auto probe = host.activate<probe::Probe>("probe");
  for (int i = 0; i < 3; ++i) {
    awayFromTheLoop(milliseconds(700));
    EXPECT_NO_THROW(host.wait(probe.whoamiRequest().send())) << "call " << i;
  }
  awayFromTheLoop(milliseconds(700));
  EXPECT_NO_THROW(host.wait(probe.whoamiRequest().send(), milliseconds(300)));
}

TEST_P(Deadlines, AnExpiredDeadlineStillFiresOnTimeAfterIdleness) {
  Host host = Host::spawn(runtime, probeOptions());
  auto probe = host.activate<probe::Probe>("probe");
  awayFromTheLoop(milliseconds(700));
  auto start = steady_clock::now();
  expectError(ErrorKind::TimedOut,
              [&] { host.wait(sendSleep(probe, 3000), milliseconds(300)); });
  EXPECT_GE(since(start), milliseconds(300));
  EXPECT_LT(since(start), milliseconds(1500));
}

TEST_P(Deadlines, StartTimeoutCountsFromTheStart) {
  // The Runtime (and its timer) exists since the fixture was built; then the application
  // does other things for longer than the start timeout before it starts a host.
  awayFromTheLoop(milliseconds(2500));
  HostOptions options = probeOptions();
  options.startTimeout = milliseconds(2000);
  Host host = Host::spawn(runtime, options);
  EXPECT_TRUE(host.running());
}

TEST_P(Deadlines, RestartBackoffIsWaitedInFull) {
  HostOptions options = probeOptions();
  options.maxRestarts = 5;
  Host host = Host::spawn(runtime, options);
  host.restart();  // the first restart in the window has no back-off
  awayFromTheLoop(milliseconds(600));
  auto start = steady_clock::now();
  host.restart();  // the second waits 100 ms first
  EXPECT_GE(since(start), milliseconds(100));
  EXPECT_EQ(host.restartCount(), 2u);
}

TEST_P(Deadlines, HeartbeatAndHangLimitIgnoreTheClientsOwnAbsence) {
  HostOptions options = probeOptions();
  options.heartbeatInterval = milliseconds(50);
  options.heartbeatTimeout = milliseconds(200);
  options.hangTimeout = milliseconds(300);
  Host host = Host::spawn(runtime, options);
  const uint32_t pid = host.pid();
  auto probe = host.activate<probe::Probe>("probe");
  host.wait(probe.whoamiRequest().send());
  for (int i = 0; i < 3; ++i) {
    awayFromTheLoop(milliseconds(1000));
    EXPECT_NO_THROW(host.wait(probe.whoamiRequest().send())) << "call " << i;
  }
  EXPECT_TRUE(host.running());
  EXPECT_EQ(host.pid(), pid);
  EXPECT_EQ(host.restartCount(), 0u);
}

TEST_P(Deadlines, KillHostEndsAHungHostAndFailsEveryPendingCall) {
  HostOptions options = probeOptions();
  options.callTimeout = milliseconds(200);
  options.onCallTimeout = OnCallTimeout::KillHost;
  Host host = Host::spawn(runtime, options);
  const int pid = static_cast<int>(host.pid());
  auto first = host.activate<probe::Probe>("probe");
  auto second = host.activate<probe::Probe>("probe");
  auto hung = sendSleep(first, 60000);
  auto queued = second.whoamiRequest().send();  // behind the hung one
  auto start = steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(kj::mv(hung)); });
  EXPECT_LT(since(start), milliseconds(1500));
  EXPECT_CONTAINS(e.message(), "killed as hung");
  EXPECT_CONTAINS(e.message(), "200 ms");
  Error other = expectError(ErrorKind::TimedOut, [&] { host.wait(kj::mv(queued)); });
  EXPECT_CONTAINS(other.message(), "killed as hung");
  EXPECT_FALSE(host.running());
  EXPECT_TRUE(test::waitUntilGone(pid, milliseconds(1000)));
  EXPECT_TRUE(test::childPids().empty()) << "the killed host was not reaped";
  // RestartPolicy::Never: the Host stays dead, and says why.
  Error later = expectError(ErrorKind::TimedOut, [&] { host.info(); });
  EXPECT_CONTAINS(later.message(), "killed as hung");
}

TEST_P(Deadlines, KillHostAppliesToALoadStuckInTheLibrarysInitialiser) {
  HostOptions options;
  options.arch = GetParam().arch;
  options.transport = GetParam().transport;
  options.callTimeout = milliseconds(300);
  options.onCallTimeout = OnCallTimeout::KillHost;
  Host host = Host::spawn(runtime, options);
  const int pid = static_cast<int>(host.pid());
  Error e = expectError(ErrorKind::TimedOut, [&] {
    host.load(testComponent("slow_start_component", GetParam().arch));  // 20 s initialiser
  });
  EXPECT_CONTAINS(e.message(), "killed as hung: loading a component did not complete");
  EXPECT_FALSE(host.running());
  EXPECT_TRUE(test::waitUntilGone(pid, milliseconds(1000)));
}

TEST_P(Deadlines, KillHostPerWaitAppliesTheRestartPolicy) {
  HostOptions options = probeOptions();
  options.restart = RestartPolicy::Immediately;
  Host host = Host::spawn(runtime, options);  // LeaveHostRunning by default
  const uint32_t pid = host.pid();
  auto probe = host.activate<probe::Probe>("probe");
  expectError(ErrorKind::TimedOut, [&] {
    host.wait(sendSleep(probe, 60000), milliseconds(200), OnCallTimeout::KillHost);
  });
  EXPECT_TRUE(host.running());
  EXPECT_EQ(host.restartCount(), 1u);
  EXPECT_NE(host.pid(), pid);
  EXPECT_TRUE(test::waitUntilGone(static_cast<int>(pid), milliseconds(1000)));
  auto fresh = host.activate<probe::Probe>("probe");
  EXPECT_EQ(host.wait(fresh.whoamiRequest().send()).getPid(), host.pid());
}

TEST_P(Deadlines, LeaveHostRunningQueuesLaterCallsBehindTheSlowOne) {
  Host host = Host::spawn(runtime, probeOptions());
  const uint32_t pid = host.pid();
  auto probe = host.activate<probe::Probe>("probe");
  auto start = steady_clock::now();
  expectError(ErrorKind::TimedOut,
              [&] { host.wait(sendSleep(probe, 1000), milliseconds(100)); });
  EXPECT_TRUE(host.running());
  EXPECT_EQ(host.pid(), pid);
  // The host is still in the slow call: a later deadline counts from its own wait, and fires
  // on time even though the call is only queued.
  auto queuedStart = steady_clock::now();
  expectError(ErrorKind::TimedOut,
              [&] { host.wait(probe.whoamiRequest().send(), milliseconds(50)); });
  EXPECT_GE(since(queuedStart), milliseconds(50));
  EXPECT_LT(since(queuedStart), milliseconds(400));
  // Without a deadline, the next call waits until the slow one is done.
  host.wait(probe.whoamiRequest().send());
  EXPECT_GE(since(start), milliseconds(900));
}

INSTANTIATE_TEST_SUITE_P(BothBitnessesBothTransports, Deadlines, test::everyHostCase(),
                         test::hostCaseName);

// Shared hosts: their timers run in the host, and the host is not one client's to kill.
class SharedHostDeadlines : public ::testing::TestWithParam<Arch> {
 protected:
  HostOptions sharedOptions() {
    HostOptions options;
    options.component = testComponent("probe_component", GetParam());
    options.sharedName = name_;
    options.idleTimeout = milliseconds(1000);
    return options;
  }
  void TearDown() override {
    for (int pid : test::sharedHostPids(name_)) test::waitUntilGone(pid, milliseconds(5000));
  }
  test::PrivateRuntimeDir dir_;
  std::string name_ = "deadlines-" + std::to_string(::getpid());
  Runtime runtime;
};

TEST_P(SharedHostDeadlines, KillHostIsRefusedBeforeAnythingStarts) {
  HostOptions options = sharedOptions();
  options.onCallTimeout = OnCallTimeout::KillHost;
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::connectShared(runtime, options); });
  EXPECT_CONTAINS(e.message(), "shared host");
  EXPECT_TRUE(test::sharedHostPids(name_).empty());

  Host host = Host::connectShared(runtime, sharedOptions());
  auto probe = host.activate<probe::Probe>("probe");
  expectError(ErrorKind::BadConfiguration, [&] {
    host.wait(probe.whoamiRequest().send(), milliseconds(500), OnCallTimeout::KillHost);
  });
  EXPECT_NO_THROW(host.wait(probe.whoamiRequest().send(), milliseconds(5000)));
}

TEST_P(SharedHostDeadlines, IdleTimeoutCountsFromTheLastDisconnectNotFromALongCall) {
  // The host's own thread is away from its loop for 1.5 s in a legacy call; the client leaves
  // meanwhile. The idle time (1 s) must count from when the host notices, not from before the
  // call.
  std::optional<Host> host(Host::connectShared(runtime, sharedOptions()));
  const int pid = static_cast<int>(host->pid());
  auto sent = steady_clock::now();
  {
    auto probe = host->activate<probe::Probe>("probe");
    auto pending = sendSleep(probe, 1500);
    sent = steady_clock::now();
    // Let the loop write the call out, then leave without waiting for the answer.
    runtime.io().provider->getTimer().afterDelay(200 * kj::MILLISECONDS).wait(runtime.waitScope());
  }
  host.reset();
  awayFromTheLoop(milliseconds(1500 + 700) - since(sent));  // the call, then 0.7 s idle
  EXPECT_TRUE(test::processAlive(pid)) << "the idle timeout fired early, " << since(sent).count()
                                       << " ms after the call was sent";
  EXPECT_TRUE(test::waitUntilGone(pid, milliseconds(5000)));
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, SharedHostDeadlines,
                         ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
