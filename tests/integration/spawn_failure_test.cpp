// Every way starting a host can go wrong ends in a clear error of the documented kind, quickly,
// with no process left behind.
#include <unistd.h>

#include <chrono>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "host_test_support.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

class SpawnFailure : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_TRUE(test::childPids().empty()) << "a host was left behind"; }
  Runtime runtime;
};

TEST_F(SpawnFailure, ComponentOfOtherBitnessThanRequestedHost) {
  for (Arch arch : {Arch::x86, Arch::x86_64}) {
    Arch other = arch == Arch::x86 ? Arch::x86_64 : Arch::x86;
    HostOptions options;
    options.component = testComponent("probe_component", other);
    options.arch = arch;
    Error e = expectError(ErrorKind::WrongBitness, [&] { Host::spawn(runtime, options); });
    EXPECT_CONTAINS(e.message(), options.component);
    EXPECT_CONTAINS(e.message(), hostExecutableName(arch) + " (" + std::string(archName(arch)) +
                                     ") cannot load it");
    EXPECT_CONTAINS(e.message(), hostExecutableName(other));
  }
}

TEST_F(SpawnFailure, LegacyLibraryOfOtherBitnessThanComponent) {
  HostOptions options;
  options.component = CALC_COMPONENT;
  options.legacyLibrary = testComponent("not_a_component", Arch::x86_64);
  Error e = expectError(ErrorKind::WrongBitness, [&] { Host::spawn(runtime, options); });
  EXPECT_CONTAINS(e.message(), options.legacyLibrary);
  EXPECT_CONTAINS(e.message(), "ELF 64-bit");
  EXPECT_CONTAINS(e.message(), "the x86 component that wraps it");
}

// Without a component, legacyLibrary is a library to bind (Host::bind): its header picks the
// host, and a library no host of the requested architecture can load is refused before spawn.
TEST_F(SpawnFailure, LegacyLibraryWithoutComponentPicksTheHostFromItsHeader) {
  HostOptions options;
  options.legacyLibrary = CALC_LIBRARY;  // 32-bit
  Host host = Host::spawn(runtime, options);
  EXPECT_EQ(host.info().pointerBits, 32u);
  host.shutdown();

  options.arch = Arch::x86_64;
  Error e = expectError(ErrorKind::WrongBitness, [&] { Host::spawn(runtime, options); });
  EXPECT_CONTAINS(e.message(), CALC_LIBRARY);
}

TEST_F(SpawnFailure, EnvironmentHostDirectoryIsAnOverrideNotAHint) {
  ::setenv("BITBRIDGE_HOST_DIR", "/nonexistent-bitbridge-env-hosts", 1);
  HostOptions options;
  options.arch = Arch::x86_64;
  Error e = expectError(ErrorKind::NotFound, [&] { Host::spawn(runtime, options); });
  ::unsetenv("BITBRIDGE_HOST_DIR");
  EXPECT_CONTAINS(e.message(), "/nonexistent-bitbridge-env-hosts/bitbridge-host64");
  EXPECT_EQ(e.message().find("/bin/bitbridge-host64"), std::string::npos) << "fell back";
}

TEST_F(SpawnFailure, ComponentStuckInItsInitialiserTimesOut) {
  HostOptions options;
  options.component = testComponent("slow_start_component", test::otherArch());
  options.startTimeout = std::chrono::milliseconds(500);
  auto start = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { Host::spawn(runtime, options); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_CONTAINS(e.message(), "loading a component");
  EXPECT_CONTAINS(e.message(), "500 ms");
}

TEST_F(SpawnFailure, MissingComponent) {
  HostOptions options;
  options.component = "/opt/vendor/libdoes_not_exist.so";
  Error e = expectError(ErrorKind::NotFound, [&] { Host::spawn(runtime, options); });
  EXPECT_CONTAINS(e.message(), "/opt/vendor/libdoes_not_exist.so");
}

TEST_F(SpawnFailure, NoHostExecutableInTheGivenDirectory) {
  // StartOrder::Automatic is spawn only where there is no COM: the error is spawning's own,
  // with no fallback tried.
  for (StartOrder order : {StartOrder::Automatic, StartOrder::SpawnOnly}) {
    SCOPED_TRACE(startOrderName(order));
    HostOptions options;
    options.arch = Arch::x86;
    options.hostDirectory = "/nonexistent-bitbridge-hosts";
    options.startOrder = order;
    Error e = expectError(ErrorKind::NotFound, [&] { Host::spawn(runtime, options); });
    EXPECT_CONTAINS(e.message(), "bitbridge-host32");
    EXPECT_CONTAINS(e.message(), "/nonexistent-bitbridge-hosts");
    EXPECT_EQ(e.message().find("COM"), std::string::npos) << e.message();
    EXPECT_CONTAINS(e.hint(), "BITBRIDGE_HOST_DIR");
  }
}

// COM exists on Windows only: an order naming it is refused here before anything starts (no
// host process left behind: TearDown), whatever else is wrong with the options.
TEST_F(SpawnFailure, AStartOrderNamingComIsRefusedBeforeAnythingStarts) {
  for (StartOrder order : {StartOrder::ComOnly, StartOrder::SpawnThenCom, StartOrder::ComThenSpawn}) {
    SCOPED_TRACE(startOrderName(order));
    HostOptions options;
    options.component = CALC_COMPONENT;
    options.startOrder = order;
    Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::spawn(runtime, options); });
    EXPECT_CONTAINS(e.message(), "COM activation exists on Windows only");
    EXPECT_CONTAINS(e.message(), "HostOptions::startOrder is StartOrder::");
    EXPECT_CONTAINS(e.hint(), "StartOrder::Automatic");
    options.component = "/opt/vendor/libdoes_not_exist.so";  // the order is refused first
    expectError(ErrorKind::BadConfiguration, [&] { Host::spawn(runtime, options); });
  }
}

