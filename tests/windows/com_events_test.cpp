// Connection-point events of in-process COM objects (issue 17), under Wine: the tests' ActiveX
// DLL (com_inproc/, its _SampleEvents source interface) in hosts of both bitnesses, events
// delivered to a ComEventHandler through ComObject::advise: fired from inside a client's call,
// from the apartment's timer while the client only waits, with a ByRef argument given back,
// unadvised explicitly, by dropping the connection, by the connection closing; and the private
// host of a client killed while advised, or inside a typed handler (mid-event), ends with it.
#include <windows.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "bitbridge/com.h"
#include "bitbridge/host.h"
#include "sample.tlb.capnp.h"
#include "support/start_process-win32.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

constexpr char kSampleClsid[] = "{6d1f7a40-3c1e-4a8b-9b51-1f0c2b7e9a10}";
constexpr char kSampleEventsIid[] = "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A04}";
// The killed-client case runs this program again as the client to kill (ChildAdvisesThenDies).
constexpr char kChildArchVariable[] = "BITBRIDGE_EVENTS_TEST_CHILD_ARCH";
// "advised" (killed between events), "typed-mid-event" (killed inside a typed handler) or
// "client-object-mid-call" (killed inside a client object's handler, the server waiting).
constexpr char kChildModeVariable[] = "BITBRIDGE_EVENTS_TEST_CHILD_MODE";
constexpr char kSampleLogVariable[] = "BITBRIDGE_SAMPLE_LOG";

// What a handler saw: "Ticked(1, tick 1)".
std::string describe(const ComEvent& event) {
  std::string out = event.name + "(";
  for (size_t i = 0; i < event.args.size(); ++i) {
    if (i > 0) out += ", ";
    const ComVariant& arg = event.args[i];
    out += arg.type() == VariantType::BStr ? arg.text() : std::to_string(arg.asInt());
  }
  return out + ")";
}

class ComEvents : public ::testing::TestWithParam<Arch> {
 protected:
  ComEvents() {
    HostOptions options;
    options.legacyLibrary = samplePath;
    host = std::make_unique<Host>(Host::spawn(runtime, options));
  }
  ComObject sample() { return host->createComObjectFromFile(samplePath, kSampleClsid); }
  ComEventHandler recorder(std::vector<std::string>& into) {
    return [&into](ComEvent& event) { into.push_back(describe(event)); };
  }

  std::string samplePath = testComponent("com_sample", GetParam());
  Runtime runtime;
  std::unique_ptr<Host> host;
};

TEST_P(ComEvents, FiredInsideACallTheyArriveInOrderWithTheirArguments) {
  ComObject object = sample();
  std::vector<std::string> events;
  std::vector<int32_t> dispids;
  ComEventConnection connection = object.advise([&](ComEvent& event) {
    events.push_back(describe(event));
    dispids.push_back(event.dispid);
  });
  // The default source interface, from the class's IProvideClassInfo.
  EXPECT_EQ(connection.interfaceName(), "_SampleEvents");
  EXPECT_EQ(connection.interfaceId(), kSampleEventsIid);
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 1);
  // FireTicks raises each event from inside this call; each is delivered before it returns.
  object.call("FireTicks", {4});
  EXPECT_EQ(events, (std::vector<std::string>{"Ticked(1, tick 1)", "Ticked(2, tick 2)",
                                              "Ticked(3, tick 3)", "Ticked(4, tick 4)"}));
  EXPECT_EQ(dispids, (std::vector<int32_t>{1, 1, 1, 1}));
  // By its IID too, and a second sink gets every event as well.
  std::vector<std::string> second;
  ComEventConnection other = object.advise(recorder(second), kSampleEventsIid);
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 2);
  object.call("FireTicks", {2});
  EXPECT_EQ(second, (std::vector<std::string>{"Ticked(1, tick 1)", "Ticked(2, tick 2)"}));
  EXPECT_EQ(events.size(), 6u);
}

