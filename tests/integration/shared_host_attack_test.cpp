// Attacks on a shared host by one misbehaving client (issue 14), each against real hosts of both
// bitnesses: a connection flood under a low descriptor limit, connection limits, a reader that
// never reads, an oversized frame header, a stalled half frame, no hello, a hello then silence,
// another connection's bulk segment, SIGTERM, and the log. After each, a legitimate client
// (this test binary: 32-bit in linux-x86, 64-bit in linux-x86_64, so both bitnesses across one
// ctest run) must still be served, and its call latency is printed.
//
// Hygiene as in shared_host_test.cpp: a private XDG_RUNTIME_DIR per test, a name with this pid,
// and every host seen must leave on its short idle timeout by TearDown.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <capnp/message.h>
#include <capnp/rpc.capnp.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include "bind_test.capnp.h"
#include "bitbridge/host.capnp.h"
#include "bitbridge/host.h"
#include "common/transport/shared_endpoint.h"
#include "components/probe_pattern.h"
#include "counter.capnp.h"
#include "host_test_support.h"
#include "probe.capnp.h"
#include "support/test_support.h"
#include "wire/hello.h"

namespace bitbridge {
namespace {

using namespace std::chrono_literals;
using shared_counter::Counter;
using test::expectError;
using test::fileExists;
using test::readFile;
using test::testComponent;
using Clock = std::chrono::steady_clock;

constexpr auto kIdle = std::chrono::milliseconds(300);

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// A /proc/<pid>/status field in KiB (VmRSS, VmSize).
long statusKiB(uint32_t pid, const std::string& field) {
  std::istringstream status(test::readProcFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

bool writeAll(int fd, const void* data, size_t size) {
  auto bytes = static_cast<const char*>(data);
  while (size > 0) {
    pollfd entry{fd, POLLOUT, 0};
    if (::poll(&entry, 1, 5000) <= 0) return false;
    ssize_t n = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool readExactly(int fd, void* data, size_t size, std::chrono::milliseconds timeout) {
  auto bytes = static_cast<char*>(data);
  auto deadline = Clock::now() + timeout;
  while (size > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd entry{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t n = ::read(fd, bytes, size);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Waits until the host has closed its end, WITHOUT reading what it sent (a reader that never
// reads must stay one). Returns how long that took, or nothing within `timeout`.
std::optional<std::chrono::milliseconds> hangupWithin(int fd, std::chrono::milliseconds timeout) {
  auto start = Clock::now();
  auto deadline = start + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd entry{fd, POLLRDHUP, 0};
    int rc = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left.count(), 50)));
    if (rc > 0 && (entry.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    }
  }
}

// Closed by the host (EOF or reset) within `timeout`; reads and discards what came before.
bool closedByPeer(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd entry{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
  }
}

// One Cap'n Proto RPC message as framed on the wire.
kj::Array<capnp::word> frame(capnp::MessageBuilder& message) {
  return capnp::messageToFlatArray(message);
}

kj::Array<capnp::word> bootstrapMessage() {
  capnp::MallocMessageBuilder message;
  message.initRoot<capnp::rpc::Message>().initBootstrap().setQuestionId(0);
  return frame(message);
}

// Host.info() on the bootstrap capability (question 0), as question `id`.
kj::Array<capnp::word> infoCall(uint32_t id) {
  capnp::MallocMessageBuilder message;
  auto call = message.initRoot<capnp::rpc::Message>().initCall();
  call.setQuestionId(id);
  call.initTarget().initPromisedAnswer().setQuestionId(0);
  call.setInterfaceId(capnp::typeId<proto::Host>());
  call.setMethodId(0);  // info @0
  call.initParams();
  return frame(message);
}

// A raw connection that has exchanged hellos as a client; closed on destruction.
struct RawClient {
  kj::AutoCloseFd fd;
  WireHello host{};
};

std::optional<RawClient> rawClient(const std::string& socket, bool sendHello = true) {
  auto fd = connectSharedSocket(socket);
  if (!fd) return std::nullopt;
  RawClient raw{kj::mv(*fd), {}};
  if (sendHello) {
    WireHello mine = makeHello(HelloRole::Client);
    // A host that refuses may close before our hello is written (EPIPE): its answer is still
    // there to read, as a real client's handshake reads it.
    (void)writeAll(raw.fd.get(), &mine, sizeof(mine));
    if (!readExactly(raw.fd.get(), &raw.host, sizeof(raw.host), 5000ms)) return std::nullopt;
  }
  return raw;
}

struct Latency {
  double medianUs = 0, maxUs = 0;
};

// `calls` counter calls one at a time; the median and worst latency.
Latency measure(Host& host, Counter::Client& counter, int calls = 50) {
  std::vector<double> us;
  for (int i = 0; i < calls; ++i) {
    auto start = Clock::now();
    host.wait(counter.getRequest().send());
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(us.begin(), us.end());
  return Latency{us[us.size() / 2], us.back()};
}

class SharedHostAttack : public ::testing::TestWithParam<Arch> {
 protected:
  HostOptions options() const {
    HostOptions o;
    o.component = testComponent("counter_component", GetParam());
    o.sharedName = name_;
    o.idleTimeout = kIdle;
    return o;
  }
  SharedEndpointPaths paths() const {
    return sharedEndpointPaths(dir_.bitbridgeDir(), sharedEndpointName(name_, GetParam()));
  }
  uint32_t note(uint32_t pid) {
    hosts_.insert(static_cast<int>(pid));
    return pid;
  }
  std::string log() const { return readFile(paths().log); }

  // A legitimate client of this test binary's bitness: served, within a sane latency.
  void expectServed(Host& host, const char* when) {
    auto counter = host.activate<Counter>("counter");
    Latency latency = measure(host, counter);
    std::printf("[ latency  ] %u-bit client, %u-bit host, %s: median %.0f us, max %.0f us\n",
                pointerBits(currentArch()), pointerBits(GetParam()), when, latency.medianUs,
                latency.maxUs);
    EXPECT_LT(latency.medianUs, 20000.0) << when;
  }

  void TearDown() override {
    for (int pid : test::sharedHostPids(name_)) hosts_.insert(pid);
    for (int pid : hosts_) {
      if (!test::waitUntilGone(pid, 10s)) {
        ADD_FAILURE() << "shared host " << pid << " did not exit on its idle timeout";
        ::kill(pid, SIGKILL);
      }
    }
  }

  test::PrivateRuntimeDir dir_;
  std::string name_ = "a" + std::to_string(::getpid());
  std::set<int> hosts_;
};

TEST_P(SharedHostAttack, AConnectionFloodUnderALowDescriptorLimitIsShedNotFatal) {
  Runtime runtime;
  HostOptions o = options();
  o.sharedMaxConnections = 10000;  // the descriptor limit is what this test reaches
  o.sharedMaxConnectionsPerClient = 10000;
  // The host inherits the descriptor limit of the process that starts it: 64 here.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::optional<Host> host;
  try {
    host.emplace(Host::connectShared(runtime, o));
  } catch (...) {
    ::setrlimit(RLIMIT_NOFILE, &saved);
    throw;
  }
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  uint32_t pid = note(host->pid());
  expectServed(*host, "before the flood");

  // 150 connections: far more than 64 descriptors. Those beyond the limit are refused with a
  // hello that says why; none of it ends the host.
  std::vector<kj::AutoCloseFd> flood;
  for (int i = 0; i < 150; ++i) {
    auto fd = connectSharedSocket(paths().socket);
    if (fd) flood.push_back(kj::mv(*fd));
  }
  int refusedForDescriptors = 0;
  for (auto& fd : flood) {
    WireHello mine = makeHello(HelloRole::Client);
    (void)writeAll(fd.get(), &mine, sizeof(mine));
  }
  for (auto& fd : flood) {
    WireHello theirs{};
    if (readExactly(fd.get(), &theirs, sizeof(theirs), 2000ms) &&
        theirs.refusal == static_cast<uint8_t>(HelloRefusal::OutOfDescriptors)) {
      ++refusedForDescriptors;
    }
  }
  EXPECT_GT(refusedForDescriptors, 0) << "no connection was told the host is out of descriptors";
  EXPECT_TRUE(test::processAlive(static_cast<int>(pid)));

  // A client arriving during the flood gets a clear error, not a hang.
  {
    Error e = expectError(ErrorKind::Overloaded, [&] { Host::connectShared(runtime, o); });
    EXPECT_CONTAINS(e.message(), "run out of file descriptors");
  }
  expectServed(*host, "during the flood");
  flood.clear();

  // Once descriptors are free, new clients are served again.
  std::this_thread::sleep_for(300ms);  // the back-off, and the closes reaching the host
  Host later = Host::connectShared(runtime, o);
  EXPECT_EQ(later.pid(), pid);
  expectServed(later, "after the flood");
  std::string text = log();
  EXPECT_EQ(occurrences(text, "out of file descriptors"), 1u) << text;
  EXPECT_EQ(occurrences(text, "[critical]"), 0u) << text;
}

TEST_P(SharedHostAttack, ConnectionLimitsRefuseWithAnErrorNamingTheOption) {
  Runtime runtime;
  HostOptions o = options();
  o.sharedMaxConnections = 3;
  o.sharedMaxConnectionsPerClient = 2;
  Host a = Host::connectShared(runtime, o);
  Host b = Host::connectShared(runtime, o);
  uint32_t pid = note(a.pid());

  Error perClient = expectError(ErrorKind::Overloaded, [&] { Host::connectShared(runtime, o); });
  EXPECT_CONTAINS(perClient.message(), "already has 2 connections");
  EXPECT_CONTAINS(perClient.what(), "HostOptions::sharedMaxConnectionsPerClient");

  // Another process takes the third place (and keeps it until `hold` closes); a fourth
  // process is refused by the total limit. Raw sockets only in the children: no KJ after fork.
  int hold[2], report[2];
  ASSERT_EQ(::pipe(hold), 0);
  ASSERT_EQ(::pipe(report), 0);
  pid_t third = ::fork();
  ASSERT_GE(third, 0);
  if (third == 0) {
    ::close(hold[1]);
    ::close(report[0]);
    auto raw = rawClient(paths().socket);
    uint8_t code = raw ? raw->host.refusal : 255;
    (void)!::write(report[1], &code, 1);
    char wait;
    (void)!::read(hold[0], &wait, 1);  // until the parent closes its end
    ::_exit(0);
  }
  ::close(hold[0]);
  ::close(report[1]);
  uint8_t thirdCode = 255;
  ASSERT_EQ(::read(report[0], &thirdCode, 1), 1);
  ::close(report[0]);
  EXPECT_EQ(thirdCode, 0) << "the third connection was refused";

  ASSERT_EQ(::pipe(report), 0);
  pid_t fourth = ::fork();
  ASSERT_GE(fourth, 0);
  if (fourth == 0) {
    ::close(report[0]);
    auto raw = rawClient(paths().socket);
    uint8_t code = raw ? raw->host.refusal : 255;
    (void)!::write(report[1], &code, 1);
    ::_exit(0);
  }
  ::close(report[1]);
  uint8_t fourthCode = 255;
  ASSERT_EQ(::read(report[0], &fourthCode, 1), 1);
  ::close(report[0]);
  EXPECT_EQ(fourthCode, static_cast<uint8_t>(HelloRefusal::TooManyConnections));
  int status = 0;
  ASSERT_EQ(::waitpid(fourth, &status, 0), fourth);
  ::close(hold[1]);
  ASSERT_EQ(::waitpid(third, &status, 0), third);

  expectServed(a, "at the connection limit");
  expectServed(b, "at the connection limit");
  std::string text = log();
  EXPECT_EQ(occurrences(text, "limit per client"), 1u) << text;
  EXPECT_EQ(occurrences(text, "the limit (sharedMaxConnections)"), 1u) << text;
  EXPECT_TRUE(test::processAlive(static_cast<int>(pid)));
}

TEST_P(SharedHostAttack, AReaderThatNeverReadsIsSlowedThenDroppedWhileOthersAreServed) {
  Runtime runtime;
  HostOptions o = options();
  o.maxQueuedBytes = 64 << 10;
  o.sharedStallTimeout = 1000ms;
  Host host = Host::connectShared(runtime, o);
  uint32_t pid = note(host.pid());
  expectServed(host, "before the attack");
  long rssBefore = statusKiB(pid, "VmRSS");

  auto raw = rawClient(paths().socket);
  ASSERT_TRUE(raw);
  int fd = raw->fd.get();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  auto bootstrap = bootstrapMessage();
  ASSERT_TRUE(writeAll(fd, bootstrap.begin(), bootstrap.size() * sizeof(capnp::word)));
  // Calls as fast as the host takes them, never reading an answer, for up to 1.5 s: the host
  // stops reading them once 64 KiB of answers wait, so our writes stop being taken.
  size_t sent = 0, bytes = 0;
  auto until = Clock::now() + 1500ms;
  std::vector<kj::byte> pending;
  while (Clock::now() < until && sent < 200000) {
    if (pending.empty()) {
      auto call = infoCall(static_cast<uint32_t>(sent + 1));
      auto raw = call.asBytes();
      pending.assign(raw.begin(), raw.end());
      ++sent;
    }
    ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes += static_cast<size_t>(n);
      pending.erase(pending.begin(), pending.begin() + n);
    } else if (n < 0 && errno == EAGAIN) {
      pollfd entry{fd, POLLOUT, 0};
      ::poll(&entry, 1, 20);
    } else {
      break;  // dropped already
    }
  }
  std::printf("[ attack   ] sent %zu calls (%zu bytes) without reading\n", sent, bytes);
  // Others keep their latency meanwhile.
  expectServed(host, "while a reader never reads");
  auto hangup = hangupWithin(fd, 5000ms);
  ASSERT_TRUE(hangup) << "the host kept a connection that never reads";
  long rssAfter = statusKiB(pid, "VmRSS");
  std::printf("[ memory   ] host VmRSS %ld KiB before, %ld KiB after\n", rssBefore, rssAfter);
#if !defined(__SANITIZE_ADDRESS__)
  // (Not under AddressSanitizer: its quarantine keeps freed memory resident on purpose.)
  EXPECT_LT(rssAfter - rssBefore, 32 * 1024) << "the host's memory grew with the unread answers";
#endif
  std::string text = log();
  EXPECT_EQ(occurrences(text, "is not reading what the host sends"), 1u) << text;
  EXPECT_EQ(occurrences(text, "read nothing the host sent for 1000 ms"), 1u) << text;
  expectServed(host, "after the attack");
}

TEST_P(SharedHostAttack, AnOversizedFrameHeaderIsRefusedBeforeBuffering) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options());
  uint32_t pid = note(host.pid());
  long vmBefore = statusKiB(pid, "VmSize");

  // A header announcing 32 MiB (below the 64 MiB limit), then only 8 bytes: the host must not
  // reserve the 32 MiB before they come.
  auto partial = rawClient(paths().socket);
  ASSERT_TRUE(partial);
  const uint32_t big[4] = {0, (32u << 20) / 8, 0, 0};
  ASSERT_TRUE(writeAll(partial->fd.get(), big, sizeof(big)));
  std::this_thread::sleep_for(200ms);
  long vmDuring = statusKiB(pid, "VmSize");
  std::printf("[ memory   ] host VmSize %ld KiB before, %ld KiB with a 32 MiB frame announced\n",
              vmBefore, vmDuring);
  EXPECT_LT(vmDuring - vmBefore, 16 * 1024) << "the host reserved the announced size";

  // A header announcing 512 MiB: refused at once, from the header alone.
  auto raw = rawClient(paths().socket);
  ASSERT_TRUE(raw);
  auto start = Clock::now();
  const uint32_t huge[2] = {0, (512u << 20) / 8};
  ASSERT_TRUE(writeAll(raw->fd.get(), huge, sizeof(huge)));
  EXPECT_TRUE(closedByPeer(raw->fd.get(), 3000ms));
  EXPECT_LT(Clock::now() - start, 2000ms);
  expectServed(host, "after an oversized header");
  std::string text = log();
  EXPECT_EQ(occurrences(text, "announced a message of 536870912 bytes"), 1u) << text;
  EXPECT_CONTAINS(text, "HostOptions::maxMessageBytes");
}

TEST_P(SharedHostAttack, AStalledHalfFrameIsClosedAfterTheStallTimeout) {
  Runtime runtime;
  HostOptions o = options();
  o.sharedStallTimeout = 500ms;
  Host host = Host::connectShared(runtime, o);
  note(host.pid());
  auto raw = rawClient(paths().socket);
  ASSERT_TRUE(raw);
  auto bootstrap = bootstrapMessage();
  auto start = Clock::now();
  ASSERT_TRUE(writeAll(raw->fd.get(), bootstrap.begin(), 12));  // header and 4 bytes of 16+
  EXPECT_TRUE(closedByPeer(raw->fd.get(), 5000ms)) << "a stalled half frame was kept";
  auto took = Clock::now() - start;
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 3000ms);
  expectServed(host, "after a stalled half frame");
  EXPECT_EQ(occurrences(log(), "did not send the rest within 500 ms"), 1u) << log();
}

TEST_P(SharedHostAttack, NoHelloOrAHelloThenSilenceIsClosedButAQuietClientIsNot) {
  Runtime runtime;
  HostOptions o = options();
  o.sharedHelloTimeout = 500ms;
  Host host = Host::connectShared(runtime, o);
  note(host.pid());
  auto counter = host.activate<Counter>("counter");

  auto silent = rawClient(paths().socket, /*sendHello=*/false);
  ASSERT_TRUE(silent);
  auto greeter = rawClient(paths().socket);
  ASSERT_TRUE(greeter);
  auto start = Clock::now();
  EXPECT_TRUE(closedByPeer(silent->fd.get(), 5000ms)) << "a connection without hello was kept";
  EXPECT_TRUE(closedByPeer(greeter->fd.get(), 5000ms)) << "a hello then silence was kept";
  EXPECT_LT(Clock::now() - start, 3000ms);

  // A real client quiet for longer than that (it has made its requests) stays connected.
  std::this_thread::sleep_for(1200ms);
  expectServed(host, "after 1.2 s of quiet");
  std::string text = log();
  EXPECT_EQ(occurrences(text, "did not complete the handshake within 500 ms"), 1u) << text;
  EXPECT_EQ(occurrences(text, "sent its hello but no request within 500 ms"), 1u) << text;
  EXPECT_EQ(occurrences(text, "stuck starting"), 0u) << "a wrong hint for a silent client";
}

TEST_P(SharedHostAttack, AnotherConnectionsBulkSegmentIsRefusedAndAwaitedOnesWork) {
  Runtime runtime;
  HostOptions o = options();
  o.component = testComponent("probe_component", GetParam());
  Host owner = Host::connectShared(runtime, o);
  Host intruder = Host::connectShared(runtime, o);
  note(owner.pid());
  auto mine = owner.activate<probe::Probe>("probe");
  auto theirs = intruder.activate<probe::Probe>("probe");
  BulkBuffer buffer = owner.allocate(1 << 16);
  BulkBuffer own = intruder.allocate(1 << 16);

  // The intruder names the owner's segment: refused as malformed, nothing written.
  auto fill = theirs.fillRequest();
  toWire(buffer.ref(), fill.initData());
  fill.setSeed(7);
  Error e = expectError(ErrorKind::MalformedPeer, [&] { intruder.wait(fill.send()); });
  EXPECT_CONTAINS(e.message(), "another connection attached");
  auto untouched = buffer.view(0, 4096);
  EXPECT_TRUE(std::all_of(untouched.data(), untouched.data() + untouched.size(),
                          [](kj::byte b) { return b == 0; }))
      << "the intruder wrote into another client's buffer";

  // Each connection's own references work, also when resolved after an await during which the
  // other connection's calls ran.
  auto later = mine.fillLaterRequest();
  toWire(buffer.ref(), later.initData());
  later.setSeed(3);
  later.setMilliseconds(200);
  auto pending = later.send();
  auto check = theirs.fillRequest();
  toWire(own.ref(), check.initData());
  check.setSeed(5);
  intruder.wait(check.send());
  owner.wait(kj::mv(pending));
  auto filled = buffer.view(0, 4096);
  size_t wrong = 0;
  for (size_t i = 0; i < filled.size(); ++i) wrong += filled.data()[i] != probe::probeByte(i, 3);
  EXPECT_EQ(wrong, 0u) << "the fill resolved after an await did not happen";
  auto ownView = own.view(0, 4096);
  for (size_t i = 0; i < ownView.size(); ++i) wrong += ownView.data()[i] != probe::probeByte(i, 5);
  EXPECT_EQ(wrong, 0u) << "the other connection's own fill did not happen";
}

// The same through Host::bind: a Bulk.BulkRef parameter naming another connection's segment is
// refused on the host's RPC thread (where fromWire knows the caller), naming the parameter,
// before the library's thread is handed anything.
TEST_P(SharedHostAttack, AnotherConnectionsBulkSegmentIsRefusedToABoundLibrary) {
  Runtime runtime;
  HostOptions o = options();
  Host owner = Host::connectShared(runtime, o);
  Host intruder = Host::connectShared(runtime, o);
  note(owner.pid());
  auto lib = intruder.bind<bindtest::BindTest>(testComponent("bind_test_lib", GetParam()));
  BulkBuffer buffer = owner.allocate(1024);
  BulkView view = buffer.view();
  view.as<double>()[0] = 1;

  auto scale = lib.bulkScaleRequest();
  toWire(buffer.ref(), scale.initXs());
  scale.setK(5);
  Error e = expectError(ErrorKind::MalformedPeer, [&] { intruder.wait(scale.send()); });
  EXPECT_CONTAINS(e.message(), "BindTest.bulkScale: parameter 'xs': ");
  EXPECT_CONTAINS(e.message(), "another connection attached");
  EXPECT_DOUBLE_EQ(view.as<double>()[0], 1.0) << "the library wrote into another client's buffer";

  // Its own buffer is the library's to scale.
  BulkBuffer own = intruder.allocate(1024);
  BulkView ownView = own.view();
  ownView.as<double>()[0] = 1;
  auto mine = lib.bulkScaleRequest();
  toWire(own.ref(), mine.initXs());
  mine.setK(5);
  intruder.wait(mine.send());
  EXPECT_DOUBLE_EQ(ownView.as<double>()[0], 5.0);
}

TEST_P(SharedHostAttack, SigtermRemovesTheSocket) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options());
  uint32_t pid = note(host.pid());
  ASSERT_TRUE(fileExists(paths().socket));
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGTERM), 0);
  ASSERT_TRUE(test::waitUntilGone(static_cast<int>(pid), 5s));
  EXPECT_FALSE(fileExists(paths().socket)) << "SIGTERM left the socket behind";
  EXPECT_CONTAINS(log(), "ended by signal 15 (SIGTERM)");
}

