// Drop-in proxies (bitbridge_add_proxy, `bitbridge proxy`), end to end with real processes: the
// unchanged C program of examples/legacy-calc-proxy, 64-bit, linked against the proxy made from
// calc.capnp and legacy_calc.h, calling the 32-bit library in bitbridge-host32; the same source
// linked against the real library in a 32-bit build, for comparison; the failure paths (library
// missing, no host, a bad setting: the declared error value, errno and the log line; no
// declaration: a logged abort); and the generator's refusals.
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <string>
#include <thread>

#include <capnp/schema-parser.h>
#include <gtest/gtest.h>
#include <kj/filesystem.h>

#include "bitbridge/error.h"
#include "client/proxy/proxy_plan.h"

#include "support/temp_dir.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::TempDir;

struct ProgramRun {
  int status = -1;  // exit status, or -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `env <env> <program> <args>`, capturing stdout and stderr; `onLine` (if set) sees each
// line of stdout as it comes, while the program runs.
ProgramRun run(const std::string& program, const std::string& env = "", const std::string& args = "",
               const std::function<void(const std::string&)>& onLine = {}) {
  TempDir dir("bitbridge-proxy-run");
  std::string errFile = dir / "stderr";
  std::string command = "env " + env + " " + shellQuote(program) + " " + args + " 2>" + shellQuote(errFile);
  ProgramRun r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    r.out += buffer;
    if (onLine) onLine(buffer);
  }
  int status = ::pclose(pipe);
  if (WIFEXITED(status)) {
    r.status = WEXITSTATUS(status);
    // `env` runs the program in its own process: a signal shows as the shell's 128 + n.
    if (r.status > 128) r.signal = r.status - 128;
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  r.err = readFile(errFile);
  return r;
}

// Every line but the first (which says the program's own bitness).
std::string afterFirstLine(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? std::string() : s.substr(nl + 1);
}

// Runs `program` and expects it to succeed and print each of `lines`.
void expectAnswers(const char* program, std::initializer_list<const char*> lines) {
  ProgramRun r = run(program);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  for (const char* line : lines) EXPECT_CONTAINS(r.out, line);
}

TEST(Proxy, UnchangedProgramCalls32BitLibraryFrom64Bit) {
  expectAnswers(LEGACY_CALC_PROGRAM, {"program: 64-bit, library: 32-bit legacy_calc 1.4.2",
                                      "add(2, 40) = 42 (status 0)",
                                      "divide(1, 0): status 3 (division by zero)",
                                      "total = 5000000001", "scaled = 10 20 30 40",
                                      "greet: Hello, world, from calculator 'demo' (32-bit)",
                                      "all answers right"});
}

TEST(Proxy, ProgramAgainstProxyAnswersAsAgainstTheRealLibrary) {
  ProgramRun proxied = run(LEGACY_CALC_PROGRAM);
  ProgramRun real = run(LEGACY_CALC_PROGRAM32);
  ASSERT_EQ(real.status, 0) << real.out << real.err;
  EXPECT_CONTAINS(real.out, "program: 32-bit, library: 32-bit");
  EXPECT_EQ(afterFirstLine(proxied.out), afterFirstLine(real.out));
}

TEST(Proxy, MissingLibraryGivesTheDeclaredErrorErrnoAndLogLine) {
  TempDir dir("bitbridge-proxy-missing");
  std::string missing = dir / "liblegacy_calc.so";
  ProgramRun r = run(LEGACY_CALC_PROGRAM, "BITBRIDGE_PROXY_LEGACY_CALC_LIBRARY=" + shellQuote(missing));
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  // CALC_E_NOMEM and EIO, as calc.capnp's $C.onFailure says; calc_strerror's own declared text.
  EXPECT_CONTAINS(r.out, "calc_open failed: status 2 (calc library unavailable (see the bitbridge log)), errno 5");
  EXPECT_CONTAINS(r.err, "proxy legacy_calc: calc_open failed; returning its declared failure "
                         "(result = CALC_E_NOMEM, errno = EIO):");
  EXPECT_CONTAINS(r.err, "binding " + missing + " (from BITBRIDGE_PROXY_LEGACY_CALC_LIBRARY)");
}

TEST(Proxy, NoHostGivesTheDeclaredErrorAndNamesTheHost) {
  TempDir empty("bitbridge-proxy-nohost");
  ProgramRun r = run(LEGACY_CALC_PROGRAM, "BITBRIDGE_HOST_DIR=" + shellQuote(empty.str()));
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_CONTAINS(r.out, "calc_open failed: status 2");
  EXPECT_CONTAINS(r.err, "calc_open failed; returning its declared failure");
  EXPECT_CONTAINS(r.err, "bitbridge-host32");
}

TEST(Proxy, MalformedSettingIsNamedInTheLog) {
  ProgramRun r = run(LEGACY_CALC_PROGRAM, "BITBRIDGE_CALL_TIMEOUT_MS=soon");
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_CONTAINS(r.err, "BITBRIDGE_CALL_TIMEOUT_MS is 'soon', not a number of milliseconds");
}

TEST(Proxy, WellFormedTimeoutSettingsAreAccepted) {
  ProgramRun r = run(LEGACY_CALC_PROGRAM, "BITBRIDGE_CALL_TIMEOUT_MS=30000 BITBRIDGE_START_TIMEOUT_MS=30000");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_CONTAINS(r.out, "all answers right");
}

// A call into the library that outlives BITBRIDGE_CALL_TIMEOUT_MS: the program gets the declared
// failure (-1, ETIMEDOUT) in about the deadline, not after the library's 30 s; the hung host is
// killed; the next call runs in a new host and answers right.
TEST(Proxy, CallOutlivingTheCallTimeoutFailsAsDeclaredAndTheNextCallGetsANewHost) {
  ProgramRun r = run(PROXY_SLEEPY_PROGRAM, "BITBRIDGE_CALL_TIMEOUT_MS=500", "30000 7");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  std::string timedOut = "sleep(30000) = -1, errno " + std::to_string(ETIMEDOUT) + ", took ";
  auto at = r.out.find(timedOut);
  ASSERT_NE(at, std::string::npos) << r.out << r.err;
  long tookMs = std::stol(r.out.substr(at + timedOut.size()));
  EXPECT_GE(tookMs, 500) << r.out;
  EXPECT_LT(tookMs, 15000) << "the deadline did not end the call: " << r.out;
  EXPECT_CONTAINS(r.out, "sleep(7) = 7, errno 0");
  EXPECT_CONTAINS(r.err, "bt_sleep_ms failed; returning its declared failure (result = -1, errno = ETIMEDOUT)");
  EXPECT_CONTAINS(r.err, "killed as hung");
  EXPECT_CONTAINS(r.err, "500 ms");
  EXPECT_CONTAINS(r.err, "is gone; starting a new one");
}

TEST(Proxy, CallsFromManyThreadsRaceToStartOneHost) {
  ProgramRun r = run(PROXY_THREADS_PROGRAM, "BITBRIDGE_LOG=info");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_CONTAINS(r.out, "4 threads x 50 calls: all right");
  // One host for the process, started once.
  size_t first = r.err.find("bound in host pid");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("bound in host pid", first + 1), std::string::npos) << r.err;
}

