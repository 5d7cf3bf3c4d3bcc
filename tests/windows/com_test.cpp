// COM activation of hosts (Host::activateCom, bitbridge-hostNN.exe --regserver / -Embedding)
// under Wine: registration in the prefix's HKLM, activation of each bitness from this bitness,
// the error for a class that is not registered, single use, and a host that ends with its client.
//
// These tests change the prefix's registry: ctest runs them one at a time across both platform
// builds (RESOURCE_LOCK bitbridge_com_registry, tests/windows/CMakeLists.txt). The suite registers
// both hosts before its first test and removes the registration after its last.
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "probe.capnp.h"
#include "support/test_support.h"
#include "windows/com_test_support.h"
#include "windows/windows_test_support.h"
#include "wire/com_ids.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::hostExecutable;
using test::kStartTimeout;
using test::processGoneWithin;
using test::registeredServer;
using test::runHostCommand;
using test::testComponent;
using test::windowsPath;

class ComActivation : public ::testing::TestWithParam<Arch> {
 protected:
  static void SetUpTestSuite() { test::registerBothHosts(); }
  static void TearDownTestSuite() { test::unregisterBothHosts(); }

  HostOptions options() {
    HostOptions o;
    o.component = windowsPath(testComponent("probe_component", GetParam()));
    o.startTimeout = kStartTimeout;
    return o;
  }
  Runtime runtime;
};

TEST_P(ComActivation, RegistrationNamesThisHostInTheSharedRegistryView) {
  // Written with KEY_WOW64_64KEY by either host, read here from either bitness.
  EXPECT_EQ(registeredServer(GetParam()), "\"" + hostExecutable(GetParam()) + "\"");
}

TEST_P(ComActivation, ActivatesAHostOfThatBitnessAndCallsItsComponent) {
  Host host = Host::activateCom(runtime, options());
  EXPECT_EQ(host.arch(), GetParam());
  auto probe = host.activate<probe::Probe>("probe");
  auto who = host.wait(probe.whoamiRequest().send());
  EXPECT_EQ(who.getPointerBits(), GetParam() == Arch::x86 ? 32 : 64);
  EXPECT_EQ(who.getPid(), host.pid());  // the pid the activation reported and the hello confirmed
  EXPECT_NE(who.getPid(), ::GetCurrentProcessId());
  HostInfo info = host.info();
  EXPECT_EQ(info.pid, host.pid());
  ASSERT_EQ(info.components.size(), 1u);

  auto echo = probe.echoRequest();
  kj::byte bytes[] = {1, 2, 3, 250};
  echo.setData(kj::arrayPtr(bytes, sizeof(bytes)));
  EXPECT_EQ(host.wait(echo.send()).getData().size(), sizeof(bytes));
}

TEST_P(ComActivation, TheClientNeedsNoHostExecutableOfItsOwn) {
  // COM starts the registered .exe: a client whose own host lookup would find nothing (a
  // directory without hosts) still activates one. Spawning alone with these options fails.
  HostOptions o = options();
  o.hostDirectory = windowsPath(TEST_COMPONENTS_DIR);  // holds components, no host
  o.startOrder = StartOrder::SpawnOnly;
  expectError(ErrorKind::NotFound, [&] { Host::spawn(runtime, o); });
  o.startOrder = StartOrder::Automatic;
  Host host = Host::activateCom(runtime, o);
  auto probe = host.activate<probe::Probe>("probe");
  EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), host.pid());
}

TEST_P(ComActivation, ARestartActivatesThroughComAgain) {
  // A COM-activated host has a process handle like a spawned one; its restart must still go
  // through COM. With no host executable where the client could spawn one, only COM can start
  // the next host.
  HostOptions o = options();
  o.hostDirectory = windowsPath(TEST_COMPONENTS_DIR);  // holds components, no host
  Host host = Host::activateCom(runtime, o);
  uint32_t first = host.pid();
  host.restart();
  EXPECT_EQ(host.restartCount(), 1u);
  EXPECT_NE(host.pid(), first);
  auto probe = host.activate<probe::Probe>("probe");
  EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), host.pid());
  EXPECT_TRUE(processGoneWithin(first, std::chrono::seconds(5))) << "COM host " << first << " lingers";
}

TEST_P(ComActivation, EachActivationStartsAHostOfItsOwn) {
  // REGCLS_SINGLEUSE: like Host::spawn, never a host some other client already uses.
  uint32_t pids[2] = {};
  {
    Host first = Host::activateCom(runtime, options());
    Host second = Host::activateCom(runtime, options());
    pids[0] = first.pid();
    pids[1] = second.pid();
    EXPECT_NE(first.pid(), second.pid());
    auto a = first.activate<probe::Probe>("probe");
    auto b = second.activate<probe::Probe>("probe");
    EXPECT_EQ(first.wait(a.whoamiRequest().send()).getPid(), first.pid());
    EXPECT_EQ(second.wait(b.whoamiRequest().send()).getPid(), second.pid());
  }
  // Both end, even when one's exit and the other's release of its COM object overlap (a host
  // that left the COM apartment at exit could hang there under Wine).
  for (uint32_t pid : pids) {
    EXPECT_TRUE(processGoneWithin(pid, std::chrono::seconds(5)))
        << "COM host " << pid << " lingers";
  }
}

