// lane_wait.h on Linux: process-shared futexes (the words are in a MAP_SHARED segment), so a
// bell is the word itself and needs no name.
#include "common/transport/lane_wait.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace bitbridge {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t),
              "the futex word is the atomic's own storage");

struct LaneDoorbell::Platform {};

LaneDoorbell::LaneDoorbell(std::atomic<uint32_t>& word, const std::string&, const char*, End)
    : word_(word) {}

LaneDoorbell::~LaneDoorbell() = default;

void LaneDoorbell::sleep(uint32_t expected, std::chrono::microseconds timeout) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  struct timespec relative {};
  relative.tv_sec = static_cast<time_t>(seconds.count());
  relative.tv_nsec = static_cast<long>((timeout - seconds).count() * 1000);
  // EAGAIN (the word changed), EINTR and ETIMEDOUT all mean: look again.
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word_), FUTEX_WAIT, expected, &relative,
            nullptr, 0);
}

void LaneDoorbell::wake() {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word_), FUTEX_WAKE, INT32_MAX, nullptr,
            nullptr, 0);
}

void laneSpinPause(bool yield) {
#if defined(__i386__) || defined(__x86_64__)
  __builtin_ia32_pause();
#endif
  if (yield) ::sched_yield();
}

}  // namespace bitbridge
