// Shared hosts on Windows (Host::connectShared over a per-user named pipe), under Wine: the
// Linux suite's cases that apply (tests/integration/shared_host_test.cpp and
// shared_host_attack_test.cpp: one host and one instance for many clients of both bitnesses,
// clients arriving at once, the idle exit, bad connections dropped while the others carry on,
// a killed host replaced, restarts), and the Windows-specific ones: the pipe's name, DACL and
// first-instance rule, a squatted name refused by the client and by a host, the identity checks.
//
// Not here, and why: another user's connection (Wine runs every process as one user, so the
// SID checks are tested with made-up SIDs); a departed client's bulk segments (the Linux test
// reads /proc/<pid>/maps); descriptor exhaustion (no per-process handle limit to reach).
//
// Hygiene: each test uses a shared name with this process's pid and the test's name in it, and
// a short idle timeout; its TearDown waits for every host it saw to exit by itself.
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "common/platform/text-win32.h"
#include "common/platform/user_identity-win32.h"
#include "common/process/detached_process-win32.h"
#include "common/transport/shared_endpoint.h"
#include "common/transport/shared_pipe-win32.h"
#include "counter.capnp.h"
#include "support/test_support.h"
#include "windows/program_run.h"
#include "windows/windows_test_support.h"
#include "wire/hello.h"