TEST_F(SpawnFailure, AValueOutsideStartOrderIsRefused) {
  HostOptions options;
  options.component = CALC_COMPONENT;
  options.startOrder = static_cast<StartOrder>(200);
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::spawn(runtime, options); });
  EXPECT_CONTAINS(e.message(), "holds 200, which is not a StartOrder");
  EXPECT_CONTAINS(e.hint(), "SpawnThenCom");
}

TEST_F(SpawnFailure, ActivateComSaysItIsWindowsOnly) {
  HostOptions options;
  options.component = CALC_COMPONENT;
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::activateCom(runtime, options); });
  EXPECT_CONTAINS(e.message(), "COM activation exists on Windows only");
  EXPECT_CONTAINS(e.hint(), "Host::spawn");
  options.startOrder = StartOrder::SpawnThenCom;  // contradicts activateCom on any platform
  e = expectError(ErrorKind::BadConfiguration, [&] { Host::activateCom(runtime, options); });
  EXPECT_CONTAINS(e.message(), "Host::activateCom starts a host through COM only");
}

TEST_F(SpawnFailure, StartOrderNamesAreReadable) {
  EXPECT_STREQ(startOrderName(StartOrder::Automatic), "automatic");
  EXPECT_STREQ(startOrderName(StartOrder::SpawnThenCom), "spawn then COM");
  EXPECT_STREQ(startOrderName(StartOrder::ComThenSpawn), "COM then spawn");
  EXPECT_STREQ(startOrderName(static_cast<StartOrder>(77)), "not a StartOrder");
}

TEST_F(SpawnFailure, HostThatNeverGreetsTimesOut) {
  test::FakeHostDirectory fake(currentArch(), "silent");
  HostOptions options;
  options.hostDirectory = fake.path();
  options.startTimeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] { Host::spawn(runtime, options); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_CONTAINS(e.message(), "did not complete the handshake within 300 ms");
}

TEST_F(SpawnFailure, HostThatIsNotBitbridgeIsAMalformedPeer) {
  test::FakeHostDirectory fake(currentArch(), "garbage");
  HostOptions options;
  options.hostDirectory = fake.path();
  Error e = expectError(ErrorKind::MalformedPeer, [&] { Host::spawn(runtime, options); });
  EXPECT_CONTAINS(e.message(), "is not a bitbridge peer");
}

TEST_F(SpawnFailure, HostThatExitsBeforeGreetingShowsStatusAndOutput) {
  test::FakeHostDirectory fake(currentArch(), "exit");
  HostOptions options;
  options.hostDirectory = fake.path();
  Error e = expectError(ErrorKind::Disconnected, [&] { Host::spawn(runtime, options); });
  EXPECT_CONTAINS(e.message(), "exited with status 3");
  EXPECT_CONTAINS(e.message(), "cannot initialise the legacy library");
}

TEST_F(SpawnFailure, HostOfTheWrongBitnessUnderTheRightNameIsRefused) {
  // A file named like the other bitness's host but built for ours.
  test::FakeHostDirectory fake(test::otherArch(), "silent");
  HostOptions options;
  options.arch = test::otherArch();
  options.hostDirectory = fake.path();
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::spawn(runtime, options); });
  EXPECT_CONTAINS(e.message(), "not a " + std::string(archName(test::otherArch())) + " host");
}

}  // namespace
}  // namespace bitbridge
