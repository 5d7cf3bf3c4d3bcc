// Supervision with real hosts of both bitnesses: death detection within its bound, deadlines,
// the heartbeat watchdog, restart policies, orphaned hosts, and a kill -9 loop that checks
// nothing is left behind. Every bound asserted here is a promise in docs/reliability.md.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
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

// The documented bound between a host's death and the failure of the calls pending on it.
constexpr auto kDeathBound = milliseconds(250);

class Supervision : public ::testing::TestWithParam<HostCase> {
 protected:
  HostOptions probeOptions() {
    HostOptions options;
    options.component = testComponent("probe_component", GetParam().arch);
    options.transport = GetParam().transport;
    return options;
  }
  Host spawnProbe(HostOptions options) { return Host::spawn(runtime, options); }
  Host spawnProbe() { return spawnProbe(probeOptions()); }
  Runtime runtime;
};

// Sends `signal` to `pid` after `delay`, on its own thread, and records when.
class DelayedSignal {
 public:
  DelayedSignal(int pid, int signal, milliseconds delay)
      : thread_([this, pid, signal, delay] {
          std::this_thread::sleep_for(delay);
          sentAt_ = steady_clock::now();
          ::kill(pid, signal);
        }) {}
  ~DelayedSignal() {
    if (thread_.joinable()) thread_.join();
  }
  steady_clock::time_point sentAt() {
    if (thread_.joinable()) thread_.join();
    return sentAt_;
  }

 private:
  steady_clock::time_point sentAt_;
  std::thread thread_;
};

TEST_P(Supervision, KilledMidCallFailsEveryPendingCallWithinTheBound) {
  Host host = spawnProbe();
  auto first = host.activate<probe::Probe>("probe");
  auto second = host.activate<probe::Probe>("probe");
  auto busy = first.sleepRequest();
  busy.setMilliseconds(10000);
  auto pendingBusy = busy.send();
  auto pendingQueued = second.whoamiRequest().send();  // queued behind the busy one
  DelayedSignal killer(static_cast<int>(host.pid()), SIGKILL, milliseconds(100));
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(kj::mv(pendingBusy)); });
  auto failedAt = steady_clock::now();
  EXPECT_LT(failedAt - killer.sentAt(), kDeathBound);
  EXPECT_CONTAINS(e.message(), "was killed by signal 9");
  expectError(ErrorKind::Disconnected, [&] { host.wait(kj::mv(pendingQueued)); });
  EXPECT_LT(steady_clock::now() - failedAt, kDeathBound);
  EXPECT_FALSE(host.running());
  EXPECT_TRUE(test::childPids().empty()) << "the dead host was not reaped";
}

TEST_P(Supervision, DeathIsSeenEvenWhenAHelperProcessKeepsTheChannelOpen) {
  // A legacy library that starts a helper process hands it the host's descriptors, so the
  // channel never reaches EOF when the host dies: the process handle must still tell.
  Host host = spawnProbe();
  auto probe = host.activate<probe::Probe>("probe");
  auto fork = probe.forkSleeperRequest();
  fork.setMilliseconds(20000);
  int helper = static_cast<int>(host.wait(fork.send()).getPid());
  auto busy = probe.sleepRequest();
  busy.setMilliseconds(10000);
  auto pending = busy.send();
  DelayedSignal killer(static_cast<int>(host.pid()), SIGKILL, milliseconds(100));
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(kj::mv(pending)); });
  EXPECT_LT(steady_clock::now() - killer.sentAt(), kDeathBound);
  EXPECT_CONTAINS(e.message(), "was killed by signal 9");
  ::kill(helper, SIGKILL);  // reparented away from us: not ours to reap
}

TEST_P(Supervision, PerCallDeadlineOverridesTheHostDefault) {
  HostOptions options = probeOptions();
  options.callTimeout = milliseconds(100);
  Host host = spawnProbe(options);
  auto probe = host.activate<probe::Probe>("probe");
  auto slowButAllowed = probe.sleepRequest();
  slowButAllowed.setMilliseconds(300);
  host.wait(slowButAllowed.send(), milliseconds(0));  // no deadline for this one
  auto slow = probe.sleepRequest();
  slow.setMilliseconds(3000);
  auto start = steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(slow.send(), milliseconds(200)); });
  EXPECT_LT(steady_clock::now() - start, milliseconds(1500));
  EXPECT_CONTAINS(e.message(), "200 ms");
}

