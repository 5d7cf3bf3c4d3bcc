// Shared hosts (Host::connectShared) with real processes: clients share one host and one
// instance; clients starting at the same instant end up with one host; the host leaves after
// its idle time and takes its socket along; a bad connection is dropped while the others carry
// on; a departed client's bulk segments are detached; no descriptor leaks.
//
// Hygiene: every test has its own XDG_RUNTIME_DIR (so it meets no other run's hosts) and a
// shared name with this process's pid in it, and its TearDown waits for each host it saw to
// exit on its (short) idle timeout, so that no host outlives the test.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "common/transport/shared_endpoint.h"
#include "counter.capnp.h"
#include "host_test_support.h"
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

// Short, so that each test can wait for its hosts to leave.
constexpr auto kIdle = std::chrono::milliseconds(300);

// Mappings of bitbridge bulk segments in a process ("/dev/shm/bitbridge-<pid>-<id> (deleted)").
int bulkMappings(uint32_t pid) {
  std::istringstream maps(test::readProcFile("/proc/" + std::to_string(pid) + "/maps"));
  int count = 0;
  for (std::string line; std::getline(maps, line);) {
    if (line.find("/dev/shm/bitbridge-") != std::string::npos) ++count;
  }
  return count;
}

bool writeAll(int fd, const void* data, size_t size) {
  auto bytes = static_cast<const char*>(data);
  while (size > 0) {
    pollfd entry{fd, POLLOUT, 0};
    if (::poll(&entry, 1, 5000) <= 0) return false;
    ssize_t n = ::write(fd, bytes, size);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Reads exactly `size` bytes within `timeout`; false on EOF, error or timeout.
bool readExactly(int fd, void* data, size_t size, std::chrono::milliseconds timeout) {
  auto bytes = static_cast<char*>(data);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (size > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
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

// True once the peer has closed the connection (EOF or reset) within `timeout`; whatever it
// sent before that is discarded.
bool closedByPeer(int fd, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd entry{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
  }
}

int64_t countOf(Host& host, Counter::Client& counter) {
  return host.wait(counter.getRequest().send()).getCount();
}

int64_t add(Host& host, Counter::Client& counter, int64_t by) {
  auto request = counter.incrementRequest();
  request.setBy(by);
  return host.wait(request.send()).getCount();
}

// What the example client printed (see examples/shared-counter/demo).
struct ClientRun {
  int status = -1;
  std::string output;
  unsigned hostBits = 0, hostPid = 0;
  long long before = 0, after = 0;
  bool parsed = false;
};

class SharedHostBase : public ::testing::Test {
 protected:
  HostOptions options(Arch arch) const {
    HostOptions o;
    o.component = testComponent("counter_component", arch);
    o.sharedName = name_;
    o.idleTimeout = kIdle;
    return o;
  }
  SharedEndpointPaths paths(Arch arch) const {
    return sharedEndpointPaths(dir_.bitbridgeDir(), sharedEndpointName(name_, arch));
  }
  uint32_t note(uint32_t pid) {
    hosts_.insert(static_cast<int>(pid));
    return pid;
  }

  // Every host a test saw must leave on its own, removing its socket.
  void TearDown() override {
    for (int pid : test::sharedHostPids(name_)) hosts_.insert(pid);
    for (int pid : hosts_) {
      if (!test::waitUntilGone(pid, 10s)) {
        ADD_FAILURE() << "shared host " << pid << " did not exit on its idle timeout";
        ::kill(pid, SIGKILL);
      }
    }
    for (Arch arch : {Arch::x86, Arch::x86_64}) {
      EXPECT_FALSE(fileExists(paths(arch).socket)) << paths(arch).socket << " left behind";
    }
  }

  ClientRun runExampleClient(unsigned bits, Arch hostArch, int64_t by) {
    ClientRun run;
    std::string command = std::string(SHARED_COUNTER_CLIENT_DIR) + "/shared-counter-client" +
                          std::to_string(bits) + " --name " + name_ + " --idle-timeout " +
                          std::to_string(kIdle.count()) + " --add " + std::to_string(by) + " " +
                          testComponent("counter_component", hostArch) + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    char line[512];
    while (std::fgets(line, sizeof(line), pipe) != nullptr) {
      run.output += line;
      std::sscanf(line, "host: %u-bit pid %u", &run.hostBits, &run.hostPid);
      if (std::sscanf(line, "count: %lld -> %lld", &run.before, &run.after) == 2) {
        run.parsed = true;
      }
    }
    run.status = ::pclose(pipe);
    return run;
  }

  test::PrivateRuntimeDir dir_;
  std::string name_ = "t" + std::to_string(::getpid());
  std::set<int> hosts_;
};

class SharedHost : public SharedHostBase, public ::testing::WithParamInterface<Arch> {};

TEST_P(SharedHost, TwoClientsShareOneHostAndOneInstance) {
  Runtime runtime;
  Host a = Host::connectShared(runtime, options(GetParam()));
  Host b = Host::connectShared(runtime, options(GetParam()));
  note(a.pid());
  EXPECT_EQ(a.pid(), b.pid());
  EXPECT_NE(a.pid(), static_cast<uint32_t>(::getpid()));
  EXPECT_EQ(a.arch(), GetParam());
  EXPECT_EQ(test::processArch(static_cast<int>(a.pid())), GetParam());
  for (int child : test::childPids()) EXPECT_NE(child, static_cast<int>(a.pid())) << "our child";

  HostInfo info = b.info();
  EXPECT_TRUE(info.shared);
  EXPECT_EQ(info.pid, a.pid());
  EXPECT_EQ(info.pointerBits, pointerBits(GetParam()));
  ASSERT_EQ(info.components.size(), 1u) << "loading the same component twice is a no-op";

  auto fromA = a.activate<Counter>("counter");
  auto fromB = b.activate<Counter>("counter");
  EXPECT_EQ(add(a, fromA, 5), 5);
  auto seen = b.wait(fromB.getRequest().send());
  EXPECT_EQ(seen.getCount(), 5);
  EXPECT_EQ(seen.getHostPid(), a.pid());
  EXPECT_EQ(seen.getPointerBits(), pointerBits(GetParam()));
  EXPECT_EQ(add(b, fromB, 2), 7);
  EXPECT_EQ(countOf(a, fromA), 7);
  // A later activation is the same instance too.
  auto again = a.activate<Counter>("counter");
  EXPECT_EQ(countOf(a, again), 7);
}

TEST_P(SharedHost, ClientsOfBothBitnessesShareOneInstance) {
  for (unsigned bits : {32u, 64u}) {
    std::string client = std::string(SHARED_COUNTER_CLIENT_DIR) + "/shared-counter-client" +
                          std::to_string(bits);
    if (!fileExists(client)) GTEST_SKIP() << client << " is not built (examples are off)";
  }
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  note(host.pid());
  auto counter = host.activate<Counter>("counter");
  EXPECT_EQ(add(host, counter, 1), 1);

  // Other processes, one of each bitness, reach the same instance by name.
  ClientRun run32 = runExampleClient(32, GetParam(), 10);
  ASSERT_EQ(run32.status, 0) << run32.output;
  ASSERT_TRUE(run32.parsed) << run32.output;
  EXPECT_EQ(run32.hostPid, host.pid()) << run32.output;
  EXPECT_EQ(run32.hostBits, pointerBits(GetParam()));
  EXPECT_EQ(run32.before, 1);
  EXPECT_EQ(run32.after, 11);
  ClientRun run64 = runExampleClient(64, GetParam(), 100);
  ASSERT_EQ(run64.status, 0) << run64.output;
  EXPECT_EQ(run64.hostPid, host.pid()) << run64.output;
  EXPECT_EQ(run64.before, 11);
  EXPECT_EQ(run64.after, 111);
  EXPECT_EQ(countOf(host, counter), 111);
}

TEST_P(SharedHost, ClientsStartingAtTheSameInstantEndWithOneHost) {
  constexpr int kClients = 4;
  int go[2], results[2];
  ASSERT_EQ(::pipe(go), 0);
  ASSERT_EQ(::pipe(results), 0);
  std::vector<pid_t> children;
  // Processes, not threads: each its own Runtime and lock description, like real clients.
  // Nothing of KJ exists in this process yet, so the children may make their own.
  for (int i = 0; i < kClients; ++i) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(go[1]);
      ::close(results[0]);
      char byte;
      (void)!::read(go[0], &byte, 1);  // EOF when the parent closes its end: all start now
      uint32_t pid = 0;
      try {
        Runtime runtime;
        HostOptions o = options(GetParam());
        o.idleTimeout = 3000ms;  // still there when the parent counts hosts
        Host host = Host::connectShared(runtime, o);
        pid = host.info().pid;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "client %d: %s\n", i, e.what());
      }
      (void)!::write(results[1], &pid, sizeof(pid));
      ::_exit(pid != 0 ? 0 : 1);
    }
    children.push_back(child);
  }
  ::close(go[0]);
  ::close(results[1]);
  ::close(go[1]);  // go
  std::set<uint32_t> pids;
  for (int i = 0; i < kClients; ++i) {
    uint32_t pid = 0;
    ASSERT_EQ(::read(results[0], &pid, sizeof(pid)), static_cast<ssize_t>(sizeof(pid)));
    pids.insert(note(pid));
  }
  ::close(results[0]);
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a client failed (see above)";
  }
  EXPECT_EQ(pids.size(), 1u) << "clients reached different hosts";
  EXPECT_EQ(pids.count(0), 0u);
  auto running = test::sharedHostPids(name_);
  EXPECT_EQ(running.size(), 1u);
  if (!running.empty()) {
    EXPECT_EQ(static_cast<uint32_t>(running[0]), *pids.begin());
  }
}

