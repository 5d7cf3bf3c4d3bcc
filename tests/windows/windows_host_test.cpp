// Real hosts of both bitnesses on Windows (under Wine here): calls over named pipes and over the
// shared-memory rings, bulk data in sections, clear errors for wrong-bitness and broken DLLs,
// crashes, hangs, and hosts that die with their client. Each Windows platform build runs every
// case against both hosts over both transports (test::everyHostCase, as the Linux lifecycle,
// supervision and deadline suites do), so the 64-bit build covers 64->32 and the 32-bit build
// 32->64, each over the pipe and over shared memory.
#include <windows.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "components/probe_pattern.h"
#include "probe.capnp.h"
#include "support/host_case.h"
#include "support/temp_dir.h"
#include "support/test_support.h"
#include "windows/windows_test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::processGoneWithin;
using test::testComponent;

// Under Wine a host's first start in a fresh wineserver takes seconds; be generous with the
// start, strict with everything measured after it.
constexpr std::chrono::milliseconds kStartTimeout{30000};
// A host killed mid-call fails the call within this (docs/reliability.md), as on Linux.
constexpr std::chrono::milliseconds kDeathBound{250};

class WindowsHost : public ::testing::TestWithParam<test::HostCase> {
 protected:
  HostOptions options(const std::string& component = "probe_component") {
    HostOptions o;
    o.component = testComponent(component, GetParam());
    o.transport = GetParam().transport;
    o.startTimeout = kStartTimeout;
    return o;
  }
  Runtime runtime;
};

TEST_P(WindowsHost, CallsReachAHostOfThatBitnessOverItsTransport) {
  Host host = Host::spawn(runtime, options());
  EXPECT_EQ(host.info().transport, transportName(GetParam().transport));
  auto probe = host.activate<probe::Probe>("probe");
  auto who = host.wait(probe.whoamiRequest().send());
  EXPECT_EQ(who.getPointerBits(), GetParam() == Arch::x86 ? 32 : 64);
  EXPECT_EQ(who.getPid(), host.pid());
  EXPECT_NE(who.getPid(), ::GetCurrentProcessId());
  EXPECT_EQ(host.info().pointerBits, who.getPointerBits());

  // A message larger than the pipe's buffer and than a ring, both ways.
  std::vector<kj::byte> data(2 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<kj::byte>(i % 251);
  auto echo = probe.echoRequest();
  echo.setData(kj::arrayPtr(data.data(), data.size()));
  auto response = host.wait(echo.send());
  auto back = response.getData();
  ASSERT_EQ(back.size(), data.size());
  EXPECT_EQ(std::memcmp(back.begin(), data.data(), data.size()), 0);
}

TEST_P(WindowsHost, AComponentExceptionComesBackAsAnError) {
  Host host = Host::spawn(runtime, options());
  auto probe = host.activate<probe::Probe>("probe");
  auto fail = probe.failRequest();
  fail.setMessage("legacy says no");
  Error e = expectError(ErrorKind::Remote, [&] { host.wait(fail.send()); });
  EXPECT_CONTAINS(e.message(), "legacy says no");
  host.wait(probe.whoamiRequest().send());  // still serving
}

TEST_P(WindowsHost, ADllOfTheOtherBitnessIsRefusedNamingTheRightHost) {
  Arch other = GetParam() == Arch::x86 ? Arch::x86_64 : Arch::x86;
  HostOptions o = options();
  o.component = testComponent("probe_component", other);
  o.arch = GetParam();  // insist on the wrong host
  Error e = expectError(ErrorKind::WrongBitness, [&] { Host::spawn(runtime, o); });
  EXPECT_CONTAINS(e.message(), other == Arch::x86 ? "bitbridge-host32.exe" : "bitbridge-host64.exe");

  // A legacy DLL of the other bitness next to a component of the right one.
  HostOptions legacy = options();
  legacy.legacyLibrary = testComponent("not_a_component", other);
  Error l = expectError(ErrorKind::WrongBitness, [&] { Host::spawn(runtime, legacy); });
  EXPECT_CONTAINS(l.message(), "not_a_component");
}

TEST_P(WindowsHost, AMissingDependencyIsReportedInTheSystemsWords) {
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { Host::spawn(runtime, options("missing_dependency_component")); });
  EXPECT_CONTAINS(e.message(), "cannot load");
  EXPECT_CONTAINS(e.message(), "(error 126)");  // ERROR_MOD_NOT_FOUND
  EXPECT_CONTAINS(e.hint(), "next to the component");
}