TEST_P(ComActivation, TheHostExitsOnceItsClientsHostIsDestroyed) {
  uint32_t pid = 0;
  {
    Host host = Host::activateCom(runtime, options());
    pid = host.pid();
    auto probe = host.activate<probe::Probe>("probe");
    host.wait(probe.whoamiRequest().send());
    ASSERT_FALSE(processGoneWithin(pid, std::chrono::milliseconds(0)));
  }
  // The pipe closed: runHost returns and the process ends, whatever COM still holds.
  EXPECT_TRUE(processGoneWithin(pid, std::chrono::seconds(5))) << "COM host " << pid << " lingers";
}

TEST_P(ComActivation, ACrashOfTheActivatedHostIsReportedWithItsExceptionCode) {
  // The host COM started is watched through its process handle like a spawned one.
  Host host = Host::activateCom(runtime, options());
  test::expectProbeCrashReported(host);
}

TEST_P(ComActivation, TheHostExitsWhenItsClientIsKilledEvenInTheMiddleOfACall) {
  // A client of this same test program (the helper below) activates a host, prints its pid and
  // keeps it in a 60 s call; killing that client must end the host. The host's RPC thread is
  // stuck in the call, so it is the watchdog, watching the pipe client's pid, that ends it.
  std::wstring self(MAX_PATH, L'\0');
  self.resize(::GetModuleFileNameW(nullptr, &self[0], static_cast<DWORD>(self.size())));
  std::wstring command = L"\"" + self +
                         L"\" --gtest_also_run_disabled_tests "
                         L"--gtest_filter=ComActivationHelper.DISABLED_HoldAHostInACall";
  ::SetEnvironmentVariableW(L"BITBRIDGE_COM_TEST_ARCH",
                            GetParam() == Arch::x86 ? L"x86" : L"x86_64");
  // gtest's own lines come first; the helper's is "com-host-pid <pid>".
  test::expectHostDiesWithItsClient(command, "com-host-pid ");
}

TEST_P(ComActivation, AnUnregisteredClassIsNotFoundAndTheFixNamesRegserver) {
  ASSERT_EQ(runHostCommand(GetParam(), "--unregserver"), 0);
  EXPECT_EQ(registeredServer(GetParam()), "");
  EXPECT_EQ(runHostCommand(GetParam(), "--unregserver"), 0);  // nothing to remove: still fine
  Error e = expectError(ErrorKind::NotFound, [&] { Host::activateCom(runtime, options()); });
  std::string host = GetParam() == Arch::x86 ? "bitbridge-host32" : "bitbridge-host64";
  EXPECT_CONTAINS(e.message(), "is not registered");
  EXPECT_CONTAINS(e.message(), "0x80040154");
  EXPECT_CONTAINS(e.hint(), host + ".exe --regserver");
  // Put it back for the cases that follow (the suite's registration).
  ASSERT_EQ(runHostCommand(GetParam(), "--regserver"), 0);
  Host again = Host::activateCom(runtime, options());
  EXPECT_EQ(again.arch(), GetParam());
}

TEST_P(ComActivation, TheSharedMemoryTransportIsRefusedBeforeAnythingStarts) {
  HostOptions o = options();
  o.transport = Transport::SharedMemory;
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::activateCom(runtime, o); });
  EXPECT_CONTAINS(e.hint(), "Transport::Socket");
}

// Not a test: the client process of TheHostExitsWhenItsClientIsKilledEvenInTheMiddleOfACall,
// run by it (disabled, so that only an explicit filter runs it). Never returns normally.
TEST(ComActivationHelper, DISABLED_HoldAHostInACall) {
  wchar_t arch[16] = {};
  ::GetEnvironmentVariableW(L"BITBRIDGE_COM_TEST_ARCH", arch, 16);
  Arch hostArch = std::wstring(arch) == L"x86" ? Arch::x86 : Arch::x86_64;
  Runtime runtime;
  HostOptions o;
  o.component = windowsPath(testComponent("probe_component", hostArch));
  o.startTimeout = kStartTimeout;
  Host host = Host::activateCom(runtime, o);
  auto probe = host.activate<probe::Probe>("probe");
  host.wait(probe.whoamiRequest().send());
  auto sleep = probe.sleepRequest();
  sleep.setMilliseconds(60000);
  auto pending = sleep.send();
  // Turn the event loop for a while, so that the call is written and the host is inside it
  // (from then on its RPC thread cannot notice the pipe closing).
  runtime.io().provider->getTimer().afterDelay(500 * kj::MILLISECONDS).wait(runtime.waitScope());
  std::printf("com-host-pid %u\n", host.pid());
  std::fflush(stdout);
  host.wait(kj::mv(pending));
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComActivation, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const ::testing::TestParamInfo<Arch>& info) {
                           return std::string(archName(info.param));
                         });

}  // namespace
}  // namespace bitbridge