TEST_P(SharedHost, LeavesAfterItsIdleTimeoutTakingItsSocket) {
  Runtime runtime;
  HostOptions o = options(GetParam());
  o.idleTimeout = 1000ms;
  uint32_t pid = 0;
  {
    Host host = Host::connectShared(runtime, o);
    pid = note(host.pid());
    EXPECT_TRUE(fileExists(paths(GetParam()).socket));
  }
  {
    // Back within the idle time: the same host.
    Host host = Host::connectShared(runtime, o);
    EXPECT_EQ(host.pid(), pid);
  }
  auto left = std::chrono::steady_clock::now();
  EXPECT_TRUE(test::processAlive(static_cast<int>(pid)));
  ASSERT_TRUE(test::waitUntilGone(static_cast<int>(pid), 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - left, 900ms) << "left before its idle time";
  EXPECT_FALSE(fileExists(paths(GetParam()).socket));
  EXPECT_TRUE(fileExists(paths(GetParam()).lock)) << "the lock file is never removed";
  EXPECT_CONTAINS(readFile(paths(GetParam()).log), "no client for 1000 ms: exiting");

  // The next client starts a new one.
  Host fresh = Host::connectShared(runtime, options(GetParam()));
  EXPECT_NE(note(fresh.pid()), pid);
  auto counter = fresh.activate<Counter>("counter");
  EXPECT_EQ(countOf(fresh, counter), 0);
}

TEST_P(SharedHost, GarbageAfterTheHelloClosesOnlyThatConnection) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  note(host.pid());
  auto counter = host.activate<Counter>("counter");
  add(host, counter, 3);

  // A raw client: a correct hello, then bytes that are no Cap'n Proto frame (a segment count
  // of 2^32 - 1).
  auto raw = connectSharedSocket(paths(GetParam()).socket);
  ASSERT_TRUE(raw);
  WireHello mine = makeHello(HelloRole::Client);
  ASSERT_TRUE(writeAll(raw->get(), &mine, sizeof(mine)));
  WireHello theirs{};
  ASSERT_TRUE(readExactly(raw->get(), &theirs, sizeof(theirs), 5000ms));
  validateHello(theirs, HelloRole::Host, "shared host");
  EXPECT_EQ(theirs.pid, host.pid());
  const uint32_t garbage[4] = {0xfffffffeu, 0x7fffffffu, 0xdeadbeefu, 0xdeadbeefu};
  ASSERT_TRUE(writeAll(raw->get(), garbage, sizeof(garbage)));
  EXPECT_TRUE(closedByPeer(raw->get(), 5000ms)) << "the host kept the bad connection open";

  // The host still serves the others, new ones included.
  EXPECT_EQ(countOf(host, counter), 3);
  Host other = Host::connectShared(runtime, options(GetParam()));
  EXPECT_EQ(other.pid(), host.pid());
  auto otherCounter = other.activate<Counter>("counter");
  EXPECT_EQ(add(other, otherCounter, 1), 4);
  // And it said why it closed that one.
  EXPECT_CONTAINS(readFile(paths(GetParam()).log),
                  "closing the connection of client pid " + std::to_string(::getpid()));
}

