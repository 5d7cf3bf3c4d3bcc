// The floors: what two processes on this machine can do at best, with no RPC at all.
//   floor_spin        both sides spin on a shared cache line: the hardware floor
//   floor_socketpair  a blocking 8-byte round trip through the kernel: the wake-up floor that
//                     every blocking transport (Unix sockets, pipes, futexes) pays twice a call
//   exec_true         fork + exec + exit + waitpid of /bin/true: the floor under cold_start
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
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

CaseResult floorSpin(const Settings& settings) {
  void* memory = ::mmap(nullptr, sizeof(SpinShared), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) fail("mmap");
  auto* shared = new (memory) SpinShared;
  struct Unmap {
    void* memory;
    ~Unmap() { ::munmap(memory, sizeof(SpinShared)); }
  } unmap{memory};

  ChildGuard child;
  child.pid = forkChild([shared] {
    uint32_t seen = 0;
    for (;;) {
      spinUntil([&] { return shared->ping.load(std::memory_order_acquire) != seen; }, [] {});
      seen = shared->ping.load(std::memory_order_acquire);
      if (seen == kStop) return;
      shared->pong.store(seen, std::memory_order_release);
    }
  });
  int pid = child.pid;
  auto childAlive = [pid] {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      throw std::runtime_error("floor_spin: the child process exited unexpectedly");
    }
  };

  uint32_t sequence = 0;
  uint64_t calls = settings.count(2000000, 20000);
  CaseResult result = measureCalls(Settings::warmup(calls), calls, [&] {
    uint32_t value = ++sequence;
    shared->ping.store(value, std::memory_order_release);
    spinUntil([&] { return shared->pong.load(std::memory_order_acquire) == value; }, childAlive);
  });
  shared->ping.store(kStop, std::memory_order_release);
  return result;
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