TEST_P(ComEvents, AByRefArgumentSetByTheHandlerGoesBackToTheSource) {
  ComObject object = sample();
  std::vector<std::string> events;
  ComEventConnection connection = object.advise([&](ComEvent& event) {
    events.push_back(describe(event));
    // Renaming(newName, ByRef cancel): refuse one name.
    if (event.name == "Renaming" && event.args.at(0).text() == "forbidden") {
      event.args.at(1) = ComVariant(true);
    }
  });
  object.put("Name", "first");
  EXPECT_EQ(object.get("Name").text(), "first");
  object.put("Name", "forbidden");
  EXPECT_EQ(object.get("Name").text(), "first");  // cancelled by the handler
  object.put("Name", "second");
  EXPECT_EQ(object.get("Name").text(), "second");
  EXPECT_EQ(events, (std::vector<std::string>{"Renaming(first, 0)", "Renaming(forbidden, 0)",
                                              "Renaming(second, 0)"}));
}

TEST_P(ComEvents, FiredFromTheApartmentsTimerWhileTheClientOnlyWaits) {
  ComObject object = sample();
  std::vector<std::string> events;
  ComEventConnection connection = object.advise(recorder(events));
  object.call("StartTicking", {3, 20});  // returns at once; WM_TIMER fires later
  ASSERT_TRUE(host->waitUntil([&] { return events.size() >= 3; }, std::chrono::seconds(20)))
      << events.size() << " events";
  EXPECT_EQ(events, (std::vector<std::string>{"Ticked(1, timer 1)", "Ticked(2, timer 2)",
                                              "Ticked(3, timer 3)"}));
  EXPECT_EQ(object.call("Add", {1, 2}).asInt(), 3);
}

TEST_P(ComEvents, UnadviseOrDroppingTheConnectionStopsThemAndReleasesTheSink) {
  ComObject object = sample();
  std::vector<std::string> events;
  ComEventConnection connection = object.advise(recorder(events));
  object.call("FireTicks", {1});
  connection.unadvise();
  EXPECT_FALSE(connection.connected());
  connection.unadvise();  // idempotent
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 0);
  object.call("FireTicks", {3});
  EXPECT_EQ(events.size(), 1u);
  {
    ComEventConnection dropped = object.advise(recorder(events));
    EXPECT_EQ(object.get("AdvisedSinks").asInt(), 1);
  }  // dropped without unadvise: the host unadvises; the release travels ahead of the next call
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 0);
  object.call("FireTicks", {2});
  EXPECT_EQ(events.size(), 1u);
  // Dropping the object while advised: both go, the host keeps serving.
  object.advise(recorder(events));
  object = sample();
  EXPECT_EQ(object.get("LiveObjects").asInt(), 1);
}

TEST_P(ComEvents, AHandlerThatThrowsFailsTheSourcesCallAndBreaksNothing) {
  ComObject object = sample();
  std::vector<std::string> events;
  ComEventConnection connection = object.advise([&](ComEvent& event) {
    events.push_back(describe(event));
    if (event.args.at(0).asInt() == 2) throw std::runtime_error("handler failed on purpose");
  });
  object.call("FireTicks", {2});
  // The source's call to the sink failed as a VB6 handler's error would (the sample notes
  // what Invoke returned), and the source went on.
  EXPECT_EQ(object.get("LastEventResult").asInt(), static_cast<int32_t>(0x80020009));
  EXPECT_CONTAINS(object.get("LastEventError").text(), "handler failed on purpose");
  object.call("FireTicks", {1});
  EXPECT_EQ(object.get("LastEventResult").asInt(), 0);
  EXPECT_EQ(events.size(), 3u);
  EXPECT_EQ(object.call("Add", {2, 3}).asInt(), 5);
  EXPECT_TRUE(host->running());
  object.call("FireTicks", {1});
  EXPECT_EQ(events.size(), 4u);
}

TEST_P(ComEvents, ObjectsWithoutEventsAndUnknownInterfacesAreNamed) {
  ComObject object = sample();
  ComObject items = object.call("MakeItems", {1}).asObject();
  auto ignore = [](ComEvent&) {};
  Error none = expectError(ErrorKind::BadConfiguration, [&] { items.advise(ignore); });
  EXPECT_CONTAINS(none.message(), "IConnectionPointContainer");
  Error unknown = expectError(ErrorKind::NotFound, [&] {
    object.advise(ignore, "{00000000-1111-2222-3333-444444444444}");
  });
  EXPECT_CONTAINS(unknown.message(), "no connection point");
  expectError(ErrorKind::BadConfiguration, [&] { object.advise(ignore, "not an IID"); });
  expectError(ErrorKind::BadConfiguration, [&] { object.advise(nullptr); });
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 0);
  EXPECT_EQ(object.call("Add", {1, 1}).asInt(), 2);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ownPath() {
  char path[MAX_PATH];
  DWORD length = ::GetModuleFileNameA(nullptr, path, MAX_PATH);
  return std::string(path, length);
}