TEST_P(SharedHost, AHelloFromAnotherPidThanTheConnectedOneIsDropped) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  note(host.pid());
  auto raw = connectSharedSocket(paths(GetParam()).socket);
  ASSERT_TRUE(raw);
  WireHello forged = makeHello(HelloRole::Client);
  forged.pid = 1;
  ASSERT_TRUE(writeAll(raw->get(), &forged, sizeof(forged)));
  EXPECT_TRUE(closedByPeer(raw->get(), 5000ms));
  EXPECT_CONTAINS(readFile(paths(GetParam()).log), "sent a hello as pid 1");
  EXPECT_EQ(host.info().pid, host.pid());
}

TEST_P(SharedHost, ShutdownFromOneClientClosesOnlyItsConnection) {
  Runtime runtime;
  Host a = Host::connectShared(runtime, options(GetParam()));
  Host b = Host::connectShared(runtime, options(GetParam()));
  uint32_t pid = note(a.pid());
  auto counter = b.activate<Counter>("counter");
  add(b, counter, 2);
  a.shutdown();
  a.shutdown();  // idempotent
  EXPECT_EQ(a.pid(), pid);
  EXPECT_TRUE(test::processAlive(static_cast<int>(pid)));
  EXPECT_EQ(countOf(b, counter), 2);
}