TEST_P(SharedHostAttack, TheLogIsBoundedAndThePreviousRunsLastLinesSurviveAStart) {
  // A log past its size bound, ending with a crashed host's last words.
  ::mkdir(dir_.bitbridgeDir().c_str(), 0700);
  {
    std::ofstream out(paths().log, std::ios::binary);
    std::string filler(200, 'x');
    for (int i = 0; i < 6000; ++i) out << "[old] filler " << filler << "\n";
    out << "LAST WORDS OF A CRASHED HOST\n";
  }
  ::chmod(paths().log.c_str(), 0600);
  Runtime runtime;
  Host host = Host::connectShared(runtime, options());
  note(host.pid());
  expectServed(host, "with a rotated log");
  std::string rotated = paths().log.substr(0, paths().log.size() - 4) + ".1.log";
  EXPECT_CONTAINS(readFile(rotated), "LAST WORDS OF A CRASHED HOST");
  struct stat status {};
  ASSERT_EQ(::stat(paths().log.c_str(), &status), 0);
  EXPECT_LE(status.st_size, 1 << 20);
  EXPECT_CONTAINS(log(), "serving on");
}

TEST_P(SharedHostAttack, ADisconnectErrorQuotesTheHostsWordsNotOtherClientsComings) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options());
  uint32_t pid = note(host.pid());
  auto counter = host.activate<Counter>("counter");
  for (int i = 0; i < 40; ++i) Host::connectShared(runtime, options());
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  ASSERT_TRUE(test::waitUntilGone(static_cast<int>(pid), 5s));
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(counter.getRequest().send()); });
  EXPECT_EQ(occurrences(e.message(), "connected ("), 0u) << e.message();
  EXPECT_CONTAINS(e.message(), "serving on");
  EXPECT_LT(e.message().size(), 3000u) << e.message();
  ::unlink(paths().socket.c_str());  // a killed host cannot remove it
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, SharedHostAttack,
                         ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const ::testing::TestParamInfo<Arch>& info) {
                           return std::string(archName(info.param));
                         });

}  // namespace
}  // namespace bitbridge
