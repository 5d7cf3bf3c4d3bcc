// COM objects in shared hosts (issue 17, part 7), under Wine, with the tests' ActiveX DLL
// (com_inproc/) in hosts of both bitnesses:
// - a shared host runs every client's objects in one apartment, so the DLL's module variable
//   (kept per apartment thread, as VB6 keeps a .bas module's) is one for all clients, in this
//   process and in real client processes of both bitnesses (examples/activex-client's
//   activex-shared-client32/64); Host::sharedComObject gives every client one object per key;
//   each client's own objects are released when it disconnects, and the host still leaves on
//   its idle timeout.
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bitbridge/com.h"
#include "bitbridge/host.h"
#include "common/platform/text-win32.h"
#include "support/test_support.h"
#include "windows/program_run.h"
#include "windows/windows_test_support.h"

namespace bitbridge {
namespace {

using namespace std::chrono_literals;
using test::expectError;
using test::fileExists;
using test::processGoneWithin;
using test::Program;
using test::ProgramRun;
using test::testComponent;

constexpr char kSampleClsid[] = "{6d1f7a40-3c1e-4a8b-9b51-1f0c2b7e9a10}";
constexpr auto kIdle = 300ms;

// The DLL's live Sample objects, as one of them counts them; polled, since a disconnect is
// handled by the host after the client has gone.
bool liveObjectsBecome(ComObject& object, int64_t expected) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    if (object.get("LiveObjects").asInt() == expected) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
}

class ComSharedHost : public ::testing::TestWithParam<Arch> {
 protected:
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string letters;
    for (char c : test) {
      if (std::isalnum(static_cast<unsigned char>(c))) letters += c;
    }
    name_ = "c" + std::to_string(::GetCurrentProcessId()) + "-" + letters.substr(0, 40);
  }
  // Every host a test saw leaves on its idle timeout, shared COM objects or not.
  void TearDown() override {
    for (uint32_t pid : hosts_) {
      EXPECT_TRUE(processGoneWithin(pid, 15s)) << "shared host " << pid << " did not exit";
    }
  }
  HostOptions options() const {
    HostOptions o;
    o.legacyLibrary = samplePath;  // the DLL's header picks the host
    o.sharedName = name_;
    o.idleTimeout = kIdle;
    o.startTimeout = 30s;
    return o;
  }
  Host connect(Runtime& runtime) {
    Host host = Host::connectShared(runtime, options());
    hosts_.insert(host.pid());
    return host;
  }

  std::string samplePath = testComponent("com_sample", GetParam());
  std::string name_;
  std::set<uint32_t> hosts_;
};

TEST_P(ComSharedHost, ClientsShareTheApartmentModuleVariablesAndKeyedObjects) {
  Runtime runtime;
  Host a = connect(runtime);
  Host b = connect(runtime);
  ASSERT_EQ(a.pid(), b.pid());
  EXPECT_EQ(a.arch(), GetParam());
  ComObject fromA = a.createComObjectFromFile(samplePath, kSampleClsid);
  ComObject fromB = b.createComObjectFromFile(samplePath, kSampleClsid);
  // Two objects of their own, one module variable: the DLL keeps it per apartment thread.
  fromA.put("Shared", 7);
  EXPECT_EQ(fromB.get("Shared").asInt(), 7);
  fromB.put("Name", "b's own");
  EXPECT_EQ(fromA.get("Name").text(), "");

  // One object per key: created by the first client, the same one for the next.
  ComObject ledgerA = a.sharedComObjectFromFile("ledger", samplePath, kSampleClsid);
  ledgerA.put("Name", "acme");
  ComObject ledgerB = b.sharedComObjectFromFile("ledger", samplePath, kSampleClsid);
  EXPECT_EQ(ledgerB.get("Name").text(), "acme");
  EXPECT_EQ(fromA.get("LiveObjects").asInt(), 3);  // fromA, fromB, the ledger
  // The key holds its class: another one is refused, naming both.
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { b.sharedComObject("ledger", "Scripting.Dictionary"); });
  EXPECT_CONTAINS(e.message(), "'ledger' is a " + std::string(kSampleClsid));
  EXPECT_CONTAINS(e.message(), "not a Scripting.Dictionary");
  expectError(ErrorKind::BadConfiguration,
              [&] { b.sharedComObjectFromFile(std::string(300, 'k'), samplePath, kSampleClsid); });
  expectError(ErrorKind::BadConfiguration, [&] { b.sharedComObject("", "Scripting.Dictionary"); });
  // A class that cannot be created leaves its key free for the next try.
  expectError(ErrorKind::NotFound, [&] { b.sharedComObject("spare", "No.Such.Class"); });
  EXPECT_EQ(b.sharedComObject("spare", "Scripting.Dictionary").get("Count").asInt(), 0);

  // Events of a shared object reach the client that advised, whoever made the object fire.
  int ticksAtB = 0;
  ComEventConnection events = ledgerB.advise([&](ComEvent& event) {
    if (event.name == "Ticked") ++ticksAtB;
  });
  ledgerA.call("FireTicks", {2});
  EXPECT_EQ(ticksAtB, 2);
  EXPECT_EQ(ledgerA.get("AdvisedSinks").asInt(), 1);

  // b disconnects: its own object and its sink go, the keyed object stays for the others.
  {
    ComEventConnection droppedEvents = std::move(events);
    ComObject dropped = std::move(fromB);
    ComObject droppedLedger = std::move(ledgerB);
    Host gone = std::move(b);
  }
  EXPECT_TRUE(liveObjectsBecome(fromA, 2));  // fromA and the ledger
  for (int i = 0; i < 100 && ledgerA.get("AdvisedSinks").asInt() != 0; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(ledgerA.get("AdvisedSinks").asInt(), 0);
  EXPECT_EQ(a.sharedComObjectFromFile("ledger", samplePath, kSampleClsid).get("Name").text(), "acme");
}

