// A COM-activated host is supervised as a spawned one is (issue 18, part 4), under Wine: its
// heartbeat and hang timeout, its death noticed with how it ended, the restart policy, and its
// log (its stderr, over the log pipe it names in its endpoint) in logTail() and the client's log.
//
// Registers both hosts in the prefix's HKLM for the suite and removes them after it; runs under
// the bitbridge_com_registry lock with the other COM suites (tests/windows/CMakeLists.txt).
#include <windows.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "probe.capnp.h"
#include "support/test_support.h"
#include "windows/com_test_support.h"
#include "windows/windows_test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::kStartTimeout;
using test::processGoneWithin;
using test::testComponent;
using test::windowsPath;

// Waits up to 5 s for `text` in the host's log tail (the log arrives on a drain thread).
bool logTailShows(const Host& host, const std::string& text) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (host.logTail().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class ComSupervision : public ::testing::TestWithParam<Arch> {
 protected:
  static void SetUpTestSuite() { test::registerBothHosts(); }
  static void TearDownTestSuite() { test::unregisterBothHosts(); }

  HostOptions options() {
    HostOptions o;
    o.component = windowsPath(testComponent("probe_component", GetParam()));
    o.startTimeout = kStartTimeout;
    return o;
  }
  test::KeptLog kept;
  Runtime runtime{RuntimeOptions{kept.logger}};
};

TEST_P(ComSupervision, AHostStuckInOneCallIsKilledByTheHangTimeoutAndRestartedThroughCom) {
  HostOptions o = options();
  o.heartbeatInterval = std::chrono::milliseconds(100);
  o.hangTimeout = std::chrono::milliseconds(400);
  o.restart = RestartPolicy::Immediately;
  o.hostDirectory = windowsPath(TEST_COMPONENTS_DIR);  // no host here: only COM can restart it
  Host host = Host::activateCom(runtime, o);
  uint32_t pid = host.pid();
  auto probe = host.activate<probe::Probe>("probe");
  auto stuck = probe.sleepRequest();
  stuck.setMilliseconds(30000);
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(stuck.send()); });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_CONTAINS(e.message(), "COM " + std::string(GetParam() == Arch::x86 ? "bitbridge-host32"
                                                                           : "bitbridge-host64") +
                                   " (pid " + std::to_string(pid) + ")");
  EXPECT_CONTAINS(e.message(), "stuck in one call");
  EXPECT_CONTAINS(e.message(), "hang limit 400 ms");
  EXPECT_CONTAINS(e.hint(), "hangTimeout");
  EXPECT_TRUE(processGoneWithin(pid, std::chrono::seconds(3))) << "hung COM host " << pid;
  // RestartPolicy::Immediately: a new host, activated through COM again, already serves.
  EXPECT_EQ(host.restartCount(), 1u);
  EXPECT_NE(host.pid(), pid);
  auto fresh = host.activate<probe::Probe>("probe");
  EXPECT_EQ(host.wait(fresh.whoamiRequest().send()).getPid(), host.pid());
}

TEST_P(ComSupervision, AHealthyHostAnswersItsHeartbeatWhileACallBlocks) {
  HostOptions o = options();
  o.heartbeatInterval = std::chrono::milliseconds(100);
  o.heartbeatTimeout = std::chrono::milliseconds(1000);
  Host host = Host::activateCom(runtime, o);
  auto probe = host.activate<probe::Probe>("probe");
  auto sleep = probe.sleepRequest();
  sleep.setMilliseconds(2500);  // longer than the heartbeat timeout: the watchdog thread answers
  host.wait(sleep.send());
  EXPECT_TRUE(host.running());
  EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), host.pid());
}

TEST_P(ComSupervision, AHostFrozenWholeIsKilledByTheHeartbeatTimeout) {
  // Every thread of the host stopped (as a debugger or a stuck loader lock would): its watchdog
  // cannot answer either, so the heartbeat's timeout kills it.
  HostOptions o = options();
  o.heartbeatInterval = std::chrono::milliseconds(100);
  o.heartbeatTimeout = std::chrono::milliseconds(500);
  Host host = Host::activateCom(runtime, o);
  uint32_t pid = host.pid();
  auto probe = host.activate<probe::Probe>("probe");
  host.wait(probe.whoamiRequest().send());
  HANDLE process = ::OpenProcess(PROCESS_SUSPEND_RESUME | SYNCHRONIZE, FALSE, pid);
  ASSERT_NE(process, nullptr);
  using NtSuspendProcess = LONG(NTAPI*)(HANDLE);
  auto suspend = reinterpret_cast<NtSuspendProcess>(reinterpret_cast<void*>(
      ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtSuspendProcess")));
  ASSERT_NE(suspend, nullptr);
  ASSERT_EQ(suspend(process), 0);
  ::CloseHandle(process);
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(probe.whoamiRequest().send()); });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_CONTAINS(e.message(), "did not answer its heartbeat within 500 ms");
  EXPECT_TRUE(processGoneWithin(pid, std::chrono::seconds(3))) << "frozen COM host " << pid;
}