TEST_P(SharedHost, ADepartedClientsBulkSegmentsAreDetached) {
  // A client process that attaches a segment and then dies without any cleanup. Forked before
  // this process has any KJ state, so that the child can make its own.
  int results[2];
  ASSERT_EQ(::pipe(results), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(results[0]);
    uint32_t report[2] = {0, 0};
    try {
      Runtime runtime;
      HostOptions o = options(GetParam());
      o.idleTimeout = 5000ms;  // the host stays for the parent's checks
      Host host = Host::connectShared(runtime, o);
      BulkBuffer buffer = host.allocate(1 << 20);
      report[0] = host.pid();
      report[1] = static_cast<uint32_t>(bulkMappings(host.pid()));
      (void)!::write(results[1], report, sizeof(report));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "client: %s\n", e.what());
      (void)!::write(results[1], report, sizeof(report));
    }
    ::_exit(0);  // like a crash: no detachBulk, no orderly disconnect (buffer and host leak)
  }
  ::close(results[1]);
  uint32_t report[2] = {0, 0};
  ASSERT_EQ(::read(results[0], report, sizeof(report)), static_cast<ssize_t>(sizeof(report)));
  ::close(results[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  uint32_t pid = note(report[0]);
  ASSERT_NE(pid, 0u) << "the client failed (see above)";
  EXPECT_GE(report[1], 1u) << "the host never mapped the segment";

  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (bulkMappings(pid) > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(bulkMappings(pid), 0) << "the departed client's segment is still mapped";
  // The host itself carries on.
  Runtime runtime;
  HostOptions o = options(GetParam());
  Host host = Host::connectShared(runtime, o);
  EXPECT_EQ(host.pid(), pid);
  EXPECT_EQ(host.info().components.size(), 1u);
}

TEST_P(SharedHost, AKilledHostIsReportedAndReplacedByTheNextClient) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  uint32_t pid = note(host.pid());
  auto counter = host.activate<Counter>("counter");
  add(host, counter, 1);
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  ASSERT_TRUE(test::waitUntilGone(static_cast<int>(pid), 5s));
  Error e = expectError(ErrorKind::Disconnected, [&] { countOf(host, counter); });
  EXPECT_CONTAINS(e.message(), "shared " + hostExecutableName(GetParam()) + " '" + name_ + "'");
  EXPECT_CONTAINS(e.message(), "serving on");  // the tail of its log
  EXPECT_TRUE(fileExists(paths(GetParam()).socket)) << "a killed host cannot clean up";

  // Its socket is a dead one now: the next client's host replaces it.
  Host next = Host::connectShared(runtime, options(GetParam()));
  EXPECT_NE(note(next.pid()), pid);
  auto fresh = next.activate<Counter>("counter");
  EXPECT_EQ(countOf(next, fresh), 0);
}

TEST_P(SharedHost, ARestartPolicyReconnectsToANewSharedHost) {
  Runtime runtime;
  HostOptions o = options(GetParam());
  o.restart = RestartPolicy::OnNextCall;
  Counter::Client counter = nullptr;
  o.onRestart = [&](Host& restarted) { counter = restarted.activate<Counter>("counter"); };
  Host host = Host::connectShared(runtime, o);
  uint32_t pid = note(host.pid());
  counter = host.activate<Counter>("counter");
  add(host, counter, 5);
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  ASSERT_TRUE(test::waitUntilGone(static_cast<int>(pid), 5s));
  expectError(ErrorKind::Disconnected, [&] { countOf(host, counter); });
  // The next operation finds the endpoint dead, starts a new shared host and re-activates.
  EXPECT_EQ(host.info().components.size(), 1u);
  EXPECT_EQ(host.restartCount(), 1u);
  EXPECT_NE(note(host.pid()), pid);
  EXPECT_EQ(countOf(host, counter), 0);  // a new instance: the old count died with its host
}

TEST_P(SharedHost, ConnectDisconnectCyclesLeakNoDescriptors) {
  Runtime runtime;
  {
    Host warmUp = Host::connectShared(runtime, options(GetParam()));  // starts the host
    note(warmUp.pid());
    warmUp.info();
  }
  int before = test::openDescriptorCount();
  for (int i = 0; i < 10; ++i) {
    Host host = Host::connectShared(runtime, options(GetParam()));
    note(host.pid());  // a host that idled out in between is replaced: noted too
    auto counter = host.activate<Counter>("counter");
    add(host, counter, 1);
  }
  EXPECT_EQ(test::openDescriptorCount(), before);
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, SharedHost, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

TEST_F(SharedHostBase, HostsOfEachBitnessUnderOneNameAreTwoHosts) {
  Runtime runtime;
  Host host32 = Host::connectShared(runtime, options(Arch::x86));
  Host host64 = Host::connectShared(runtime, options(Arch::x86_64));
  EXPECT_NE(note(host32.pid()), note(host64.pid()));
  EXPECT_EQ(host32.info().pointerBits, 32u);
  EXPECT_EQ(host64.info().pointerBits, 64u);
  EXPECT_TRUE(fileExists(paths(Arch::x86).socket));
  EXPECT_TRUE(fileExists(paths(Arch::x86_64).socket));
}

TEST_F(SharedHostBase, AGroupReadableRuntimeDirectoryIsRefused) {
  ASSERT_EQ(::mkdir(dir_.bitbridgeDir().c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir_.bitbridgeDir().c_str(), 0755), 0);
  Runtime runtime;
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { Host::connectShared(runtime, options(currentArch())); });
  EXPECT_CONTAINS(e.message(), dir_.bitbridgeDir());
  EXPECT_CONTAINS(e.message(), "0755");
  EXPECT_CONTAINS(e.hint(), "chmod 0700");
  EXPECT_TRUE(test::sharedHostPids(name_).empty());
}

TEST_F(SharedHostBase, ASymlinkedRuntimeDirectoryIsRefused) {
  std::string real = dir_.path() + "/elsewhere";
  ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(real.c_str(), dir_.bitbridgeDir().c_str()), 0);
  Runtime runtime;
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { Host::connectShared(runtime, options(currentArch())); });
  EXPECT_CONTAINS(e.message(), dir_.bitbridgeDir());
  EXPECT_CONTAINS(e.message(), "symbolic link");
  EXPECT_TRUE(test::sharedHostPids(name_).empty());
}