// Keyed objects asked for at the same moment by clients on several threads: one object.
TEST_P(ComSharedHost, ClientsAskingForOneKeyAtOnceGetOneObject) {
  Runtime runtime;
  Host watcher = connect(runtime);
  ComObject counter = watcher.createComObjectFromFile(samplePath, kSampleClsid);
  std::vector<std::thread> threads;
  std::vector<std::string> failures(4);
  for (size_t i = 0; i < failures.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        Runtime own;
        Host host = Host::connectShared(own, options());
        ComObject racer = host.sharedComObjectFromFile("race", samplePath, kSampleClsid);
        racer.call("Add", {1, 1});
      } catch (const std::exception& error) {
        failures[i] = error.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) EXPECT_EQ(failure, "");
  EXPECT_TRUE(liveObjectsBecome(counter, 2));  // counter and the one "race" object
}

// Real client processes of both bitnesses, one after the other, on the host this test keeps up.
TEST_P(ComSharedHost, ClientProcessesOfBothBitnessesSeeOneState) {
  auto client = [](unsigned bits) {
    return std::string(bits == 32 ? ACTIVEX_CLIENT_DIR_X86 : ACTIVEX_CLIENT_DIR_X86_64) +
           "/activex-shared-client" + std::to_string(bits) + ".exe";
  };
  for (unsigned bits : {32u, 64u}) {
    if (!fileExists(client(bits))) GTEST_SKIP() << client(bits) << " is not built (examples are off)";
  }
  Runtime runtime;
  Host host = connect(runtime);
  auto run = [&](unsigned bits, const std::string& put) {
    std::string command = "\"" + client(bits) + "\" --name " + name_ + " --idle-timeout 300" +
                          (put.empty() ? "" : " --put " + put) + " \"" + samplePath + "\" " +
                          kSampleClsid;
    ProgramRun result = Program(widen(command)).finish();
    EXPECT_EQ(result.status, 0u) << result.output;
    EXPECT_CONTAINS(result.output, "client: " + std::to_string(bits) + "-bit");
    EXPECT_CONTAINS(result.output, "-bit pid " + std::to_string(host.pid()) + " (shared host");
    return result.output;
  };
  std::string first = run(32, "from32");
  EXPECT_CONTAINS(first, "module: (empty) -> from32");
  EXPECT_CONTAINS(first, "keyed:  -> from32");
  std::string second = run(64, "from64");
  EXPECT_CONTAINS(second, "module: from32 -> from64");
  EXPECT_CONTAINS(second, "keyed: from32 -> from64");
  std::string third = run(32, "");
  EXPECT_CONTAINS(third, "module: from64 -> from64");
  EXPECT_CONTAINS(third, "keyed: from64 -> from64");

  // This client sees the same; the clients' own objects went with them.
  ComObject mine = host.createComObjectFromFile(samplePath, kSampleClsid);
  EXPECT_EQ(mine.get("Shared").text(), "from64");
  EXPECT_EQ(host.sharedComObjectFromFile("ledger", samplePath, kSampleClsid).get("Name").text(),
            "from64");
  EXPECT_TRUE(liveObjectsBecome(mine, 2));  // mine and the ledger
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComSharedHost, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
