// The case registry and the helpers every case uses.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "harness.h"

namespace bitbridge::bench {

const std::vector<Case>& allCases() {
  // Order: floors first (they fork while this process is still small and has no threads),
  // then the baselines, then bitbridge (socket, then shared memory). To add a transport, write
  // one function that builds its HostOptions and calls nullCallLatency (see
  // cases_bitbridge.cpp), and add one line here.
  static const std::vector<Case> cases = {
      {"floor_spin", "spin-wait ping-pong on shared memory between two processes (hardware floor)",
       std::nullopt, floorSpin},
      {"floor_spin_copy1000", "floor_spin carrying 1000 doubles each way with the fast lane's "
       "copies (zero + write, copy in, copy out, copy out): the floor under bind_lane_scale1000",
       std::nullopt, floorSpinCopy1000},
      {"floor_socketpair", "8-byte ping-pong over a socketpair between two processes (kernel floor)",
       std::nullopt, floorSocketpair},
      {"capnp_ezrpc_uds", "plain Cap'n Proto EzRpc null call over an abstract Unix socket, "
       "server in a forked child (peer baseline, no bitbridge)", std::nullopt, capnpEzRpcUds},
      {"capnp_ezrpc_uds_64to32", "plain Cap'n Proto EzRpc null call, 64-bit client -> 32-bit "
       "server (bitbridge-bench32): the bitness pair of bitbridge_uds_64to32", Arch::x86_64,
       capnpEzRpcUds64to32},
      {"capnp_ezrpc_pipelined", "plain Cap'n Proto EzRpc null calls, 128 in flight (baseline of "
       "pipelined_64to32)", std::nullopt, capnpEzRpcPipelined},
      {"bitbridge_uds_64to32", "null call, 64-bit client -> bitbridge-host32, default transport",
       Arch::x86_64, bitbridgeUds64to32},
      {"bitbridge_uds_32to64", "null call, 32-bit client -> bitbridge-host64, default transport",
       Arch::x86, bitbridgeUds32to64},
      {"pipelined_64to32", "null calls, 64-bit client -> bitbridge-host32, 128 in flight",
       Arch::x86_64, pipelined64to32},
      {"bitbridge_shm_64to32", "null call, 64-bit client -> bitbridge-host32, RPC over shared "
       "memory (Transport::SharedMemory)", Arch::x86_64, bitbridgeShm64to32},
      {"bitbridge_shm_32to64", "null call, 32-bit client -> bitbridge-host64, RPC over shared "
       "memory (Transport::SharedMemory)", Arch::x86, bitbridgeShm32to64},
      {"pipelined_shm_64to32", "null calls, 64-bit client -> bitbridge-host32, RPC over shared "
       "memory, 128 in flight", Arch::x86_64, pipelinedShm64to32},
      {"component_add_64to32", "int32 add through a hand-written component (bitbridge-host32): "
       "baseline of bind_add_64to32", Arch::x86_64, componentAdd64to32},
      {"bind_add_64to32", "the same add through Host::bind (schema only, libffi; default: calls "
       "on the library's own thread)", Arch::x86_64, bindAdd64to32},
      {"bind_host_thread_add_64to32", "the same add through Host::bind with $C.calls(host): on "
       "the host's RPC thread, like the component", Arch::x86_64, bindHostThreadAdd64to32},
      {"component_sum1000_64to32", "sum of 1000 doubles through a hand-written component: "
       "baseline of bind_sum1000_64to32", Arch::x86_64, componentSum64to32},
      {"bind_sum1000_64to32", "the same sum through Host::bind (library thread)", Arch::x86_64,
       bindSum64to32},
      {"bind_host_thread_sum1000_64to32", "the same sum through Host::bind with $C.calls(host)",
       Arch::x86_64, bindHostThreadSum64to32},
      {"bind_bulk_1gib_64to32", "a 1 GiB array of doubles passed to a bound function by bulk "
       "reference (Bulk.BulkRef, mapped in place; the function reads both ends; library thread): "
       "compare bind_add_64to32", Arch::x86_64, bindBulk1GiB64to32},
      {"bind_callback_64to32", "a bound call whose function calls the client back once through "
       "a function pointer (libffi closure -> RPC -> the client's object): compare "
       "bind_add_64to32", Arch::x86_64, bindCallback64to32},
      {"bind_shm_add_64to32", "the bound add by RPC over shared memory (Transport::SharedMemory, "
       "library thread): the RPC path the fast lane is compared with", Arch::x86_64,
       bindShmAdd64to32},
      {"bind_lane_add_64to32", "the bound add through the fast lane (HostOptions::fastLane: "
       "shared-memory call slot, no RPC), 64-bit client -> bitbridge-host32", Arch::x86_64,
       bindLaneAdd64to32},
      {"bind_lane_add_32to64", "the bound add through the fast lane, 32-bit client -> "
       "bitbridge-host64", Arch::x86, bindLaneAdd32to64},
      {"bind_scale1000_64to32", "1000 doubles in and 1000 out through a bound function by RPC "
       "(socket, library thread)", Arch::x86_64, bindScale64to32},
      {"bind_lane_scale1000_64to32", "1000 doubles in and 1000 out through the fast lane, "
       "64-bit client -> bitbridge-host32", Arch::x86_64, bindLaneScale64to32},
      {"bind_lane_scale1000_32to64", "1000 doubles in and 1000 out through the fast lane, "
       "32-bit client -> bitbridge-host64", Arch::x86, bindLaneScale32to64},
      {"exec_true", "fork + exec /bin/true + waitpid (baseline of cold_start)", std::nullopt,
       execTrue},
      {"cold_start", "Host::spawn of bitbridge-host32 with the bench component -> first reply "
       "(info)", Arch::x86_64, coldStart},
      {"idle_rss_host32", "VmRSS of an idle bitbridge-host32 with the bench component loaded",
       std::nullopt, idleRssHost32},
      {"idle_rss_host64", "VmRSS of an idle bitbridge-host64 with the bench component loaded",
       std::nullopt, idleRssHost64},
  };
  return cases;
}

namespace {

// CPU time used so far by process `pid` (0: this process, all threads), in µs; NaN if unknown.
double cpuMicros(int pid) {
  clockid_t clock = CLOCK_PROCESS_CPUTIME_ID;
  if (pid != 0 && ::clock_getcpuclockid(pid, &clock) != 0) return NAN;
  timespec now{};
  if (::clock_gettime(clock, &now) != 0) return NAN;
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

}  // namespace

CpuPerCall::CpuPerCall(int peerPid)
    : peerPid_(peerPid), client_(cpuMicros(0)), peer_(cpuMicros(peerPid)) {}

void CpuPerCall::addTo(CaseResult& result, uint64_t calls) const {
  double client = cpuMicros(0) - client_;
  double peer = cpuMicros(peerPid_) - peer_;
  if (calls == 0) return;
  auto perCall = [calls](double total) { return total / static_cast<double>(calls); };
  if (std::isfinite(client)) result.extra.emplace_back("client_cpu_us_per_call", perCall(client));
  if (std::isfinite(peer)) result.extra.emplace_back("peer_cpu_us_per_call", perCall(peer));
}

std::string siblingExecutable(const Settings& settings, Arch arch) {
  return settings.binDir + "/bitbridge-bench" + std::to_string(pointerBits(arch));
}

std::string executableDirectory() {
  char path[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0) throw std::runtime_error(std::string("readlink /proc/self/exe: ") + std::strerror(errno));
  std::string exe(path, static_cast<size_t>(length));
  return exe.substr(0, exe.rfind('/'));
}

int forkChild(const std::function<void()>& body) {
  pid_t parent = ::getpid();
  std::fflush(nullptr);  // nothing buffered may be written twice
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) return pid;
  // Child: die with the parent, even if it is killed mid-case.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
  int status = 0;
  try {
    body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench child: %s\n", e.what());
    status = 1;
  } catch (...) {
    std::fprintf(stderr, "bench child: unknown exception\n");
    status = 1;
  }
  std::fflush(nullptr);
  ::_exit(status);  // never run the parent's atexit handlers or destructors
}

void killChild(int pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace bitbridge::bench