TEST_P(Supervision, StoppedHostIsKilledByTheWatchdog) {
  HostOptions options = probeOptions();
  options.heartbeatInterval = milliseconds(100);
  options.heartbeatTimeout = milliseconds(400);
  Host host = spawnProbe(options);
  auto probe = host.activate<probe::Probe>("probe");
  host.wait(probe.whoamiRequest().send());
  int pid = static_cast<int>(host.pid());
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  auto start = steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(probe.whoamiRequest().send()); });
  // interval + timeout + grace, with room for a loaded machine; never the 60 s ctest limit.
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  EXPECT_CONTAINS(e.message(), "did not answer its heartbeat within 400 ms");
  EXPECT_CONTAINS(e.message(), "the watchdog killed it");
  EXPECT_FALSE(test::processAlive(pid));
  EXPECT_TRUE(test::childPids().empty());
}

TEST_P(Supervision, LongLegacyCallKeepsAnsweringTheHeartbeat) {
  // The host's RPC thread is blocked for 1.2 s, longer than the heartbeat timeout: the
  // watchdog thread answers for it, so a slow call is not mistaken for a frozen host.
  HostOptions options = probeOptions();
  options.heartbeatInterval = milliseconds(100);
  options.heartbeatTimeout = milliseconds(300);
  Host host = spawnProbe(options);
  auto probe = host.activate<probe::Probe>("probe");
  auto slow = probe.sleepRequest();
  slow.setMilliseconds(1200);
  host.wait(slow.send());
  EXPECT_TRUE(host.running());
  EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), host.pid());
}

TEST_P(Supervision, HostStuckBeyondTheHangLimitIsKilled) {
  HostOptions options = probeOptions();
  options.heartbeatInterval = milliseconds(100);
  options.hangTimeout = milliseconds(300);
  Host host = spawnProbe(options);
  auto probe = host.activate<probe::Probe>("probe");
  auto stuck = probe.sleepRequest();
  stuck.setMilliseconds(30000);
  auto start = steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(stuck.send()); });
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  EXPECT_CONTAINS(e.message(), "stuck in one call");
  EXPECT_FALSE(host.running());
}

TEST_P(Supervision, RestartOnNextCallStartsANewHostAndRunsTheHook) {
  HostOptions options = probeOptions();
  options.restart = RestartPolicy::OnNextCall;
  probe::Probe::Client probe = nullptr;
  int hookCalls = 0;
  options.onRestart = [&](Host& restarted) {
    ++hookCalls;
    probe = restarted.activate<probe::Probe>("probe");
  };
  Host host = spawnProbe(options);
  probe = host.activate<probe::Probe>("probe");
  uint32_t firstPid = host.pid();
  auto crash = probe.crashRequest();
  crash.setSignal(SIGSEGV);
  expectError(ErrorKind::Disconnected, [&] { host.wait(crash.send()); });
  EXPECT_FALSE(host.running());
  EXPECT_EQ(hookCalls, 0);  // lazily: nothing happens until the next operation

  HostInfo info = host.info();  // restarts first
  EXPECT_EQ(hookCalls, 1);
  EXPECT_EQ(host.restartCount(), 1u);
  EXPECT_NE(info.pid, firstPid);
  EXPECT_EQ(info.components.size(), 1u);  // the component was loaded again
  EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), info.pid);
}

TEST_P(Supervision, RestartImmediatelyReplacesTheHostBeforeTheErrorIsSeenAndNeverResends) {
  HostOptions options = probeOptions();
  options.restart = RestartPolicy::Immediately;
  probe::Probe::Client probe = nullptr;
  options.onRestart = [&](Host& restarted) { probe = restarted.activate<probe::Probe>("probe"); };
  Host host = spawnProbe(options);
  probe = host.activate<probe::Probe>("probe");
  uint32_t firstPid = host.pid();
  auto crash = probe.crashRequest();
  crash.setSignal(SIGABRT);
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(crash.send()); });
  EXPECT_CONTAINS(e.message(), "was killed by signal " + std::to_string(SIGABRT));
  EXPECT_TRUE(host.running());
  EXPECT_NE(host.pid(), firstPid);
  // Had the crashing call been re-sent, the new host would have died too.
  EXPECT_EQ(host.restartCount(), 1u);
  EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), host.pid());
  EXPECT_TRUE(test::processAlive(static_cast<int>(host.pid())));
}