TEST(Proxy, UndeclaredFailureIsLoggedAndAborts) {
  ProgramRun ok = run(PROXY_STRICT_PROGRAM);
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_CONTAINS(ok.out, "library: 32-bit legacy_calc 1.4.2");

  TempDir dir("bitbridge-proxy-strict");
  ProgramRun r = run(PROXY_STRICT_PROGRAM, "BITBRIDGE_PROXY_LEGACY_CALC_LIBRARY=" + shellQuote(dir / "gone.so"));
  EXPECT_EQ(r.signal, SIGABRT) << r.status << r.out << r.err;
  EXPECT_CONTAINS(r.err, "proxy legacy_calc: calc_pointer_bits failed, and proxy_strict.capnp declares "
                         "no $C.onFailure for it");
  EXPECT_CONTAINS(r.err, "gone.so");
  EXPECT_EQ(r.out.find("library:"), std::string::npos) << r.out;
}

// `bitbridge proxy` on interface `iface` of `schema`, with a header it never reads (it refuses,
// or writes the source to stdout).
ProgramRun generateFrom(const char* schema, const std::string& iface) {
  return run(BITBRIDGE_CLI, "",
             "proxy " + shellQuote(schema) + " --interface " + iface + " --header vendor.h -I " +
                 shellQuote(CAPNP_INCLUDE_DIR) + " -I " + shellQuote(BITBRIDGE_SCHEMA_DIR));
}