TEST_P(WindowsHost, AMissingDependencyIsNamed) {
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { Host::spawn(runtime, options("missing_dependency_component")); });
  EXPECT_CONTAINS(e.message(), "it needs libprobe_dependency.dll, which is nowhere the loader looks");
  EXPECT_CONTAINS(e.hint(), "put libprobe_dependency.dll (");
}

// With no legacyLibrary to check before the spawn, a DLL the component imports that is of the
// other bitness (the other build's not_a_component.dll under the imported name, next to a copy
// of the component) is named by the host: which DLL, where, what it is, and the fix, instead of
// the loader's bare "Module not found (error 126)".
TEST_P(WindowsHost, ADependencyOfTheOtherBitnessIsNamedWithItsPathAndBitness) {
  namespace fs = std::filesystem;
  Arch other = GetParam() == Arch::x86 ? Arch::x86_64 : Arch::x86;
  const std::string bits = GetParam() == Arch::x86 ? "32" : "64";
  const std::string otherBits = GetParam() == Arch::x86 ? "64" : "32";
  test::TempDir dir("bitbridge-wrong-dependency");  // outlives the hosts below
  std::string component = dir / "libmissing_dependency_component.dll";
  fs::copy_file(testComponent("missing_dependency_component", GetParam()), component);
  fs::copy_file(testComponent("not_a_component", other), dir / "libprobe_dependency.dll");
  HostOptions o = options();
  o.component = component;
  Error e = expectError(ErrorKind::WrongBitness, [&] { Host::spawn(runtime, o); });
  EXPECT_CONTAINS(e.message(), "it needs libprobe_dependency.dll, and the libprobe_dependency.dll "
                               "the loader finds, ");
  EXPECT_CONTAINS(e.message(), fs::path(dir.str()).filename().string() + "\\libprobe_dependency.dll, is ");
  EXPECT_CONTAINS(e.message(), "(" + otherBits + "-bit)");
  EXPECT_CONTAINS(e.message(), "bitbridge-host" + bits + " is " + bits + "-bit");
  EXPECT_CONTAINS(e.hint(), "put the " + bits + "-bit build of libprobe_dependency.dll next to "
                                                "the component");

  // The right bitness in its place: the same copy loads, so it was the bitness and nothing else.
  fs::copy_file(std::string(GetParam() == Arch::x86 ? TEST_COMPONENTS_DIR_X86
                                                    : TEST_COMPONENTS_DIR_X86_64) +
                    "/dependencies/libprobe_dependency.dll",
                dir / "libprobe_dependency.dll", fs::copy_options::overwrite_existing);
  Host host = Host::spawn(runtime, o);
  auto probe = host.activate<probe::Probe>("missing-dependency");
  EXPECT_NO_THROW(host.wait(probe.whoamiRequest().send()));
  host.shutdown();
}

TEST_P(WindowsHost, ADllThatIsNotAComponentIsRefused) {
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { Host::spawn(runtime, options("not_a_component")); });
  EXPECT_CONTAINS(e.message(), "does not export bitbridge_component_v1");
}

// A vendor DLL that came without an import library (VendorCalc.dll, built by
// tests/windows/CMakeLists.txt with the compiler alone), wrapped by a component that
// bitbridge_add_component linked through an import library made from the DLL's exports: the
// DLL was copied next to the component, where the host finds it, and its header passes the
// check. A cdecl and an undecorated __stdcall export (32-bit) are called.
TEST_P(WindowsHost, AVendorDllWithoutAnImportLibraryIsCalledThroughItsComponent) {
  HostOptions o = options("vendor_dll_component");
  std::string component = o.component;
  o.legacyLibrary = component.substr(0, component.find_last_of("/\\") + 1) + "VendorCalc.dll";
  Host host = Host::spawn(runtime, o);
  auto probe = host.activate<probe::Probe>("vendor-dll");
  auto who = host.wait(probe.whoamiRequest().send());
  EXPECT_EQ(who.getPid(), 42u);  // vendor_calc_add(VendorCalcTwice(20), 2)
  EXPECT_EQ(who.getPointerBits(), GetParam() == Arch::x86 ? 32 : 64);
}