TEST_P(Supervision, RestartsAreBoundedWithBackoff) {
  HostOptions options = probeOptions();
  options.restart = RestartPolicy::Immediately;
  options.maxRestarts = 2;
  probe::Probe::Client probe = nullptr;
  options.onRestart = [&](Host& restarted) { probe = restarted.activate<probe::Probe>("probe"); };
  Host host = spawnProbe(options);
  probe = host.activate<probe::Probe>("probe");
  auto start = steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    auto exitNow = probe.exitNowRequest();
    exitNow.setCode(7);
    Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(exitNow.send()); });
    if (i < 2) {
      EXPECT_TRUE(host.running()) << e.what();
    } else {
      EXPECT_CONTAINS(e.message(), "will not be restarted: 2 restarts");
      EXPECT_FALSE(host.running());
    }
  }
  EXPECT_GE(steady_clock::now() - start, milliseconds(100));  // the second restart backed off
  EXPECT_EQ(host.restartCount(), 2u);
  expectError(ErrorKind::Disconnected, [&] { host.info(); });
}

TEST_P(Supervision, OrphanedHostExitsWithinASecondEvenWhenStuckInACall) {
  // This process adopts orphans (as init would), so the host can be observed and reaped.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  // The client (tests/components/orphan_client.cpp) starts a host, prints its pid, then blocks
  // it in a 60 s call: the host's RPC thread cannot read the channel's EOF when we kill the
  // client, so only its watchdog thread can notice.
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  std::string component = testComponent("probe_component", GetParam().arch);
  pid_t client = ::fork();
  if (client == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::execl(ORPHAN_CLIENT, ORPHAN_CLIENT, component.c_str(), transportName(GetParam().transport),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  char line[32] = {};
  ssize_t n = ::read(out[0], line, sizeof(line) - 1);
  ::close(out[0]);
  ASSERT_GT(n, 0) << "orphan_client printed nothing";
  int hostPid = std::atoi(line);
  ASSERT_GT(hostPid, 0);
  std::this_thread::sleep_for(milliseconds(100));  // the call is under way
  ASSERT_TRUE(test::processAlive(hostPid));
  ::kill(client, SIGKILL);
  ::waitpid(client, nullptr, 0);
  auto killedAt = steady_clock::now();
  while (test::processAlive(hostPid) && steady_clock::now() - killedAt < milliseconds(3000)) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto lived = std::chrono::duration_cast<milliseconds>(steady_clock::now() - killedAt);
  EXPECT_FALSE(test::processAlive(hostPid));
  EXPECT_LT(lived, milliseconds(1000)) << "the orphaned host lived " << lived.count() << " ms";
  ::kill(hostPid, SIGKILL);
  ::waitpid(hostPid, nullptr, 0);  // adopted by us: reap it
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

// Fault injection: kill -9 before, during and after a call, over and over, bulk buffers
// included; every failure must be Disconnected within the bound, and nothing may leak.
TEST_P(Supervision, KillNineLoopLeavesNothingBehind) {
  constexpr int kCycles = 100;  // per parameter: 400 per test binary, 800 per ctest run
  int descriptorsBefore = test::openDescriptorCount();
  for (int i = 0; i < kCycles; ++i) {
    SCOPED_TRACE("cycle " + std::to_string(i));
    Host host = spawnProbe();
    auto probe = host.activate<probe::Probe>("probe");
    int pid = static_cast<int>(host.pid());
    std::optional<BulkBuffer> buffer;
    if (i % 10 == 0) {
      buffer = host.allocate(1 << 20);
      auto checksum = probe.checksumRequest();
      toWire(buffer->ref(), checksum.initData());
      host.wait(checksum.send());
    }
    steady_clock::time_point killedAt;
    switch (i % 3) {
      case 0: {  // before the call
        ::kill(pid, SIGKILL);
        killedAt = steady_clock::now();
        break;
      }
      case 1: {  // during it
        auto busy = probe.sleepRequest();
        busy.setMilliseconds(5000);
        auto pending = busy.send();
        DelayedSignal killer(pid, SIGKILL, milliseconds(i % 7));
        expectError(ErrorKind::Disconnected, [&] { host.wait(kj::mv(pending)); });
        EXPECT_LT(steady_clock::now() - killer.sentAt(), kDeathBound);
        continue;
      }
      default: {  // after one
        host.wait(probe.whoamiRequest().send());
        ::kill(pid, SIGKILL);
        killedAt = steady_clock::now();
        break;
      }
    }
    expectError(ErrorKind::Disconnected, [&] { host.wait(probe.whoamiRequest().send()); });
    EXPECT_LT(steady_clock::now() - killedAt, kDeathBound + milliseconds(250));
  }
  EXPECT_TRUE(test::childPids().empty()) << "zombies or live hosts left";
  EXPECT_EQ(test::openDescriptorCount(), descriptorsBefore) << "descriptors leaked";
}

INSTANTIATE_TEST_SUITE_P(BothBitnessesBothTransports, Supervision, test::everyHostCase(),
                         test::hostCaseName);

}  // namespace
}  // namespace bitbridge