// Callbacks for the call are taken (proxy_callbacks.capnp, run by proxy.callbacks_other_bitness),
// and stored ones (proxy_stored.capnp, proxy.stored_*); a stored one whose $C.releasedBy names
// no method and a callback taking a struct are refused by name.
// Generates from proxy_refused.capnp's `iface`; expects a refusal containing `message`.
void expectRefused(const std::string& iface, const std::string& message);

TEST(Proxy, GeneratorTakesCallbacksAndRefusesMalformedOnes) {
  ProgramRun ok = generateFrom(PROXY_CALLBACKS_SCHEMA, "ProxyCallbacks");
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_CONTAINS(ok.out, "cb_each(bp::Arg<decltype(&::cb_each), 0> a0");

  ProgramRun stored = generateFrom(PROXY_STORED_SCHEMA, "ProxyStored");
  EXPECT_EQ(stored.status, 0) << stored.err;
  EXPECT_CONTAINS(stored.out, "cb_set_handler(bp::Arg<decltype(&::cb_set_handler), 0> a0");
  EXPECT_CONTAINS(stored.out, "std::atexit([] { proxyState().programExiting(); })");

  // Without --interface: the one interface that is no other's callback parameter.
  ProgramRun picked = run(BITBRIDGE_CLI, "",
                          "proxy " + shellQuote(PROXY_STORED_SCHEMA) + " --header vendor.h -I " +
                              shellQuote(CAPNP_INCLUDE_DIR) + " -I " + shellQuote(BITBRIDGE_SCHEMA_DIR));
  EXPECT_EQ(picked.status, 0) << picked.err;
  EXPECT_CONTAINS(picked.out, "cb_set_handler(bp::Arg<decltype(&::cb_set_handler), 0> a0");
  // Several library interfaces (bind_callback.capnp has BindCallbacks, LibcSort, ...): named.
  ProgramRun several = run(BITBRIDGE_CLI, "",
                           "proxy " + shellQuote(BIND_CALLBACK_SCHEMA) + " --header vendor.h -I " +
                               shellQuote(CAPNP_INCLUDE_DIR) + " -I " + shellQuote(BITBRIDGE_SCHEMA_DIR));
  EXPECT_EQ(several.status, 1) << several.out;
  EXPECT_CONTAINS(several.err, "that no other one takes as a callback; choose one with --interface");

  ProgramRun r = generateFrom(BIND_CALLBACK_SCHEMA, "ReleasedByNothing");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_CONTAINS(r.err, "ReleasedByNothing.f: parameter 'cb': $C.releasedBy(\"nope\") names no method "
                         "of ReleasedByNothing");

  // A comparator of structs (const Elem*, qsort's): converted.
  ProgramRun elem = generateFrom(BIND_CALLBACK_SCHEMA, "LibcSort");
  EXPECT_EQ(elem.status, 0) << elem.out << elem.err;
  EXPECT_CONTAINS(elem.out, "qsort(bp::Arg<decltype(&::qsort), 0> a0");
  // A struct with a pointer member, and a list, as a callback's parameter: refused by name.
  expectRefused("CallbackStructWithText",
                "CallbackStructWithText.visit: parameter 'cb' (NamedVisitor.visit): parameter 'n': struct "
                "Named, field 'label': a pointer inside a struct a callback receives is not converted by "
                "proxies yet");
  ProgramRun list = generateFrom(PROXY_REFUSED_SCHEMA, "CallbackList");
  EXPECT_EQ(list.status, 1) << list.out << list.err;
  EXPECT_CONTAINS(list.err, "CallbackList.visit: parameter 'cb' (ListVisitor.visit): parameter 'xs': a "
                            "callback's parameter of this type (a list or capability) is not converted "
                            "by proxies, nor by Host::bind");
}