std::string tempLog(const char* what, Arch arch) {
  char temp[MAX_PATH];
  ::GetTempPathA(MAX_PATH, temp);
  std::string log = std::string(temp) + "bitbridge-events-" + what + "-" +
                    std::to_string(::GetCurrentProcessId()) + "-" + std::string(archName(arch)) +
                    ".log";
  std::remove(log.c_str());
  return log;
}

// The connection closing (here: the client asks its host to exit; a shared host's client that
// disconnects is the same teardown) unadvises the sink in the apartment, then releases the
// object: the sample DLL logs both to $BITBRIDGE_SAMPLE_LOG, which the host inherits.
TEST_P(ComEvents, ClosingTheConnectionUnadvisesThenReleasesInTheHost) {
  std::string log = tempLog("close", GetParam());
  ::SetEnvironmentVariableA(kSampleLogVariable, log.c_str());
  HostOptions options;
  options.legacyLibrary = samplePath;
  Host logged = Host::spawn(runtime, options);
  ::SetEnvironmentVariableA(kSampleLogVariable, nullptr);
  ComObject object = logged.createComObjectFromFile(samplePath, kSampleClsid);
  int received = 0;
  ComEventConnection connection = object.advise([&](ComEvent&) { ++received; });
  object.call("FireTicks", {2});
  EXPECT_EQ(received, 2);
  logged.shutdown();  // reaps the host: its log is complete
  std::string text = readFile(log);
  std::remove(log.c_str());
  EXPECT_CONTAINS(text, "advise 1\n");
  EXPECT_CONTAINS(text, "unadvise 1\n");
  EXPECT_CONTAINS(text, "sample destroyed\n");
  EXPECT_LT(text.find("unadvise 1"), text.find("sample destroyed"));
}

// A client killed while advised: a private host serves that client only, and ends with it
// (its watchdog sees the client's process go), so no host is left holding the object and a sink
// nobody answers. The client is this program, run again (ComEventsChild), killing itself in
// `mode` (see kChildModeVariable).
void expectKilledClientsHostEnds(Arch arch, const char* mode,
                                 const std::function<void(const std::string&)>& checkLog = {}) {
  std::string log = tempLog(mode, arch);
  ::SetEnvironmentVariableA(kSampleLogVariable, log.c_str());
  ::SetEnvironmentVariableA(kChildArchVariable, std::string(archName(arch)).c_str());
  ::SetEnvironmentVariableA(kChildModeVariable, mode);
  std::string command = "\"" + ownPath() + "\" --gtest_filter=ComEventsChild.AdvisesThenIsKilled";
  std::wstring wide(command.begin(), command.end());  // a path of the build tree: ASCII
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION child{};
  BOOL started = test::startProcess(nullptr, &wide[0], FALSE, 0, &startup, &child);
  ::SetEnvironmentVariableA(kSampleLogVariable, nullptr);
  ::SetEnvironmentVariableA(kChildArchVariable, nullptr);
  ::SetEnvironmentVariableA(kChildModeVariable, nullptr);
  ASSERT_TRUE(started) << "CreateProcess: " << ::GetLastError();
  ASSERT_EQ(::WaitForSingleObject(child.hProcess, 90000), WAIT_OBJECT_0);
  DWORD status = 0;
  ::GetExitCodeProcess(child.hProcess, &status);
  ::CloseHandle(child.hThread);
  ::CloseHandle(child.hProcess);
  std::string text = readFile(log);
  std::remove(log.c_str());
  ASSERT_EQ(status, 9u) << "the child did not get as far as killing itself:\n" << text;
  if (checkLog) checkLog(text);
  auto at = text.find("host ");
  ASSERT_NE(at, std::string::npos) << text;
  DWORD hostPid = static_cast<DWORD>(std::stoul(text.substr(at + 5)));
  HANDLE hostProcess = ::OpenProcess(SYNCHRONIZE, FALSE, hostPid);
  if (hostProcess != nullptr) {  // null: already gone
    EXPECT_EQ(::WaitForSingleObject(hostProcess, 30000), WAIT_OBJECT_0)
        << "the host of a killed client is still running";
    ::CloseHandle(hostProcess);
  }
}