TEST_P(WindowsHost, ACrashIsReportedWithItsExceptionCode) {
  Host host = Host::spawn(runtime, options());
  test::expectProbeCrashReported(host);
}

TEST_P(WindowsHost, AnExitIsReportedWithItsStatus) {
  // 0 too: a host (its legacy DLL) that calls exit(0) itself did exit, and must not be
  // mistaken for one terminated from outside, which Wine also reports as status 0.
  for (int code : {7, 0}) {
    SCOPED_TRACE("exit code " + std::to_string(code));
    Host host = Host::spawn(runtime, options());
    auto probe = host.activate<probe::Probe>("probe");
    auto exitNow = probe.exitNowRequest();
    exitNow.setCode(code);
    Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(exitNow.send()); });
    EXPECT_CONTAINS(e.message(), "exited with status " + std::to_string(code) +
                                     " while calls were pending");
    EXPECT_EQ(e.message().find("[bitbridge]"), std::string::npos)
        << "the exit announcement is not host output";
  }
}

// taskkill /F (and Task Manager) end a process with TerminateProcess and an exit code of the
// killer's choosing (taskkill's is 1; 0 is possible too). The host did not exit, whatever the
// number: the message says it was terminated from outside, with the status Windows reports.
TEST_P(WindowsHost, AHostTerminatedFromOutsideMidCallIsReportedAsTerminated) {
  for (UINT code : {1u, 0u}) {
    SCOPED_TRACE("TerminateProcess with exit code " + std::to_string(code));
    Host host = Host::spawn(runtime, options());
    auto probe = host.activate<probe::Probe>("probe");
    auto stuck = probe.sleepRequest();
    stuck.setMilliseconds(30000);
    HANDLE process = ::OpenProcess(PROCESS_TERMINATE, FALSE, host.pid());
    ASSERT_NE(process, nullptr);
    // Killed while this thread waits on the call, as taskkill from a console would.
    std::atomic<int64_t> killedAt{0};
    std::thread killer([process, code, &killedAt] {
      ::Sleep(300);
      killedAt = std::chrono::steady_clock::now().time_since_epoch().count();
      ::TerminateProcess(process, code);
    });
    Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(stuck.send()); });
    auto noticed = std::chrono::steady_clock::now();
    killer.join();
    ::CloseHandle(process);
    // The bound of docs/reliability.md (a host killed mid-call), over either transport.
    EXPECT_LT(noticed - std::chrono::steady_clock::time_point(
                            std::chrono::steady_clock::duration(killedAt.load())),
              kDeathBound);
    EXPECT_CONTAINS(e.message(), "(pid " + std::to_string(host.pid()) +
                                     ") was terminated from outside while calls were pending "
                                     "(exit status " + std::to_string(code) + "; ");
    EXPECT_CONTAINS(e.message(), "taskkill /F");
    EXPECT_EQ(e.message().find("exited with status"), std::string::npos);
    EXPECT_FALSE(host.running());
  }
}