// A program that returns from main while the library fires its handlers from a thread of its
// own (proxy_stored_program.c exit-live): it exits at once, and its host follows (the channel's
// EOF), leaving no process behind.
// Whether host process `pid` is gone (or its pid reused by another program), within 10 s.
bool hostGone(const std::string& pid) {
  for (int i = 0; i < 1000; ++i) {
    std::string cmdline = readFile("/proc/" + pid + "/cmdline");
    if (cmdline.find("bitbridge-host") == std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// The number after `label` in `out`, as text ("" if absent).
std::string numberAfter(const std::string& out, const std::string& label) {
  auto at = out.find(label);
  return at == std::string::npos ? std::string() : std::to_string(std::stol(out.substr(at + label.size())));
}

// proxy_stored_program in `mode`: it must exit 0 within `limit`, saying `says`.
ProgramRun runStored(const std::string& env, const std::string& mode, const std::string& says,
                     std::chrono::seconds limit) {
  auto start = std::chrono::steady_clock::now();
  ProgramRun r = run(PROXY_STORED_PROGRAM, env, mode);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_CONTAINS(r.out, says);
  EXPECT_LT(took, limit);
  return r;
}

// A call from inside a handler, fired from the library's thread while the program makes no call,
// hangs in the library: its own deadline kills the host; the program goes on with a new host, and
// when it exits no host of its is left.
TEST(Proxy, HungCallFromInsideAHandlerIsKilledAtItsDeadlineAndLeavesNoHost) {
  ProgramRun r = runStored("BITBRIDGE_CALL_TIMEOUT_MS=1500", "hang-inside",
                           "sleep(120000) from inside a handler, no call running: -999, errno 5",
                           std::chrono::seconds(30));
  EXPECT_CONTAINS(r.err, "was killed as hung: a call from inside a callback did not complete within 1500 ms");
  std::string killed = numberAfter(r.out, "after host pid ");
  std::string next = numberAfter(r.out, "new host pid ");
  ASSERT_FALSE(killed.empty() || next.empty()) << r.out;
  EXPECT_TRUE(hostGone(killed)) << "the hung host pid " << killed << " still runs";
  EXPECT_TRUE(hostGone(next)) << "host pid " << next << " still runs after its program exited";
}

// The same call with no deadline, its host frozen (SIGSTOP) while the program makes no call: the
// heartbeat finds it, the host is killed and the call fails as declared.
TEST(Proxy, FrozenHostInACallFromInsideAHandlerIsKilledByTheHeartbeat) {
  std::string frozen;
  auto start = std::chrono::steady_clock::now();
  ProgramRun r = run(PROXY_STORED_PROGRAM, "", "hang-inside", [&](const std::string& line) {
    std::string pid = numberAfter(line, "firing at host pid ");
    if (!pid.empty() && frozen.empty()) {
      frozen = pid;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the handler's call is in the library
      ::kill(std::stoi(pid), SIGSTOP);
    }
  });
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(frozen.empty()) << r.out << r.err;
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_CONTAINS(r.err, "bitbridge-host32 (pid " + frozen + ") did not answer its heartbeat");
  EXPECT_CONTAINS(r.out, "sleep(120000) from inside a handler, no call running: -999, errno 5");
  EXPECT_LT(took, std::chrono::seconds(30));
  EXPECT_TRUE(hostGone(frozen)) << "the frozen host pid " << frozen << " still runs";
}

TEST(Proxy, ProgramExitingWithHandlersFiringLeavesNoHost) {
  ProgramRun r = runStored("", "exit-live", "exiting with handlers registered and firing",
                           std::chrono::seconds(20));
  std::string pid = numberAfter(r.out, "host pid ");
  ASSERT_FALSE(pid.empty()) << r.out;
  EXPECT_TRUE(hostGone(pid)) << "host pid " << pid << " still runs after its program exited";
}

TEST(Proxy, GeneratorWritesOneExportPerMethod) {
  ProgramRun r = run(BITBRIDGE_CLI, "",
              "proxy " + shellQuote(LEGACY_CALC_PROXY_SCHEMA) + " --header legacy_calc.h -I " +
                  shellQuote(CAPNP_INCLUDE_DIR) + " -I " + shellQuote(BITBRIDGE_SCHEMA_DIR));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.out, "#include \"legacy_calc.h\"");
  EXPECT_CONTAINS(r.out, "calc_greet(bp::Arg<decltype(&::calc_greet), 0> a0");
  EXPECT_CONTAINS(r.out, "return static_cast<R>(CALC_E_NOMEM);");
  EXPECT_CONTAINS(r.out, "errno = (EIO);");
  ProgramRun usage = run(BITBRIDGE_CLI, "", "proxy " + shellQuote(LEGACY_CALC_PROXY_SCHEMA));
  EXPECT_EQ(usage.status, 2);
  EXPECT_CONTAINS(usage.err, "--header");
}

// The check that holds a proxy's C types (from the vendor header, measured by the program's
// compiler) to the schema, in-process: what a proxy whose header and schema drifted apart logs.
// Interface `name` of the schema file at `path`, parsed in-process (its nodes live as long as
// `parser`).
capnp::InterfaceSchema parseInterface(capnp::SchemaParser& parser, const char* path, const char* name) {
  auto fs = kj::newDiskFilesystem();
  auto capnpDir = fs->getRoot().openSubdir(fs->getCurrentPath().eval(CAPNP_INCLUDE_DIR));
  auto bitbridgeDir = fs->getRoot().openSubdir(fs->getCurrentPath().eval(BITBRIDGE_SCHEMA_DIR));
  const kj::ReadableDirectory* dirs[2] = {capnpDir.get(), bitbridgeDir.get()};
  auto file = parser.parseFromDirectory(fs->getRoot(), fs->getCurrentPath().eval(path), kj::arrayPtr(dirs, 2));
  return file.getNested(name).asInterface();
}

TEST(Proxy, HeaderTypesAreCheckedAgainstTheSchema) {
  capnp::SchemaParser parser;
  auto iface = parseInterface(parser, LEGACY_CALC_PROXY_SCHEMA, "LegacyCalc");
  auto add = iface.getMethodByName("add");
  cbind::StructLayouts structs;
  proxy::MethodPlan plan = proxy::planMethod(iface, add, structs);
  EXPECT_EQ(plan.symbol, "calc_add");

  struct Opaque;
  using Right = int32_t (*)(Opaque*, int32_t, int32_t, int32_t*);
  EXPECT_NO_THROW(proxy::checkCTypes(plan, proxy::methodSpec<Right>("calc_add", 2, true, ""), "calc.capnp"));

  using WideA = int32_t (*)(Opaque*, int64_t, int32_t, int32_t*);
  try {
    proxy::checkCTypes(plan, proxy::methodSpec<WideA>("calc_add", 2, true, ""), "calc.capnp");
    ADD_FAILURE() << "an 8-byte 'a' was accepted for Int32";
  } catch (const Error& e) {
    EXPECT_CONTAINS(e.what(), "calc_add: parameter 2 ('a') is Int32 in calc.capnp (LegacyCalc.add) "
                              "but a signed integer of 8 bytes in the library's header");
  }
  using OutByValue = int32_t (*)(Opaque*, int32_t, int32_t, int32_t);
  EXPECT_THROW(proxy::checkCTypes(plan, proxy::methodSpec<OutByValue>("calc_add", 2, true, ""), "calc.capnp"), Error);
  using Fewer = int32_t (*)(Opaque*, int32_t, int32_t);
  EXPECT_THROW(proxy::checkCTypes(plan, proxy::methodSpec<Fewer>("calc_add", 2, true, ""), "calc.capnp"), Error);
  using VoidResult = void (*)(Opaque*, int32_t, int32_t, int32_t*);
  EXPECT_THROW(proxy::checkCTypes(plan, proxy::methodSpec<VoidResult>("calc_add", 2, true, ""), "calc.capnp"), Error);
}

// A struct in the vendor's header is held to the schema's layout in the program's ABI (its size):
// a member the schema lacks shows as another size; by pointer and by value are told apart.
TEST(Proxy, HeaderStructsAreCheckedAgainstTheSchemasLayout) {
  capnp::SchemaParser parser;
  auto iface = parseInterface(parser, PROXY_STRUCTS_SCHEMA, "Structs");
  cbind::StructLayouts structs;
  proxy::MethodPlan sum = proxy::planMethod(iface, iface.getMethodByName("pointSum"), structs);
  proxy::MethodPlan swap = proxy::planMethod(iface, iface.getMethodByName("pointSwap"), structs);
  struct Point { int32_t x, y; };
  struct Point3 { int32_t x, y, z; };
  using Right = int32_t (*)(const Point*);
  EXPECT_NO_THROW(proxy::checkCTypes(sum, proxy::methodSpec<Right>("bt_point_sum", 2, true, ""), "s.capnp"));
  using Bigger = int32_t (*)(const Point3*);
  try {
    proxy::checkCTypes(sum, proxy::methodSpec<Bigger>("bt_point_sum", 2, true, ""), "s.capnp");
    ADD_FAILURE() << "a 12-byte struct was accepted for Point";
  } catch (const Error& e) {
    EXPECT_CONTAINS(e.what(), "bt_point_sum: parameter 1 ('p') is a pointer to struct Point (8 bytes "
                              "as laid out here) in s.capnp (Structs.pointSum) but a pointer to a "
                              "struct/union of 12 bytes in the library's header");
  }
  using SwapRight = Point (*)(Point);
  EXPECT_NO_THROW(proxy::checkCTypes(swap, proxy::methodSpec<SwapRight>("bt_point_swap", 4, true, ""), "s.capnp"));
  using SwapByPointer = Point (*)(const Point*);
  EXPECT_THROW(proxy::checkCTypes(swap, proxy::methodSpec<SwapByPointer>("bt_point_swap", 4, true, ""), "s.capnp"), Error);
  using SwapReturnsInt = int32_t (*)(Point);
  EXPECT_THROW(proxy::checkCTypes(swap, proxy::methodSpec<SwapReturnsInt>("bt_point_swap", 4, true, ""), "s.capnp"), Error);
}

// A callback parameter in the vendor's header is held to its interface's method: a function
// pointer of as many parameters, of matching types, with a matching return value.
TEST(Proxy, HeaderCallbacksAreCheckedAgainstTheSchema) {
  capnp::SchemaParser parser;
  auto iface = parseInterface(parser, PROXY_CALLBACKS_SCHEMA, "ProxyCallbacks");
  cbind::StructLayouts structs;
  proxy::MethodPlan each = proxy::planMethod(iface, iface.getMethodByName("each"), structs);
  using Right = int32_t (*)(int32_t, int32_t (*)(int32_t, void*), void*);
  EXPECT_NO_THROW(proxy::checkCTypes(each, proxy::methodSpec<Right>("cb_each", 6, true, ""), "p.capnp"));
  using NotAFunction = int32_t (*)(int32_t, void*, void*);
  try {
    proxy::checkCTypes(each, proxy::methodSpec<NotAFunction>("cb_each", 6, true, ""), "p.capnp");
    ADD_FAILURE() << "a void* was accepted for a callback";
  } catch (const Error& e) {
    EXPECT_CONTAINS(e.what(), "cb_each: parameter 2 ('h') is a callback (Handler) in p.capnp "
                              "(ProxyCallbacks.each) but a pointer of");
    EXPECT_CONTAINS(e.what(), "(not a function pointer) in the library's header");
  }
  using OneParam = int32_t (*)(int32_t, int32_t (*)(int32_t), void*);
  EXPECT_THROW(proxy::checkCTypes(each, proxy::methodSpec<OneParam>("cb_each", 6, true, ""), "p.capnp"), Error);
  using DoubleEvent = int32_t (*)(int32_t, int32_t (*)(double, void*), void*);
  EXPECT_THROW(proxy::checkCTypes(each, proxy::methodSpec<DoubleEvent>("cb_each", 6, true, ""), "p.capnp"), Error);
  using ReturnsVoid = int32_t (*)(int32_t, void (*)(int32_t, void*), void*);
  EXPECT_THROW(proxy::checkCTypes(each, proxy::methodSpec<ReturnsVoid>("cb_each", 6, true, ""), "p.capnp"), Error);
  using UserByValue = int32_t (*)(int32_t, int32_t (*)(int32_t, void*), int32_t);
  EXPECT_THROW(proxy::checkCTypes(each, proxy::methodSpec<UserByValue>("cb_each", 6, true, ""), "p.capnp"), Error);
}

// The unchanged program of proxy_structs.h, 64-bit, against the 32-bit library: bt_mixed is 24
// bytes here and 20 there, and every value still arrives (the 32-bit direction: ctest's
// linux-x86.proxy.structs_other_bitness).
TEST(Proxy, StructsCrossInEachSidesOwnLayout) {
  expectAnswers(PROXY_STRUCTS_PROGRAM, {"program: 64-bit, library: 32-bit",
                                        "bt_mixed: 24 bytes here, 20 in the library",
                                        "mixed_make = {'Q', 0.25, 1099511627776}",
                                        "box_fill = {{10, 20}, {30, 40}}, 'filled', 1 2 3",
                                        "point_or_null: 304, NULL: -1",
                                        "points_make = {0, 0} {1, -1} {2, -2} {3, -3}",
                                        "all answers right"});
}

// NULL for a struct the schema does not let be NULL: the declared failure, not a struct of zeros.
TEST(Proxy, NullStructWithoutNullableFailsAsDeclared) {
  ProgramRun r = run(PROXY_STRUCTS_PROGRAM, "", "null");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_CONTAINS(r.out, "point_sum(NULL) = -99, errno " + std::to_string(EIO));
  EXPECT_CONTAINS(r.err, "Structs.pointSum: parameter 'p' is NULL, and the schema does not allow NULL "
                         "(fix: pass a struct, or annotate the parameter $C.nullable");
}

// `bitbridge proxy` refuses interface `iface` of proxy_refused.capnp with `message`.
void expectRefused(const std::string& iface, const std::string& message) {
  ProgramRun r = generateFrom(PROXY_REFUSED_SCHEMA, iface);
  EXPECT_EQ(r.status, 1) << iface << ": " << r.out << r.err;
  EXPECT_CONTAINS(r.err, message);
  EXPECT_CONTAINS(r.err, "Host::bind instead");
}

TEST(Proxy, GeneratorRefusesStructsItCannotConvertByName) {
  const std::string writes = "a pointer inside a struct the library writes";
  expectRefused("SeriesInOut", "SeriesInOut.seriesDouble: parameter 's': struct Series, field "
                               "'items': " + writes + " ($C.out, $C.inout or a returned struct) "
                               "is not converted by proxies");
  expectRefused("TextInReturnedStruct",
                "TextInReturnedStruct.name: result 'result': struct Named, field 'label': " + writes);
  expectRefused("SeriesArrayOut",
                "SeriesArrayOut.seriesMake: parameter 'out': struct Series, field 'items': " + writes);
  expectRefused("UncountedList", "UncountedList.bagSum: parameter 'b': struct Bag, field 'items': a "
                                 "List or Data pointer inside a struct needs its count");
  expectRefused("ListOfTexts", "ListOfTexts.countStrings: parameter 'strings': an array needs its "
                               "element count ($C.lengthOf on its count parameter, $C.length or "
                               "$C.capacity), or $C.terminated for an input array");
  expectRefused("WideUnit", "WideUnit.nextUnit: parameter 'c': one wchar_t by value ($C.type(wchar) "
                            "on a number) is not converted by proxies yet");
  expectRefused("TerminatedStructs", "TerminatedStructs.pointsSum: parameter 'ps': a $C.terminated "
                                     "array of structs is not converted by proxies yet");

  // The vendor's deallocator is the proxy's own: it may not be bound as a method as well.
  ProgramRun both = generateFrom(PROXY_REFUSED_SCHEMA, "FreeWithIsAMethod");
  EXPECT_EQ(both.status, 1) << both.out << both.err;
  EXPECT_CONTAINS(both.err, "FreeWithIsAMethod.dupUpper: result 'result': $C.freeWith(\"bw_free\") "
                            "names the library's deallocator, which FreeWithIsAMethod.release also binds");
  EXPECT_CONTAINS(both.err, "leave release out of the proxy's schema");
  ProgramRun notAName = generateFrom(PROXY_REFUSED_SCHEMA, "FreeWithNotAName");
  EXPECT_EQ(notAName.status, 1) << notAName.out << notAName.err;
  EXPECT_CONTAINS(notAName.err, "$C.freeWith(\"free); abort(\") is not a C function name");

  // A number as the failure of a function returning a pointer: refused before any C++ is written.
  ProgramRun pointer = generateFrom(PROXY_REFUSED_SCHEMA, "PointerFailure");
  EXPECT_EQ(pointer.status, 1) << pointer.out << pointer.err;
  EXPECT_CONTAINS(pointer.err, "PointerFailure.dup returns a pointer, but its $C.onFailure gives it "
                               "result = \"-1\", a number");
  EXPECT_CONTAINS(pointer.err, "result = \"NULL\"");

  // Accepted, the deallocator defined once with the header's own signature.
  ProgramRun wide = generateFrom(PROXY_WIDE_SCHEMA, "ProxyWide");
  EXPECT_EQ(wide.status, 0) << wide.err;
  EXPECT_CONTAINS(wide.out, "bw_free(bp::Arg<decltype(&::bw_free), 0> a0) {\n  proxyState().release(\"bw_free\"");
  EXPECT_EQ(wide.out.find("bw_free(bp::Arg"), wide.out.rfind("bw_free(bp::Arg"));

  ProgramRun accepted = generateFrom(PROXY_STRUCTS_SCHEMA, "Structs");
  EXPECT_EQ(accepted.status, 0) << accepted.err;
  EXPECT_CONTAINS(accepted.out, "bt_mixed_make(bp::Arg<decltype(&::bt_mixed_make), 0> a0");
}

}  // namespace
}  // namespace bitbridge