TEST_P(ComEvents, AKilledClientsPrivateHostEndsWithIt) {
  expectKilledClientsHostEnds(GetParam(), "advised",
                              [](const std::string& log) { EXPECT_CONTAINS(log, "advise 1\n"); });
}

// Killed while the host's apartment waits for its handler's answer: the host's sink stops
// waiting (RPC_E_DISCONNECTED to the source) rather than hanging, and the host ends.
TEST_P(ComEvents, AClientKilledInsideATypedHandlerLeavesNoHost) {
  expectKilledClientsHostEnds(GetParam(), "typed-mid-event",
                              [](const std::string& log) { EXPECT_CONTAINS(log, "advise 1\n"); });
}

// Killed inside its object's handler while the server (SetSink's Sink.Notify) waits: the
// stand-in stops waiting rather than hanging; if the server got as far as noting the call's
// HRESULT before the host ended, it was RPC_E_DISCONNECTED.
TEST_P(ComEvents, AClientKilledInsideItsObjectsCallLeavesNoHost) {
  expectKilledClientsHostEnds(GetParam(), "client-object-mid-call", [](const std::string& log) {
    auto at = log.find("sink call ");
    if (at != std::string::npos) {
      EXPECT_EQ(log.substr(at, 20), "sink call 0x80010108");
    }
  });
}

// The handler of the typed-mid-event child: notes the host's pid, then kills its process while
// the event is being delivered.
class KillingHandler final : public ::SampleEvents::Server {
 public:
  KillingHandler(std::string log, uint32_t hostPid) : log_(std::move(log)), hostPid_(hostPid) {}

 protected:
  kj::Promise<void> ticked(TickedContext) override {
    if (FILE* file = std::fopen(log_.c_str(), "a")) {
      std::fprintf(file, "host %u\n", static_cast<unsigned>(hostPid_));
      std::fclose(file);
    }
    ::TerminateProcess(::GetCurrentProcess(), 9);
    return kj::NEVER_DONE;
  }

 private:
  std::string log_;
  uint32_t hostPid_;
};

// Not a test of its own: the client that AKilledClientsPrivateHostEndsWithIt runs and kills.
TEST(ComEventsChild, AdvisesThenIsKilled) {
  char arch[32];
  char log[MAX_PATH];
  char mode[32];
  if (::GetEnvironmentVariableA(kChildArchVariable, arch, sizeof(arch)) == 0 ||
      ::GetEnvironmentVariableA(kSampleLogVariable, log, sizeof(log)) == 0 ||
      ::GetEnvironmentVariableA(kChildModeVariable, mode, sizeof(mode)) == 0) {
    GTEST_SKIP() << "run by ComEvents.AKilledClientsPrivateHostEndsWithIt";
  }
  Arch which = std::string(arch) == archName(Arch::x86) ? Arch::x86 : Arch::x86_64;
  Runtime runtime;
  HostOptions options;
  options.legacyLibrary = testComponent("com_sample", which);
  Host host = Host::spawn(runtime, options);
  ComObject object = host.createComObjectFromFile(options.legacyLibrary, kSampleClsid);
  if (std::string(mode) == "client-object-mid-call") {
    std::string path = log;
    uint32_t hostPid = host.pid();
    ComVariant sink = ComVariant::clientObject({"Notify"}, [path, hostPid](ComCall&) -> ComVariant {
      if (FILE* file = std::fopen(path.c_str(), "a")) {
        std::fprintf(file, "host %u\n", static_cast<unsigned>(hostPid));
        std::fclose(file);
      }
      ::TerminateProcess(::GetCurrentProcess(), 9);
      return {};
    });
    object.call("SetSink", {sink});  // killed inside
    return;
  }
  if (std::string(mode) == "typed-mid-event") {
    ComEventConnection connection =
        object.advise<::SampleEvents>(kj::heap<KillingHandler>(log, host.pid()));
    object.call("FireTicks", {1});  // killed inside
    return;
  }
  int received = 0;
  ComEventConnection connection = object.advise([&](ComEvent&) { ++received; });
  object.call("FireTicks", {1});
  if (received != 1) return;
  if (FILE* file = std::fopen(log, "a")) {
    std::fprintf(file, "host %u\n", static_cast<unsigned>(host.pid()));
    std::fclose(file);
  }
  ::TerminateProcess(::GetCurrentProcess(), 9);  // no destructor, no unadvise: killed
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComEvents, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
