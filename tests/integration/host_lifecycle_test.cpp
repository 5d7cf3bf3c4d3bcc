// Real hosts of both bitnesses, spawned from this test binary (itself built 32- and 64-bit):
// the call really crosses into another process of the requested bitness, failures arrive as
// the documented kinds, and no host outlives its client.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "host_test_support.h"
#include "probe.capnp.h"
#include "support/temp_dir.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::HostCase;
using test::testComponent;

class HostLifecycle : public ::testing::TestWithParam<HostCase> {
 protected:
  Host spawnProbe(HostOptions options = {}) {
    options.component = testComponent("probe_component", GetParam());
    options.transport = GetParam().transport;
    return Host::spawn(runtime, options);
  }
  Runtime runtime;
};

TEST_P(HostLifecycle, CallRunsInAHostProcessOfTheRequestedBitness) {
  Host host = spawnProbe();  // the host is picked from the component's ELF header
  EXPECT_EQ(host.arch(), GetParam());
  HostInfo info = host.info();
  EXPECT_EQ(info.transport, transportName(GetParam().transport));
  EXPECT_NE(info.pid, static_cast<uint32_t>(::getpid()));
  EXPECT_EQ(info.pid, host.pid());
  EXPECT_EQ(info.pointerBits, pointerBits(GetParam()));
  EXPECT_EQ(info.arch, GetParam());
  EXPECT_EQ(test::processArch(static_cast<int>(info.pid)), GetParam());
  ASSERT_EQ(info.components.size(), 1u);
  EXPECT_EQ(info.components[0].classes, (std::vector<std::string>{"probe", "probe-alias"}));

  auto probe = host.activate<probe::Probe>("probe");
  auto who = host.wait(probe.whoamiRequest().send());
  EXPECT_EQ(who.getPid(), info.pid);
  EXPECT_EQ(who.getPointerBits(), pointerBits(GetParam()));
}

TEST_P(HostLifecycle, LargeDataRoundTrips) {
  Host host = spawnProbe();
  auto probe = host.activate<probe::Probe>("probe");
  std::vector<kj::byte> payload(4 << 20);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<kj::byte>(i * 131 + 7);
  auto request = probe.echoRequest();
  request.setData(kj::arrayPtr(payload.data(), payload.size()));
  auto response = host.wait(request.send());  // readers point into the response: keep it
  auto echoed = response.getData();
  ASSERT_EQ(echoed.size(), payload.size());
  EXPECT_EQ(memcmp(echoed.begin(), payload.data(), payload.size()), 0);
}

TEST_P(HostLifecycle, ExplicitArchAndLateLoadWork) {
  HostOptions options;
  options.arch = GetParam().arch;
  options.transport = GetParam().transport;
  Host host = Host::spawn(runtime, options);
  EXPECT_TRUE(host.info().components.empty());
  ComponentInfo loaded = host.load(testComponent("probe_component", GetParam()));
  EXPECT_EQ(loaded.classes.size(), 2u);
  auto probe = host.activate<probe::Probe>("probe-alias");
  EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), host.pid());
}

TEST_P(HostLifecycle, ComponentExceptionReachesClientAndHostKeepsServing) {
  Host host = spawnProbe();
  auto probe = host.activate<probe::Probe>("probe");
  auto fail = probe.failRequest();
  fail.setMessage("legacy library returned E_FAIL");
  Error e = expectError(ErrorKind::Remote, [&] { host.wait(fail.send()); });
  EXPECT_CONTAINS(e.message(), "legacy library returned E_FAIL");
  EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), host.pid());
}

TEST_P(HostLifecycle, UnknownClassIsNotFoundAndHostKeepsServing) {
  Host host = spawnProbe();
  Error e = expectError(ErrorKind::NotFound, [&] { host.activateAny("calculator"); });
  EXPECT_CONTAINS(e.message(), "probe, probe-alias");
  EXPECT_EQ(host.info().pid, host.pid());
}

TEST_P(HostLifecycle, NotAComponentIsRefusedAndHostKeepsServing) {
  Host host = spawnProbe();
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { host.load(testComponent("not_a_component", GetParam())); });
  EXPECT_CONTAINS(e.message(), "is not a bitbridge component");
  EXPECT_EQ(host.info().components.size(), 1u);
}

TEST_P(HostLifecycle, MissingDependencyShowsDlerrorFromTheHost) {
  Host host = spawnProbe();
  Error e = expectError(ErrorKind::BadConfiguration, [&] {
    host.load(testComponent("missing_dependency_component", GetParam()));
  });
  EXPECT_CONTAINS(e.message(), "libprobe_dependency.so: cannot open shared object file");
}

