// The floors: what two processes on this machine can do at best, with no RPC at all.
//   floor_spin        both sides spin on a shared cache line: the hardware floor
//   floor_spin_copy1000  the same, carrying 1000 doubles each way with the fast lane's copies
//                     (bind_lane_scale1000_*): the floor under an array call through the lane
//   floor_socketpair  a blocking 8-byte round trip through the kernel: the wake-up floor that
//                     every blocking transport (Unix sockets, pipes, futexes) pays twice a call
//   exec_true         fork + exec + exit + waitpid of /bin/true: the floor under cold_start
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "harness.h"

namespace bitbridge::bench {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Kills and reaps the child when the case ends, however it ends.
struct ChildGuard {
  int pid = -1;
  ~ChildGuard() { killChild(pid); }
};

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// The two words the processes exchange, each on its own cache line so that a write by one side
// invalidates only the line the other side is polling. Fixed-width and lock-free, so the layout
// would hold between a 32-bit and a 64-bit process too.
struct SpinShared {
  alignas(64) std::atomic<uint32_t> ping{0};
  alignas(64) std::atomic<uint32_t> pong{0};
};
static_assert(std::atomic<uint32_t>::is_always_lock_free, "spin floor needs lock-free atomics");
static_assert(sizeof(SpinShared) == 128, "one cache line per direction");

// floor_spin_copy1000's shared areas after the two lines, as a lane slot's parameters and
// results areas follow its controls.
constexpr uint32_t kCopyElements = 1000;
struct SpinCopyShared {
  SpinShared lines;
  alignas(64) double in[kCopyElements];
  alignas(64) double out[kCopyElements];
};
static_assert(sizeof(double) == 8, "IEEE doubles");
static_assert(offsetof(SpinCopyShared, lines) == 0, "spinPingPong finds the lines first");
static_assert(offsetof(SpinCopyShared, in) == 128, "the areas follow the two lines");
static_assert(sizeof(SpinCopyShared) % 64 == 0, "whole cache lines");

constexpr uint32_t kStop = 0xffffffffu;

// Spins until `done()`. Every 64 Ki spins it yields the CPU, so that the two sides still make
// progress when the scheduler puts them on one core (a busy 2-core VM), and runs `check()`.
template <typename Done, typename Check>
void spinUntil(Done&& done, Check&& check) {
  for (uint32_t spins = 1;; ++spins) {
    if (done()) return;
    cpuRelax();
    if ((spins & 0xffffu) == 0) {
      ::sched_yield();
      check();
    }
  }
}

bool readFully(int fd, void* data, size_t size) {
  auto* bytes = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, bytes, size);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("read");
    }
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void writeFully(int fd, const void* data, size_t size) {
  auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    bytes += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

// Spin ping-pong between this process and a forked child through a shared `Shared` (which
// starts with a SpinShared): the parent runs `request(shared)` before each ping and
// `answer(shared)` after the pong, the child `serve(shared)` between them.
template <typename Shared, typename Request, typename Serve, typename Answer>
CaseResult spinPingPong(const Settings& settings, const char* name, Request&& request,
                        Serve&& serve, Answer&& answer) {
  void* memory = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) fail("mmap");
  auto* shared = new (memory) Shared;
  struct Unmap {
    void* memory;
    ~Unmap() { ::munmap(memory, sizeof(Shared)); }
  } unmap{memory};
  SpinShared& lines = *reinterpret_cast<SpinShared*>(shared);

  ChildGuard child;
  child.pid = forkChild([shared, &lines, &serve] {
    uint32_t seen = 0;
    for (;;) {
      spinUntil([&] { return lines.ping.load(std::memory_order_acquire) != seen; }, [] {});
      seen = lines.ping.load(std::memory_order_acquire);
      if (seen == kStop) return;
      serve(*shared);
      lines.pong.store(seen, std::memory_order_release);
    }
  });
  int pid = child.pid;
  std::string exited = std::string(name) + ": the child process exited unexpectedly";
  auto childAlive = [pid, &exited] {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) throw std::runtime_error(exited);
  };

  uint32_t sequence = 0;
  uint64_t calls = settings.count(2000000, 20000);
  CaseResult result = measureCalls(Settings::warmup(calls), calls, [&] {
    uint32_t value = ++sequence;
    request(*shared);
    lines.ping.store(value, std::memory_order_release);
    spinUntil([&] { return lines.pong.load(std::memory_order_acquire) == value; }, childAlive);
    answer(*shared);
  });
  lines.ping.store(kStop, std::memory_order_release);
  return result;
}

CaseResult floorSpin(const Settings& settings) {
  auto nothing = [](SpinShared&) {};
  return spinPingPong<SpinShared>(settings, "floor_spin", nothing, nothing, nothing);
}

CaseResult floorSpinCopy1000(const Settings& settings) {
  // The fast lane's copies of bind_lane_scale1000, and nothing else: the client zeroes the
  // parameters area and writes 1000 doubles there; the host copies them into memory of its own,
  // scales them into a private results array and copies that into the results area; the client
  // copies the answer out. Buffers outlive the case: the child is forked from here.
  static double hostIn[kCopyElements];
  static double hostOut[kCopyElements];
  static double clientOut[kCopyElements];
  auto request = [](SpinCopyShared& shared) {
    std::memset(shared.in, 0, sizeof shared.in);
    for (uint32_t i = 0; i < kCopyElements; ++i) shared.in[i] = i;
  };
  auto serve = [](SpinCopyShared& shared) {
    std::memcpy(hostIn, shared.in, sizeof hostIn);
    for (uint32_t i = 0; i < kCopyElements; ++i) hostOut[i] = 2 * hostIn[i];
    std::memcpy(shared.out, hostOut, sizeof hostOut);
  };
  auto answer = [](SpinCopyShared& shared) {
    std::memcpy(clientOut, shared.out, sizeof clientOut);
    if (clientOut[kCopyElements - 1] != 2.0 * (kCopyElements - 1)) {
      throw std::runtime_error("floor_spin_copy1000: wrong results");
    }
  };
  return spinPingPong<SpinCopyShared>(settings, "floor_spin_copy1000", request, serve, answer);
}

CaseResult floorSocketpair(const Settings& settings) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) fail("socketpair");
  ChildGuard child;
  child.pid = forkChild([fds] {
    ::close(fds[0]);
    uint64_t word = 0;
    while (readFully(fds[1], &word, sizeof(word))) writeFully(fds[1], &word, sizeof(word));
  });
  ::close(fds[1]);
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } closeParentEnd{fds[0]};

  uint64_t sequence = 0;
  auto call = [&] {
    uint64_t word = ++sequence;
    writeFully(fds[0], &word, sizeof(word));
    if (!readFully(fds[0], &word, sizeof(word))) {
      throw std::runtime_error("floor_socketpair: the child closed the socket");
    }
  };
  uint64_t calls = settings.count(200000, 2000);
  for (uint64_t i = 0, n = Settings::warmup(calls); i < n; ++i) call();
  CpuPerCall cpu(child.pid);
  CaseResult result = measureCalls(0, calls, call);
  cpu.addTo(result, calls);
  return result;
}

CaseResult execTrue(const Settings& settings) {
  uint64_t starts = settings.starts(200, 20);
  CaseResult result = measureCalls(5, starts, [] {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
      ::execl("/bin/true", "true", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) fail("waitpid");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error("exec_true: /bin/true did not exit with status 0");
    }
  });
  result.callsPerSecond.reset();  // starts, not calls: only the latency is meaningful
  return result;
}

}  // namespace bitbridge::bench