TEST_P(ComSupervision, AHostTerminatedFromOutsideIsNoticedAtOnceAndSaidSo) {
  // Its stderr is read now, so its exit announcement is too: a TerminateProcess (taskkill /F)
  // is told from an exit, as for a spawned host.
  Host host = Host::activateCom(runtime, options());
  uint32_t pid = host.pid();
  auto probe = host.activate<probe::Probe>("probe");
  host.wait(probe.whoamiRequest().send());
  auto stuck = probe.sleepRequest();
  stuck.setMilliseconds(30000);
  std::thread killer([pid] {
    ::Sleep(300);
    HANDLE process = ::OpenProcess(PROCESS_TERMINATE, FALSE, pid);
    if (process != nullptr) {
      ::TerminateProcess(process, 1);
      ::CloseHandle(process);
    }
  });
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(stuck.send()); });
  killer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_CONTAINS(e.message(), "(pid " + std::to_string(pid) +
                                   ") was terminated from outside while calls were pending "
                                   "(exit status 1");
  EXPECT_FALSE(host.running());
}

TEST_P(ComSupervision, AnExitIsReportedWithItsStatusAndLastWords) {
  Host host = Host::activateCom(runtime, options());
  auto probe = host.activate<probe::Probe>("probe");
  auto log = probe.logRequest();
  log.setMessage("last words before exiting");
  host.wait(log.send());
  auto exitNow = probe.exitNowRequest();
  exitNow.setCode(7);
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(exitNow.send()); });
  EXPECT_CONTAINS(e.message(), "exited with status 7 while calls were pending");
  EXPECT_CONTAINS(e.message(), "last words before exiting");
  EXPECT_EQ(e.message().find("terminated from outside"), std::string::npos);
  EXPECT_EQ(e.message().find("[bitbridge]"), std::string::npos)
      << "the exit announcement is not host output";
}

TEST_P(ComSupervision, TheHostsLogLinesReachLogTailAndTheClientsLog) {
  Host host = Host::activateCom(runtime, options());
  auto probe = host.activate<probe::Probe>("probe");
  auto log = probe.logRequest();
  log.setMessage("hello from inside the COM host");
  host.wait(log.send());
  EXPECT_TRUE(logTailShows(host, "hello from inside the COM host")) << host.logTail();
  // What the host logged while it started (before its client connected to the log pipe) is
  // there too: kept, then sent.
  EXPECT_CONTAINS(host.logTail(), "started by COM");
  EXPECT_CONTAINS(host.logTail(), "loaded component");
  // Forwarded to the Runtime's logger at the host's level, with the host's name and pid.
  EXPECT_CONTAINS(kept.text(), std::string("info [bitbridge-host") +
                                   (GetParam() == Arch::x86 ? "32" : "64") + ".exe pid " +
                                   std::to_string(host.pid()) +
                                   "] probe: hello from inside the COM host");
}

TEST_P(ComSupervision, AComponentThatCannotBeLoadedIsExplainedInTheHostsLog) {
  HostOptions o = options();
  o.component.clear();
  o.arch = GetParam();
  Host host = Host::activateCom(runtime, o);
  std::string component = windowsPath(testComponent("missing_dependency_component", GetParam()));
  Error e = expectError(ErrorKind::BadConfiguration, [&] { host.load(component); });
  EXPECT_CONTAINS(e.message(), "libprobe_dependency.dll");
  // The host says so in its own log, which the client can read.
  EXPECT_TRUE(logTailShows(host, "cannot load component")) << host.logTail();
  EXPECT_CONTAINS(host.logTail(), "libprobe_dependency.dll");
  EXPECT_CONTAINS(kept.text(), "error [bitbridge-host");
  // And the host keeps serving.
  EXPECT_NO_THROW(host.load(windowsPath(testComponent("probe_component", GetParam()))));
  EXPECT_TRUE(host.running());
}

TEST_P(ComSupervision, ACrashLeavesItsLastWordsInTheError) {
  Host host = Host::activateCom(runtime, options());
  auto probe = host.activate<probe::Probe>("probe");
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(probe.crashRequest().send()); });
  EXPECT_CONTAINS(e.message(), "crashed with exception 0xC0000005 (access violation)");
  // The component's last line and the crash handler's, written to its stderr (the log pipe)
  // just before it ended.
  EXPECT_CONTAINS(e.message(), "probe: about to raise signal");
  EXPECT_CONTAINS(e.message(), "unhandled exception 0xC0000005");
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComSupervision, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const ::testing::TestParamInfo<Arch>& info) {
                           return std::string(archName(info.param));
                         });

}  // namespace
}  // namespace bitbridge