// ld.so skips a dependency of the other class and says only "libprobe_dependency.so: wrong ELF
// class: ELFCLASS64"; the host names the file, what it is, and the fix. The other bitness's
// not_a_component under the needed name sits next to a copy of the component (RPATH $ORIGIN).
TEST_P(HostLifecycle, DependencyOfTheOtherClassIsNamedWithItsPathAndBitness) {
  namespace fs = std::filesystem;
  Arch other = GetParam().arch == Arch::x86 ? Arch::x86_64 : Arch::x86;
  const std::string bits = GetParam().arch == Arch::x86 ? "32" : "64";
  test::TempDir dir("bitbridge-wrong-dependency");
  std::string component = dir / "libmissing_dependency_component.so";
  fs::copy_file(testComponent("missing_dependency_component", GetParam()), component);
  fs::copy_file(testComponent("not_a_component", other), dir / "libprobe_dependency.so");
  Host host = spawnProbe();
  Error e = expectError(ErrorKind::WrongBitness, [&] { host.load(component); });
  EXPECT_CONTAINS(e.message(), "it needs libprobe_dependency.so, and the libprobe_dependency.so "
                               "the loader finds, " + (dir / "libprobe_dependency.so") + ", is ");
  EXPECT_CONTAINS(e.message(), GetParam().arch == Arch::x86 ? "(64-bit)" : "(32-bit)");
  EXPECT_CONTAINS(e.message(), "wrong ELF class");  // ld.so's own words stay
  EXPECT_CONTAINS(e.hint(), "install the " + bits + "-bit build of libprobe_dependency.so");
  EXPECT_EQ(host.info().components.size(), 1u);  // and the host keeps serving
}

TEST_P(HostLifecycle, HostCrashIsDisconnectedWithSignalAndLogTail) {
  Host host = spawnProbe();
  auto probe = host.activate<probe::Probe>("probe");
  auto crash = probe.crashRequest();
  crash.setSignal(SIGSEGV);
  auto start = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(crash.send()); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_CONTAINS(e.message(), "was killed by signal " + std::to_string(SIGSEGV));
  EXPECT_CONTAINS(e.message(), "probe: about to raise signal " + std::to_string(SIGSEGV));
  EXPECT_FALSE(test::processAlive(static_cast<int>(host.pid())));
}

TEST_P(HostLifecycle, HostExitMidCallReportsExitStatus) {
  Host host = spawnProbe();
  auto probe = host.activate<probe::Probe>("probe");
  auto exitNow = probe.exitNowRequest();
  exitNow.setCode(5);
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(exitNow.send()); });
  EXPECT_CONTAINS(e.message(), "exited with status 5");
}

TEST_P(HostLifecycle, CallDeadlineTimesOut) {
  HostOptions options;
  options.callTimeout = std::chrono::milliseconds(300);
  Host host = spawnProbe(options);
  auto probe = host.activate<probe::Probe>("probe");
  auto sleep = probe.sleepRequest();
  sleep.setMilliseconds(3000);
  auto start = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(sleep.send()); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  EXPECT_CONTAINS(e.message(), "300 ms");
}

TEST_P(HostLifecycle, HostLogLinesReachTheClient) {
  Host host = spawnProbe();
  auto probe = host.activate<probe::Probe>("probe");
  auto log = probe.logRequest();
  log.setMessage("hello from inside the host");
  host.wait(log.send());
  // The output pump runs on its own thread: give it a moment to read the line.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (host.logTail().find("hello from inside the host") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_CONTAINS(host.logTail(), "hello from inside the host");
}

TEST_P(HostLifecycle, DestroyingTheClientObjectKillsAndReapsTheHost) {
  int pid = 0;
  {
    Host host = spawnProbe();
    pid = static_cast<int>(host.pid());
    EXPECT_TRUE(test::processAlive(pid));
  }
  EXPECT_FALSE(test::processAlive(pid));
  for (int child : test::childPids()) EXPECT_NE(child, pid) << "left a zombie";
}

TEST_P(HostLifecycle, ShutdownEndsAndReapsTheHost) {
  Host host = spawnProbe();
  int pid = static_cast<int>(host.pid());
  host.shutdown();
  host.shutdown();  // idempotent
  EXPECT_FALSE(test::processAlive(pid));
  for (int child : test::childPids()) EXPECT_NE(child, pid) << "left a zombie";
}

TEST_P(HostLifecycle, ManyHostsInSequenceLeaveNoChildren) {
  for (int i = 0; i < 10; ++i) {
    Host host = spawnProbe();
    EXPECT_EQ(host.info().pointerBits, pointerBits(GetParam()));
  }
  EXPECT_TRUE(test::childPids().empty());
}

INSTANTIATE_TEST_SUITE_P(BothBitnessesBothTransports, HostLifecycle, test::everyHostCase(),
                         test::hostCaseName);

}  // namespace
}  // namespace bitbridge