// Under Wine, a host's Unix process killed by a signal (`kill -9` on it) ends without a word to
// Windows, which then reports exit code 0. The message must not say "exited with status 0".
TEST_P(WindowsHost, AHostWhoseWineProcessIsKilledIsReportedAsTerminated) {
  if (!test::underWine()) GTEST_SKIP() << "only under Wine has a host a Unix process to kill";
  Host host = Host::spawn(runtime, options());
  auto probe = host.activate<probe::Probe>("probe");
  host.wait(probe.whoamiRequest().send());
  // The host's Wine process is the one whose command line (a Wine process shows its Windows
  // one) has our Windows pid after --parent, and whose wineserver is ours (same prefix).
  int unixPid = test::unixPidOfHost(::GetCurrentProcessId());
  ASSERT_GT(unixPid, 0) << "no Unix process found for the host (pid " << host.pid() << ")";
  auto stuck = probe.sleepRequest();
  stuck.setMilliseconds(30000);
  std::thread killer([unixPid] {
    ::Sleep(300);
    test::runUnixCommand("kill -9 " + std::to_string(unixPid));
  });
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(stuck.send()); });
  killer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_CONTAINS(e.message(), "(pid " + std::to_string(host.pid()) +
                                   ") was terminated from outside while calls were pending "
                                   "(exit status ");
  EXPECT_CONTAINS(e.message(), "under Wine, a signal to its process");
  EXPECT_EQ(e.message().find("exited with status"), std::string::npos);
  EXPECT_FALSE(host.running());
}

TEST_P(WindowsHost, ACallDeadlineTimesOutAndTheHostKeepsServing) {
  HostOptions o = options();
  o.callTimeout = std::chrono::milliseconds(300);
  Host host = Host::spawn(runtime, o);
  auto probe = host.activate<probe::Probe>("probe");
  auto sleep = probe.sleepRequest();
  sleep.setMilliseconds(1500);
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(sleep.send()); });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_CONTAINS(e.message(), "300 ms");
  EXPECT_TRUE(host.running());
  host.wait(probe.whoamiRequest().send(), std::chrono::milliseconds(5000));
}

TEST_P(WindowsHost, ADeadlineCountsFromTheCallAfterTheThreadWasAway) {
  // KJ's IOCP loop caches its time like the epoll one: a thread that slept longer than the
  // deadline must not see its next call fail at once.
  HostOptions o = options();
  o.callTimeout = std::chrono::milliseconds(300);
  Host host = Host::spawn(runtime, o);
  auto probe = host.activate<probe::Probe>("probe");
  for (int i = 0; i < 2; ++i) {
    ::Sleep(700);
    EXPECT_NO_THROW(host.wait(probe.whoamiRequest().send())) << "call " << i;
  }
}

TEST_P(WindowsHost, KillHostEndsAHungHostAndFailsItsPendingCalls) {
  HostOptions o = options();
  o.restart = RestartPolicy::Immediately;
  Host host = Host::spawn(runtime, o);
  uint32_t pid = host.pid();
  auto probe = host.activate<probe::Probe>("probe");
  auto stuck = probe.sleepRequest();
  stuck.setMilliseconds(30000);
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] {
    host.wait(stuck.send(), std::chrono::milliseconds(300), OnCallTimeout::KillHost);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_CONTAINS(e.message(), "killed as hung");
  EXPECT_TRUE(processGoneWithin(pid, std::chrono::seconds(3)));
  EXPECT_EQ(host.restartCount(), 1u);  // RestartPolicy::Immediately: a new host is up
  auto fresh = host.activate<probe::Probe>("probe");
  EXPECT_EQ(host.wait(fresh.whoamiRequest().send()).getPid(), host.pid());
}

TEST_P(WindowsHost, AHostStuckInOneCallIsKilledByTheHangTimeout) {
  // The watchdog thread answers the heartbeat and reports how long the RPC loop has not turned
  // (pokes through a Win32 event); past hangTimeout the client kills the host.
  HostOptions o = options();
  o.heartbeatInterval = std::chrono::milliseconds(100);
  o.hangTimeout = std::chrono::milliseconds(400);
  Host host = Host::spawn(runtime, o);
  auto probe = host.activate<probe::Probe>("probe");
  uint32_t pid = host.pid();
  auto stuck = probe.sleepRequest();
  stuck.setMilliseconds(30000);
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { host.wait(stuck.send()); });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_CONTAINS(e.message(), "stuck in one call");
  EXPECT_FALSE(host.running());
  EXPECT_TRUE(processGoneWithin(pid, std::chrono::seconds(3)));
}