TEST_F(SharedHostBase, OptionsAShareHostCannotHonourAreRefused) {
  Runtime runtime;
  HostOptions noName = options(currentArch());
  noName.sharedName.clear();
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::connectShared(runtime, noName); });
  EXPECT_CONTAINS(e.message(), "sharedName");
  HostOptions badName = options(currentArch());
  badName.sharedName = "a/b";
  expectError(ErrorKind::BadConfiguration, [&] { Host::connectShared(runtime, badName); });
  HostOptions shm = options(currentArch());
  shm.transport = Transport::SharedMemory;
  Error t = expectError(ErrorKind::BadConfiguration, [&] { Host::connectShared(runtime, shm); });
  EXPECT_CONTAINS(t.message(), "shm");
  EXPECT_TRUE(test::sharedHostPids(name_).empty());
}

// Only root can make a process of another uid that still reaches our 0700 directory: it keeps
// the capability to bypass file permissions after switching to "nobody". The host must then
// refuse it by its SO_PEERCRED uid alone.
TEST_F(SharedHostBase, AnotherUsersConnectionIsRefusedByTheHost) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to connect as another user";
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(currentArch()));
  note(host.pid());
  std::string socketPath = paths(currentArch()).socket;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only system calls here: the parent's KJ state is not ours to use.
    ::alarm(10);  // a host that neither greets nor closes must not hang the test
    constexpr uint32_t kNobody = 65534;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct caps[2] = {};
    caps[0].effective = caps[0].permitted =
        (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
    if (::prctl(PR_SET_KEEPCAPS, 1) != 0 || ::setgroups(0, nullptr) != 0 ||
        ::setresgid(kNobody, kNobody, kNobody) != 0 ||
        ::setresuid(kNobody, kNobody, kNobody) != 0 ||
        ::syscall(SYS_capset, &header, caps) != 0) {
      ::_exit(77);
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socketPath.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) ::_exit(78);
    WireHello hello = makeHello(HelloRole::Client);
    (void)!::write(fd, &hello, sizeof(hello));
    char byte;
    ssize_t n = ::read(fd, &byte, 1);  // the host closes without greeting: EOF
    ::_exit(n == 0 || (n < 0 && errno == ECONNRESET) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 78) {
    GTEST_SKIP() << "could not connect as another user here (status " << WEXITSTATUS(status)
                 << ")";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the host greeted another user";
  EXPECT_CONTAINS(readFile(paths(currentArch()).log), "refused a connection from uid 65534");
  EXPECT_EQ(host.info().pid, host.pid());  // and still serves us
}

}  // namespace
}  // namespace bitbridge
