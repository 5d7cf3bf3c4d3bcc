// HostOptions::startOrder under Wine (issue 18, part 5): spawn, COM, one then the other, with
// the fallback logged and the reason given, "neither works" as one error naming both causes and
// both fixes, and orders that cannot be honoured refused before anything starts.
//
// A COM-activated host's log opens with "started by COM"; a spawned host's does not: that tells
// which way started a host. "Cannot spawn" is a hostDirectory without hosts (the
// test components' directory), "cannot activate" an unregistered class. Registers both hosts in
// the prefix's HKLM for the suite and removes them after it (the bitbridge_com_registry lock).
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
using test::runHostCommand;
using test::testComponent;
using test::windowsPath;

class ComStartOrder : public ::testing::TestWithParam<Arch> {
 protected:
  static void SetUpTestSuite() { test::registerBothHosts(); }
  static void TearDownTestSuite() { test::unregisterBothHosts(); }
  // A case that unregistered its class puts it back for the next one.
  void TearDown() override {
    if (test::registeredServer(GetParam()).empty()) {
      EXPECT_EQ(runHostCommand(GetParam(), "--regserver"), 0);
    }
  }

  HostOptions options(StartOrder order) {
    HostOptions o;
    o.component = windowsPath(testComponent("probe_component", GetParam()));
    o.startTimeout = kStartTimeout;
    o.startOrder = order;
    return o;
  }
  static void noHostToSpawn(HostOptions& o) {
    o.hostDirectory = windowsPath(TEST_COMPONENTS_DIR);  // components, no host
  }
  void unregister() { ASSERT_EQ(runHostCommand(GetParam(), "--unregserver"), 0); }
  std::string hostName() const {
    return GetParam() == Arch::x86 ? "bitbridge-host32" : "bitbridge-host64";
  }
  // Whether COM started `host` (else this process spawned it), from the host's own log, which
  // a COM host opens with "started by COM" (a process's parent would not tell: Wine's COM
  // starts a local server from the activating process); and that it serves.
  bool startedByCom(Host& host) {
    auto probe = host.activate<probe::Probe>("probe");
    EXPECT_EQ(host.wait(probe.whoamiRequest().send()).getPid(), host.pid());
    // Every host logs the component's load; a COM host's log says "started by COM" before it.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (host.logTail().find("loaded component") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_CONTAINS(host.logTail(), "loaded component");
    return host.logTail().find("started by COM") != std::string::npos;
  }

  test::KeptLog kept;
  Runtime runtime{RuntimeOptions{kept.logger}};
};

TEST_P(ComStartOrder, AutomaticSpawnsWhenItCan) {
  Host host = Host::spawn(runtime, options(StartOrder::Automatic));
  EXPECT_FALSE(startedByCom(host));
  EXPECT_EQ(kept.text().find("trying COM activation"), std::string::npos) << kept.text();
}

TEST_P(ComStartOrder, AutomaticFallsBackToComWhenTheHostCannotBeFoundAndSaysWhy) {
  HostOptions o = options(StartOrder::Automatic);
  noHostToSpawn(o);
  Host host = Host::spawn(runtime, o);
  EXPECT_TRUE(startedByCom(host));
  EXPECT_EQ(host.arch(), GetParam());
  std::string log = kept.text();
  EXPECT_CONTAINS(log, "warning could not start the " + std::string(archName(GetParam())) +
                           " host by spawning (");
  EXPECT_CONTAINS(log, hostName() + ".exe (the " + std::string(archName(GetParam())) +
                           " host) was not found");
  EXPECT_CONTAINS(log, "; trying COM activation (HostOptions::startOrder: automatic)");
  // The fallback host is supervised as any: its log reaches us.
  EXPECT_CONTAINS(host.logTail(), "started by COM");
  // A restart follows the order again: spawning still fails, COM starts the next host.
  uint32_t first = host.pid();
  host.restart();
  EXPECT_NE(host.pid(), first);
  EXPECT_TRUE(startedByCom(host));
}

TEST_P(ComStartOrder, SpawnThenComSpawnsFirst) {
  Host host = Host::spawn(runtime, options(StartOrder::SpawnThenCom));
  EXPECT_FALSE(startedByCom(host));
}

TEST_P(ComStartOrder, SpawnOnlyNeverFallsBack) {
  HostOptions o = options(StartOrder::SpawnOnly);
  noHostToSpawn(o);
  Error e = expectError(ErrorKind::NotFound, [&] { Host::spawn(runtime, o); });
  EXPECT_CONTAINS(e.message(), hostName() + ".exe (the ");
  EXPECT_EQ(e.message().find("COM"), std::string::npos) << e.message();
  EXPECT_EQ(kept.text().find("trying"), std::string::npos) << kept.text();
}