TEST_P(WindowsHost, TheHostExitsWhenItsClientIsKilled) {
  // orphan_client (this bitness) starts a host of GetParam()'s bitness, prints its pid and
  // keeps it in a 60 s call; killing the client must end the host (job object, --parent).
  std::string command = "\"" + std::string(ORPHAN_CLIENT) + "\" \"" +
                        testComponent("probe_component", GetParam()) + "\" " +
                        transportName(GetParam().transport);
  test::expectHostDiesWithItsClient(std::wstring(command.begin(), command.end()), "");
}

TEST_P(WindowsHost, TheHostInheritsNoHandleButItsOwn) {
  // An inheritable pipe of the client's, as an application's own handles may be: if the host
  // inherited its write end, the read end would not see the pipe broken once ours is closed.
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE read = nullptr, write = nullptr;
  ASSERT_TRUE(::CreatePipe(&read, &write, &inheritable, 0));
  Host host = Host::spawn(runtime, options());
  ::CloseHandle(write);
  DWORD available = 0;
  bool broken = !::PeekNamedPipe(read, nullptr, 0, nullptr, &available, nullptr) &&
                ::GetLastError() == ERROR_BROKEN_PIPE;
  ::CloseHandle(read);
  EXPECT_TRUE(broken) << "the host (pid " << host.pid() << ") holds a handle of the client's";
  EXPECT_TRUE(host.running());
}

TEST_P(WindowsHost, BulkDataIsSharedInPlaceAcrossBitness) {
  Host host = Host::spawn(runtime, options());
  auto probe = host.activate<probe::Probe>("probe");
  BulkBuffer buffer = host.allocate(9 << 20);
  uint64_t expected = 0;
  buffer.forEachWindow(0, buffer.size(), 0, [&](BulkView& view, uint64_t offset) {
    probe::probeFill(view.bytes(), offset, 5);
    expected += probe::probeChecksum(view.bytes(), offset);
  });
  auto checksum = probe.checksumRequest();
  toWire(buffer.ref(), checksum.initData());
  checksum.setWindow(1 << 20);
  auto sum = host.wait(checksum.send());
  EXPECT_EQ(sum.getSum(), expected);
  EXPECT_EQ(sum.getWindows(), 9u);

  // The host writes; we see it in place. An offset that is not a multiple of the 64 KiB
  // allocation granularity exercises the aligned mapping.
  auto fill = probe.fillRequest();
  toWire(buffer.ref(12345, 1 << 20), fill.initData());
  fill.setSeed(77);
  host.wait(fill.send());
  std::vector<kj::byte> want(1 << 20);
  probe::probeFill(kj::arrayPtr(want.data(), want.size()), 0, 77);
  BulkView view = buffer.view(12345, 1 << 20);
  EXPECT_EQ(std::memcmp(view.data(), want.data(), want.size()), 0);

  // Out of range: refused, and the host keeps serving.
  auto bad = probe.checksumRequest();
  toWire(BulkRef{buffer.segmentId(), 1, 9 << 20}, bad.initData());
  expectError(ErrorKind::MalformedPeer, [&] { host.wait(bad.send()); });
  host.wait(probe.whoamiRequest().send());
}

TEST_P(WindowsHost, AHealthyHostAnswersItsHeartbeatWhileACallBlocks) {
  HostOptions o = options();
  o.heartbeatInterval = std::chrono::milliseconds(100);
  o.heartbeatTimeout = std::chrono::milliseconds(1000);
  Host host = Host::spawn(runtime, o);
  auto probe = host.activate<probe::Probe>("probe");
  auto sleep = probe.sleepRequest();
  sleep.setMilliseconds(2500);  // longer than the heartbeat timeout: the watchdog thread answers
  host.wait(sleep.send());
  EXPECT_TRUE(host.running());
  host.wait(probe.whoamiRequest().send());
}

TEST_P(WindowsHost, ShutdownEndsTheHost) {
  Host host = Host::spawn(runtime, options());
  uint32_t pid = host.pid();
  host.shutdown();
  EXPECT_TRUE(processGoneWithin(pid, std::chrono::seconds(3)));
}

INSTANTIATE_TEST_SUITE_P(BothBitnessesBothTransports, WindowsHost, test::everyHostCase(),
                         test::hostCaseName);

}  // namespace
}  // namespace bitbridge