namespace bitbridge {
namespace {

using namespace std::chrono_literals;
using shared_counter::Counter;
using test::expectError;
using test::fileExists;
using test::Program;
using test::ProgramRun;
using test::processGoneWithin;
using test::testComponent;

// Short, so that each test can wait for its hosts to leave.
constexpr auto kIdle = std::chrono::milliseconds(300);
// Under Wine a first start on a loaded machine can take seconds.
constexpr auto kStart = std::chrono::milliseconds(30000);

std::string readFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// True while somebody serves the pipe (an instance exists, free or busy).
bool pipeExists(const std::string& name) {
  if (::WaitNamedPipeW(widen(name).c_str(), 1)) return true;
  return ::GetLastError() != ERROR_FILE_NOT_FOUND;
}

// One overlapped read or write on `pipe` within `timeout`; the bytes moved, or -1 on error,
// end of stream or timeout (the operation is cancelled then).
long long pipeIo(HANDLE pipe, bool write, void* data, size_t size, std::chrono::milliseconds timeout) {
  OVERLAPPED overlapped{};
  UniqueHandle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  overlapped.hEvent = event.get();
  DWORD n = 0;
  BOOL ok = write ? ::WriteFile(pipe, data, static_cast<DWORD>(size), nullptr, &overlapped)
                  : ::ReadFile(pipe, data, static_cast<DWORD>(size), nullptr, &overlapped);
  if (!ok && ::GetLastError() != ERROR_IO_PENDING) return -1;
  if (::WaitForSingleObject(event.get(), static_cast<DWORD>(timeout.count())) != WAIT_OBJECT_0) {
    ::CancelIoEx(pipe, &overlapped);
    ::GetOverlappedResult(pipe, &overlapped, &n, TRUE);
    return -1;
  }
  if (!::GetOverlappedResult(pipe, &overlapped, &n, FALSE)) return -1;
  return static_cast<long long>(n);
}

bool writeAll(HANDLE pipe, const void* data, size_t size) {
  auto bytes = static_cast<const char*>(data);
  while (size > 0) {
    long long n = pipeIo(pipe, true, const_cast<char*>(bytes), size, 5000ms);
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool readExactly(HANDLE pipe, void* data, size_t size, std::chrono::milliseconds timeout) {
  auto bytes = static_cast<char*>(data);
  while (size > 0) {
    long long n = pipeIo(pipe, false, bytes, size, timeout);
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// True once the host has closed its end within `timeout` (what it sent before is discarded).
bool closedByPeer(HANDLE pipe, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    OVERLAPPED overlapped{};
    UniqueHandle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    overlapped.hEvent = event.get();
    DWORD n = 0;
    if (!::ReadFile(pipe, buffer, sizeof(buffer), nullptr, &overlapped)) {
      DWORD error = ::GetLastError();
      if (error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED) return true;
      if (error != ERROR_IO_PENDING) return false;
    }
    if (::WaitForSingleObject(event.get(), static_cast<DWORD>(left.count())) != WAIT_OBJECT_0) {
      ::CancelIoEx(pipe, &overlapped);
      ::GetOverlappedResult(pipe, &overlapped, &n, TRUE);
      return false;
    }
    if (!::GetOverlappedResult(pipe, &overlapped, &n, FALSE)) {
      DWORD error = ::GetLastError();
      return error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED;
    }
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

// What the example client printed (examples/shared-counter/demo).
struct ClientRun {
  ProgramRun run;
  unsigned clientBits = 0, hostBits = 0, hostPid = 0;
  long long before = 0, after = 0;
  bool parsed = false;
};

ClientRun parseClient(ProgramRun run) {
  ClientRun client;
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    unsigned pid = 0;
    std::sscanf(line.c_str(), "client: %u-bit pid %u", &client.clientBits, &pid);
    std::sscanf(line.c_str(), "host: %u-bit pid %u", &client.hostBits, &client.hostPid);
    if (std::sscanf(line.c_str(), "count: %lld -> %lld", &client.before, &client.after) == 2) {
      client.parsed = true;
    }
  }
  client.run = std::move(run);
  return client;
}

std::string exampleClient(unsigned bits) {
  return std::string(bits == 32 ? SHARED_COUNTER_CLIENT_DIR_X86 : SHARED_COUNTER_CLIENT_DIR_X86_64) +
         "/shared-counter-client" + std::to_string(bits) + ".exe";
}

std::string hostExecutable(Arch arch) {
  return arch == Arch::x86 ? HOST_EXE_X86 : HOST_EXE_X86_64;
}

class SharedHostBase : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Unique per process and test (pipe names are machine-wide); at most 64 characters.
    std::string test = info->name();
    test.erase(std::remove_if(test.begin(), test.end(),
                              [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }),
               test.end());
    name_ = "t" + std::to_string(::GetCurrentProcessId()) + "-" + test.substr(0, 40);
  }

  HostOptions options(Arch arch) const {
    HostOptions o;
    o.component = testComponent("counter_component", arch);
    o.sharedName = name_;
    o.idleTimeout = kIdle;
    o.startTimeout = kStart;
    return o;
  }
  SharedPipeEndpoint endpoint(Arch arch) const {
    return sharedPipeEndpoint(sharedEndpointName(name_, arch));
  }
  uint32_t note(uint32_t pid) {
    hosts_.insert(pid);
    return pid;
  }

  // Every host a test saw must leave on its own, and its pipe with it.
  void TearDown() override {
    for (uint32_t pid : hosts_) {
      if (!processGoneWithin(pid, 15s)) {
        ADD_FAILURE() << "shared host " << pid << " did not exit on its idle timeout";
        HANDLE process = ::OpenProcess(PROCESS_TERMINATE, FALSE, pid);
        if (process != nullptr) {
          ::TerminateProcess(process, 9);
          ::CloseHandle(process);
        }
      }
    }
    for (Arch arch : {Arch::x86, Arch::x86_64}) {
      EXPECT_FALSE(pipeExists(endpoint(arch).pipe)) << endpoint(arch).pipe << " left behind";
    }
  }

  ClientRun runExampleClient(unsigned bits, Arch hostArch, int64_t by,
                             std::chrono::milliseconds idle = kIdle) {
    return parseClient(startExampleClient(bits, hostArch, by, idle).finish());
  }
  Program startExampleClient(unsigned bits, Arch hostArch, int64_t by,
                             std::chrono::milliseconds idle) {
    std::string command = "\"" + exampleClient(bits) + "\" --name " + name_ + " --idle-timeout " +
                          std::to_string(idle.count()) + " --add " + std::to_string(by) + " \"" +
                          testComponent("counter_component", hostArch) + "\"";
    return Program(widen(command));
  }

  std::string name_;
  std::set<uint32_t> hosts_;
};

class SharedHost : public SharedHostBase, public ::testing::WithParamInterface<Arch> {};

TEST_P(SharedHost, TwoClientsShareOneHostAndOneInstance) {
  Runtime runtime;
  Host a = Host::connectShared(runtime, options(GetParam()));
  Host b = Host::connectShared(runtime, options(GetParam()));
  note(a.pid());
  EXPECT_EQ(a.pid(), b.pid());
  EXPECT_NE(a.pid(), static_cast<uint32_t>(::GetCurrentProcessId()));
  EXPECT_EQ(a.arch(), GetParam());

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
  auto again = a.activate<Counter>("counter");
  EXPECT_EQ(countOf(a, again), 7);
  // The host is nobody's child: it runs detached, its output in its log.
  EXPECT_CONTAINS(readFile(endpoint(GetParam()).log), "serving on " + endpoint(GetParam()).pipe);
}

TEST_P(SharedHost, ClientsOfBothBitnessesShareOneInstance) {
  for (unsigned bits : {32u, 64u}) {
    if (!fileExists(exampleClient(bits))) {
      GTEST_SKIP() << exampleClient(bits) << " is not built (examples are off)";
    }
  }
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  note(host.pid());
  auto counter = host.activate<Counter>("counter");
  EXPECT_EQ(add(host, counter, 1), 1);

  // Other processes, one of each bitness, reach the same instance by name.
  ClientRun run32 = runExampleClient(32, GetParam(), 10);
  ASSERT_EQ(run32.run.status, 0u) << run32.run.output;
  ASSERT_TRUE(run32.parsed) << run32.run.output;
  EXPECT_EQ(run32.clientBits, 32u);
  EXPECT_EQ(run32.hostPid, host.pid()) << run32.run.output;
  EXPECT_EQ(run32.hostBits, pointerBits(GetParam()));
  EXPECT_EQ(run32.before, 1);
  EXPECT_EQ(run32.after, 11);
  ClientRun run64 = runExampleClient(64, GetParam(), 100);
  ASSERT_EQ(run64.run.status, 0u) << run64.run.output;
  EXPECT_EQ(run64.clientBits, 64u);
  EXPECT_EQ(run64.hostPid, host.pid()) << run64.run.output;
  EXPECT_EQ(run64.before, 11);
  EXPECT_EQ(run64.after, 111);
  EXPECT_EQ(countOf(host, counter), 111);
}

// Processes of both bitnesses, started together with no host running: one host serves them
// all, and every increment lands in its one counter.
TEST_P(SharedHost, ClientsStartingAtTheSameInstantEndWithOneHost) {
  for (unsigned bits : {32u, 64u}) {
    if (!fileExists(exampleClient(bits))) {
      GTEST_SKIP() << exampleClient(bits) << " is not built (examples are off)";
    }
  }
  std::vector<Program> programs;
  for (unsigned bits : {32u, 64u, 32u, 64u}) {
    programs.push_back(startExampleClient(bits, GetParam(), 1, 3000ms));
  }
  std::set<unsigned> hosts;
  std::set<long long> counts;
  for (Program& program : programs) {
    ClientRun run = parseClient(program.finish());
    ASSERT_EQ(run.run.status, 0u) << run.run.output;
    ASSERT_TRUE(run.parsed) << run.run.output;
    hosts.insert(note(run.hostPid));
    counts.insert(run.after);
  }
  EXPECT_EQ(hosts.size(), 1u) << "clients reached different hosts";
  EXPECT_EQ(counts, (std::set<long long>{1, 2, 3, 4}));
}

// The same within one process: threads with a Runtime each (the start mutex is per thread).
TEST_P(SharedHost, ThreadsConnectingAtOnceEndWithOneHost) {
  constexpr int kThreads = 4;
  std::vector<uint32_t> pids(kThreads, 0);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        Runtime runtime;
        HostOptions o = options(GetParam());
        o.idleTimeout = 2000ms;
        Host host = Host::connectShared(runtime, o);
        pids[i] = host.info().pid;
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<uint32_t> distinct;
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_TRUE(errors[i].empty()) << errors[i];
    distinct.insert(note(pids[i]));
  }
  EXPECT_EQ(distinct.size(), 1u) << "threads reached different hosts";
  EXPECT_EQ(distinct.count(0), 0u);
}

TEST_P(SharedHost, LeavesAfterItsIdleTimeoutTakingItsPipe) {
  Runtime runtime;
  HostOptions o = options(GetParam());
  o.idleTimeout = 1000ms;
  uint32_t pid = 0;
  {
    Host host = Host::connectShared(runtime, o);
    pid = note(host.pid());
    EXPECT_TRUE(pipeExists(endpoint(GetParam()).pipe));
  }
  {
    Host host = Host::connectShared(runtime, o);  // back within the idle time: the same host
    EXPECT_EQ(host.pid(), pid);
  }
  auto left = std::chrono::steady_clock::now();
  EXPECT_FALSE(processGoneWithin(pid, 0ms));
  ASSERT_TRUE(processGoneWithin(pid, 15s));
  EXPECT_GE(std::chrono::steady_clock::now() - left, 900ms) << "left before its idle time";
  EXPECT_FALSE(pipeExists(endpoint(GetParam()).pipe));
  EXPECT_CONTAINS(readFile(endpoint(GetParam()).log), "no client for 1000 ms: exiting");

  // The next client starts a new one.
  Host fresh = Host::connectShared(runtime, options(GetParam()));
  EXPECT_NE(note(fresh.pid()), pid);
  auto counter = fresh.activate<Counter>("counter");
  EXPECT_EQ(countOf(fresh, counter), 0);
}

// A raw client: the pipe opened as a client does, a correct hello exchanged.
UniqueHandle helloedRawClient(const SharedPipeEndpoint& endpoint, uint32_t hostPid) {
  auto raw = openSharedPipe(endpoint.pipe, 5000ms);
  if (!raw) {
    ADD_FAILURE() << "no host serves " << endpoint.pipe;
    return UniqueHandle();
  }
  WireHello mine = makeHello(HelloRole::Client);
  EXPECT_TRUE(writeAll(raw->get(), &mine, sizeof(mine)));
  WireHello theirs{};
  EXPECT_TRUE(readExactly(raw->get(), &theirs, sizeof(theirs), 5000ms));
  validateHello(theirs, HelloRole::Host, "shared host");
  EXPECT_EQ(theirs.pid, hostPid);
  return std::move(*raw);
}

TEST_P(SharedHost, GarbageAfterTheHelloClosesOnlyThatConnection) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  note(host.pid());
  auto counter = host.activate<Counter>("counter");
  add(host, counter, 3);

  // A correct hello, then bytes that are no Cap'n Proto frame (a segment count of 2^32 - 1).
  UniqueHandle raw = helloedRawClient(endpoint(GetParam()), host.pid());
  ASSERT_TRUE(raw.valid());
  const uint32_t garbage[4] = {0xfffffffeu, 0x7fffffffu, 0xdeadbeefu, 0xdeadbeefu};
  ASSERT_TRUE(writeAll(raw.get(), garbage, sizeof(garbage)));
  EXPECT_TRUE(closedByPeer(raw.get(), 5000ms)) << "the host kept the bad connection open";

  // The host still serves the others, new ones included.
  EXPECT_EQ(countOf(host, counter), 3);
  Host other = Host::connectShared(runtime, options(GetParam()));
  EXPECT_EQ(other.pid(), host.pid());
  auto otherCounter = other.activate<Counter>("counter");
  EXPECT_EQ(add(other, otherCounter, 1), 4);
  EXPECT_CONTAINS(readFile(endpoint(GetParam()).log),
                  "closing the connection of client pid " +
                      std::to_string(::GetCurrentProcessId()));
}

TEST_P(SharedHost, HalfAMessageThenSilenceClosesOnlyThatConnection) {
  Runtime runtime;
  HostOptions o = options(GetParam());
  o.sharedStallTimeout = 1000ms;
  Host host = Host::connectShared(runtime, o);
  note(host.pid());
  auto counter = host.activate<Counter>("counter");
  add(host, counter, 2);

  // A frame header announcing one segment of 64 words, then 8 of its 512 bytes, then nothing.
  UniqueHandle raw = helloedRawClient(endpoint(GetParam()), host.pid());
  ASSERT_TRUE(raw.valid());
  const uint32_t header[2] = {0, 64};
  const char part[8] = {};
  ASSERT_TRUE(writeAll(raw.get(), header, sizeof(header)));
  ASSERT_TRUE(writeAll(raw.get(), part, sizeof(part)));
  // Meanwhile the host serves the others at once.
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(add(host, counter, 1), 3);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms);
  EXPECT_TRUE(closedByPeer(raw.get(), 10000ms)) << "the host kept the stalled connection open";
  EXPECT_EQ(countOf(host, counter), 3);
}

TEST_P(SharedHost, ANeverGreetingClientIsClosedAfterTheHelloTimeout) {
  Runtime runtime;
  HostOptions o = options(GetParam());
  o.sharedHelloTimeout = 1000ms;
  Host host = Host::connectShared(runtime, o);
  note(host.pid());
  auto raw = openSharedPipe(endpoint(GetParam()).pipe, 5000ms);
  ASSERT_TRUE(raw);
  const char partial[5] = {'h', 'e', 'l', 'l', 'o'};  // not even a whole hello
  ASSERT_TRUE(writeAll(raw->get(), partial, sizeof(partial)));
  EXPECT_TRUE(closedByPeer(raw->get(), 10000ms));
  EXPECT_EQ(host.info().pid, host.pid());  // and still serves us
}

TEST_P(SharedHost, AnOversizedFrameHeaderIsRefusedAtOnceWhileOthersAreServed) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  note(host.pid());
  auto counter = host.activate<Counter>("counter");
  UniqueHandle raw = helloedRawClient(endpoint(GetParam()), host.pid());
  ASSERT_TRUE(raw.valid());
  auto start = std::chrono::steady_clock::now();
  const uint32_t huge[2] = {0, (512u << 20) / 8};  // 512 MiB, beyond maxMessageBytes (64 MiB)
  ASSERT_TRUE(writeAll(raw.get(), huge, sizeof(huge)));
  EXPECT_TRUE(closedByPeer(raw.get(), 3000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
  EXPECT_EQ(add(host, counter, 1), 1);
  std::string log = readFile(endpoint(GetParam()).log);
  EXPECT_CONTAINS(log, "announced a message of 536870912 bytes");
  EXPECT_CONTAINS(log, "HostOptions::maxMessageBytes");
}

TEST_P(SharedHost, ConnectionsBeyondTheLimitPerClientAreRefusedNamingTheOption) {
  Runtime runtime;
  HostOptions o = options(GetParam());
  o.sharedMaxConnectionsPerClient = 2;
  Host a = Host::connectShared(runtime, o);
  Host b = Host::connectShared(runtime, o);
  note(a.pid());
  Error e = expectError(ErrorKind::Overloaded, [&] { Host::connectShared(runtime, o); });
  EXPECT_CONTAINS(e.message(), "already has 2 connections");
  EXPECT_CONTAINS(e.what(), "HostOptions::sharedMaxConnectionsPerClient");
  EXPECT_EQ(a.info().pid, a.pid());  // the others are served
  EXPECT_EQ(b.info().pid, a.pid());
  EXPECT_CONTAINS(readFile(endpoint(GetParam()).log), "limit per client");
}

TEST_P(SharedHost, ConnectionsBeyondTheTotalLimitAreRefusedNamingTheOption) {
  Runtime runtime;
  HostOptions o = options(GetParam());
  o.sharedMaxConnections = 2;
  Host a = Host::connectShared(runtime, o);
  Host b = Host::connectShared(runtime, o);
  note(a.pid());
  Error e = expectError(ErrorKind::Overloaded, [&] { Host::connectShared(runtime, o); });
  EXPECT_CONTAINS(e.what(), "HostOptions::sharedMaxConnections");
  EXPECT_EQ(b.info().pid, a.pid());
  EXPECT_CONTAINS(readFile(endpoint(GetParam()).log), "the limit (sharedMaxConnections)");
}

TEST_P(SharedHost, AHelloFromAnotherPidThanTheConnectedOneIsDropped) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  note(host.pid());
  auto raw = openSharedPipe(endpoint(GetParam()).pipe, 5000ms);
  ASSERT_TRUE(raw);
  WireHello forged = makeHello(HelloRole::Client);
  forged.pid = 4;
  ASSERT_TRUE(writeAll(raw->get(), &forged, sizeof(forged)));
  EXPECT_TRUE(closedByPeer(raw->get(), 5000ms));
  EXPECT_CONTAINS(readFile(endpoint(GetParam()).log), "sent a hello as pid 4");
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
  EXPECT_FALSE(processGoneWithin(pid, 200ms));
  EXPECT_EQ(countOf(b, counter), 2);
}

TEST_P(SharedHost, AKilledHostIsReportedAndReplacedByTheNextClient) {
  Runtime runtime;
  Host host = Host::connectShared(runtime, options(GetParam()));
  uint32_t pid = note(host.pid());
  auto counter = host.activate<Counter>("counter");
  add(host, counter, 1);
  HANDLE process = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, pid);
  ASSERT_NE(process, nullptr);
  ::TerminateProcess(process, 1);  // as `taskkill /F` does
  ::WaitForSingleObject(process, 5000);
  ::CloseHandle(process);
  Error e = expectError(ErrorKind::Disconnected, [&] { countOf(host, counter); });
  EXPECT_CONTAINS(e.message(), "shared " + hostExecutableName(GetParam()) + " '" + name_ + "'");
  EXPECT_CONTAINS(e.message(), "serving on");  // the tail of its log
  EXPECT_FALSE(pipeExists(endpoint(GetParam()).pipe)) << "a pipe goes with its last handle";

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
  HANDLE process = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, pid);
  ASSERT_NE(process, nullptr);
  ::TerminateProcess(process, 1);
  ::WaitForSingleObject(process, 5000);
  ::CloseHandle(process);
  expectError(ErrorKind::Disconnected, [&] { countOf(host, counter); });
  EXPECT_EQ(host.info().components.size(), 1u);
  EXPECT_EQ(host.restartCount(), 1u);
  EXPECT_NE(note(host.pid()), pid);
  EXPECT_EQ(countOf(host, counter), 0);  // a new instance: the old count died with its host
}