TEST_P(ComStartOrder, ComOnlyActivatesEvenWhereItCouldSpawn) {
  Host host = Host::spawn(runtime, options(StartOrder::ComOnly));
  EXPECT_TRUE(startedByCom(host));
}

TEST_P(ComStartOrder, ComThenSpawnActivatesFirst) {
  Host host = Host::spawn(runtime, options(StartOrder::ComThenSpawn));
  EXPECT_TRUE(startedByCom(host));
}

TEST_P(ComStartOrder, ComThenSpawnSpawnsWhenTheClassIsNotRegisteredAndSaysWhy) {
  unregister();
  Host host = Host::spawn(runtime, options(StartOrder::ComThenSpawn));
  EXPECT_FALSE(startedByCom(host));
  std::string log = kept.text();
  EXPECT_CONTAINS(log, "could not start the " + std::string(archName(GetParam())) +
                           " host by COM activation (");
  EXPECT_CONTAINS(log, "is not registered");
  EXPECT_CONTAINS(log, "; trying spawning (HostOptions::startOrder: COM then spawn)");
}

TEST_P(ComStartOrder, ComOnlyWithTheClassNotRegisteredIsNotFoundNamingRegserver) {
  unregister();
  Error e = expectError(ErrorKind::NotFound,
                        [&] { Host::spawn(runtime, options(StartOrder::ComOnly)); });
  EXPECT_CONTAINS(e.message(), "is not registered");
  EXPECT_CONTAINS(e.hint(), hostName() + ".exe --regserver");
}

TEST_P(ComStartOrder, NeitherWorkingIsOneErrorNamingBothCausesAndBothFixes) {
  for (StartOrder order : {StartOrder::Automatic, StartOrder::SpawnThenCom, StartOrder::ComThenSpawn}) {
    SCOPED_TRACE(startOrderName(order));
    if (!test::registeredServer(GetParam()).empty()) unregister();
    HostOptions o = options(order);
    noHostToSpawn(o);
    Error e = expectError(ErrorKind::NotFound, [&] { Host::spawn(runtime, o); });
    EXPECT_CONTAINS(e.message(), "no " + std::string(archName(GetParam())) +
                                     " host could be started; ");
    EXPECT_CONTAINS(e.message(), "spawning failed: " + hostName() + ".exe (the ");
    EXPECT_CONTAINS(e.message(), "COM activation failed: the COM class of " + hostName());
    EXPECT_CONTAINS(e.message(), "is not registered");
    // Both fixes: put the host where it is looked for, or register it.
    EXPECT_CONTAINS(e.hint(), "BITBRIDGE_HOST_DIR");
    EXPECT_CONTAINS(e.hint(), hostName() + ".exe --regserver");
    // In the order tried.
    bool spawnFirst = order != StartOrder::ComThenSpawn;
    EXPECT_EQ(e.message().find("spawning failed") < e.message().find("COM activation failed"),
              spawnFirst);
  }
}

TEST_P(ComStartOrder, ActivateComRefusesAnOrderThatIsNotCom) {
  for (StartOrder order : {StartOrder::SpawnOnly, StartOrder::SpawnThenCom, StartOrder::ComThenSpawn}) {
    SCOPED_TRACE(startOrderName(order));
    Error e = expectError(ErrorKind::BadConfiguration,
                          [&] { Host::activateCom(runtime, options(order)); });
    EXPECT_CONTAINS(e.message(), "Host::activateCom starts a host through COM only");
    EXPECT_CONTAINS(e.hint(), "Host::spawn with that startOrder");
  }
  // ComOnly is what activateCom means anyway.
  Host host = Host::activateCom(runtime, options(StartOrder::ComOnly));
  EXPECT_TRUE(startedByCom(host));
}

TEST_P(ComStartOrder, AnOrderNamingComIsRefusedWithTheSharedMemoryTransportBeforeAnythingStarts) {
  for (StartOrder order : {StartOrder::ComOnly, StartOrder::SpawnThenCom, StartOrder::ComThenSpawn}) {
    SCOPED_TRACE(startOrderName(order));
    HostOptions o = options(order);
    o.transport = Transport::SharedMemory;
    Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::spawn(runtime, o); });
    EXPECT_CONTAINS(e.message(), "not over Transport::SharedMemory");
    EXPECT_CONTAINS(e.hint(), "StartOrder::SpawnOnly");
  }
  EXPECT_EQ(kept.text().find("trying"), std::string::npos) << kept.text();
}

TEST_P(ComStartOrder, AValueOutsideStartOrderIsRefused) {
  HostOptions o = options(static_cast<StartOrder>(42));
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::spawn(runtime, o); });
  EXPECT_CONTAINS(e.message(), "holds 42, which is not a StartOrder");
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComStartOrder, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const ::testing::TestParamInfo<Arch>& info) {
                           return std::string(archName(info.param));
                         });

}  // namespace
}  // namespace bitbridge