TEST_P(SharedHost, ConnectDisconnectCyclesLeakNoHandles) {
  Runtime runtime;
  {
    Host warmUp = Host::connectShared(runtime, options(GetParam()));
    note(warmUp.pid());
    warmUp.info();
  }
  DWORD before = 0;
  if (!::GetProcessHandleCount(::GetCurrentProcess(), &before) || before == 0) {
    GTEST_SKIP() << "GetProcessHandleCount is not available here";
  }
  for (int i = 0; i < 10; ++i) {
    Host host = Host::connectShared(runtime, options(GetParam()));
    note(host.pid());  // a host that idled out in between is replaced: noted too
    auto counter = host.activate<Counter>("counter");
    add(host, counter, 1);
  }
  DWORD after = 0;
  ASSERT_TRUE(::GetProcessHandleCount(::GetCurrentProcess(), &after));
  // A little slack for handles Wine's or KJ's thread pool keep once created.
  EXPECT_LE(after, before + 4) << "handles before " << before << ", after " << after;
}

// Another program holding the pipe's name: the client refuses it, naming it and the way out,
// and never starts a host on it; a host started by hand refuses the name too.
TEST_P(SharedHost, ASquattedNameIsRefusedNamingTheSquatter) {
  std::string pipe = endpoint(GetParam()).pipe;
  test::ReportingClient squatter(widen("\"" + std::string(PIPE_SQUATTER) + "\" \"" + pipe + "\""),
                                 "squatting pid ");
  ASSERT_NE(squatter.hostPid(), 0u) << squatter.output();
  Runtime runtime;
  HostOptions o = options(GetParam());
  o.startTimeout = 5000ms;
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::connectShared(runtime, o); });
  EXPECT_CONTAINS(e.message(), "refusing the shared host pipe " + pipe);
  EXPECT_CONTAINS(e.message(), "served by process " + std::to_string(squatter.hostPid()));
  EXPECT_CONTAINS(e.message(), "pipe_squatter");
  EXPECT_CONTAINS(e.message(), "not by " + hostExecutableName(GetParam()));
  EXPECT_CONTAINS(e.hint(), "end process " + std::to_string(squatter.hostPid()));
  EXPECT_CONTAINS(e.hint(), "sharedName");

  // The host itself, started on the taken name: exit status 3, the reason in its log.
  std::string log = endpoint(GetParam()).log;
  UniqueHandle output(::CreateFileW(widen(log).c_str(), FILE_APPEND_DATA,
                                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                    OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
  ASSERT_TRUE(output.valid());
  DetachedProcess host =
      startDetachedProcess(hostExecutable(GetParam()), {"--shared", name_}, output.get());
  ASSERT_EQ(::WaitForSingleObject(host.process.get(), 30000), WAIT_OBJECT_0);
  DWORD code = 0;
  ::GetExitCodeProcess(host.process.get(), &code);
  EXPECT_EQ(code, 3u);
  EXPECT_CONTAINS(readFile(log), "the shared host pipe " + pipe + " already exists");
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
  EXPECT_TRUE(pipeExists(endpoint(Arch::x86).pipe));
  EXPECT_TRUE(pipeExists(endpoint(Arch::x86_64).pipe));
}

TEST_F(SharedHostBase, OptionsASharedHostCannotHonourAreRefused) {
  Runtime runtime;
  HostOptions noName = options(currentArch());
  noName.sharedName.clear();
  Error e = expectError(ErrorKind::BadConfiguration, [&] { Host::connectShared(runtime, noName); });
  EXPECT_CONTAINS(e.message(), "sharedName");
  HostOptions badName = options(currentArch());
  badName.sharedName = "a\\b";
  expectError(ErrorKind::BadConfiguration, [&] { Host::connectShared(runtime, badName); });
  HostOptions shm = options(currentArch());
  shm.transport = Transport::SharedMemory;
  expectError(ErrorKind::BadConfiguration, [&] { Host::connectShared(runtime, shm); });
  EXPECT_FALSE(pipeExists(endpoint(currentArch()).pipe));
}

TEST_F(SharedHostBase, TheEndpointIsPerUserNameAndArchitecture) {
  std::string sid = currentUserSid();
  ASSERT_EQ(sid.rfind("S-1-", 0), 0u) << sid;
  SharedPipeEndpoint x86 = endpoint(Arch::x86);
  EXPECT_EQ(x86.pipe, "\\\\.\\pipe\\bitbridge-" + sid + "-" + name_ + "-x86");
  EXPECT_EQ(x86.startMutex, "Global\\bitbridge-" + sid + "-" + name_ + "-x86-start");
  EXPECT_CONTAINS(x86.log, "\\bitbridge\\shared\\" + name_ + "-x86.log");
  EXPECT_NE(endpoint(Arch::x86_64).pipe, x86.pipe);
}

// The pipe a host creates grants its user alone, and a second "first instance" is refused.
TEST_F(SharedHostBase, ThePipeGrantsItsUserAloneAndCannotBeCreatedTwice) {
  std::string pipe = endpoint(currentArch()).pipe;
  UniqueHandle first = createSharedPipeInstance(pipe, /*first=*/true);
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { createSharedPipeInstance(pipe, /*first=*/true); });
  EXPECT_CONTAINS(e.message(), "already exists");
  EXPECT_CONTAINS(e.hint(), "sharedName");
  UniqueHandle second = createSharedPipeInstance(pipe, /*first=*/false);  // its own next instance

  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  DWORD rc = ::GetSecurityInfo(first.get(), SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                               nullptr, &dacl, nullptr, &descriptor);
  if (rc != ERROR_SUCCESS) GTEST_SKIP() << "GetSecurityInfo on a pipe failed here: " << rc;
  ASSERT_NE(dacl, nullptr) << "a null DACL grants everybody";
  ASSERT_EQ(dacl->AceCount, 1) << "exactly one entry";
  void* ace = nullptr;
  ASSERT_TRUE(::GetAce(dacl, 0, &ace));
  auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
  EXPECT_EQ(allowed->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
  wchar_t* sid = nullptr;
  ASSERT_TRUE(::ConvertSidToStringSidW(&allowed->SidStart, &sid));
  EXPECT_EQ(narrow(sid), currentUserSid());
  ::LocalFree(sid);
  ::LocalFree(descriptor);
}

TEST_F(SharedHostBase, TheStartMutexExcludesOtherThreadsAndIsGrantedWhenAbandoned) {
  std::string name = endpoint(currentArch()).startMutex;
  auto held = std::make_unique<StartMutex>(StartMutex::acquire(name, 1000ms));
  std::thread other([&] {
    EXPECT_FALSE(StartMutex::tryAcquire(name).has_value());
    Error e = expectError(ErrorKind::TimedOut, [&] { StartMutex::acquire(name, 100ms); });
    EXPECT_CONTAINS(e.message(), name);
    EXPECT_CONTAINS(e.hint(), "startTimeout");
  });
  other.join();
  held.reset();
  // A thread that ends holding it abandons it: the next one gets it.
  std::thread abandoning([&] { new StartMutex(StartMutex::acquire(name, 1000ms)); });  // leaked
  abandoning.join();
  EXPECT_TRUE(StartMutex::tryAcquire(name).has_value());
}

// Wine runs every process as one user, so the refusals of another user are checked here, with
// made-up SIDs, as the host and the client apply them.
TEST(SharedHostIdentity, AnotherUserIsRefusedByHostAndClient) {
  const std::string me = "S-1-5-21-1-2-3-1001";
  EXPECT_FALSE(peerUserRefusal(42, me, me).has_value());
  auto other = peerUserRefusal(42, std::string("S-1-5-21-1-2-3-1002"), me);
  ASSERT_TRUE(other.has_value());
  EXPECT_CONTAINS(*other, "process 42 runs as user S-1-5-21-1-2-3-1002, not as " + me);
  auto unknown = peerUserRefusal(42, std::nullopt, me, "OpenProcess: access denied");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_CONTAINS(*unknown, "cannot tell which user process 42 runs as (OpenProcess: access denied)");

  const std::string host = "C:\\bitbridge\\bin\\x86\\bitbridge-host32.exe";
  EXPECT_FALSE(sharedServerRefusal(7, me, me, host, "bitbridge-host32.exe").has_value());
  EXPECT_FALSE(sharedServerRefusal(7, me, me, "c:\\X\\BITBRIDGE-HOST32.EXE", "bitbridge-host32.exe")
                   .has_value());
  auto squatter = sharedServerRefusal(7, me, me, "C:\\evil\\squat.exe", "bitbridge-host32.exe");
  ASSERT_TRUE(squatter.has_value());
  EXPECT_CONTAINS(*squatter, "served by process 7 (C:\\evil\\squat.exe), not by bitbridge-host32.exe");
  EXPECT_TRUE(sharedServerRefusal(7, std::string("S-1-5-18"), me, host, "bitbridge-host32.exe"));
  EXPECT_TRUE(sharedServerRefusal(7, me, me, "", "bitbridge-host32.exe"));
  EXPECT_TRUE(sharedServerRefusal(0, me, me, host, "bitbridge-host32.exe"));
}

TEST(SharedHostIdentity, ThisProcessIsSeenAsItsOwnUser) {
  std::string why;
  auto sid = processUserSid(::GetCurrentProcessId(), &why);
  ASSERT_TRUE(sid.has_value()) << why;
  EXPECT_EQ(*sid, currentUserSid());
  EXPECT_CONTAINS(processImagePath(::GetCurrentProcessId()), "bitbridge_shared_host_tests");
}

}  // namespace
}  // namespace bitbridge
