// POSIX side of probe_platform.h.
#include <signal.h>
#include <unistd.h>

#include "probe_platform.h"

namespace probe {

uint32_t processId() { return static_cast<uint32_t>(::getpid()); }
uint32_t threadId() { return static_cast<uint32_t>(::gettid()); }

void crashWith(int signal) {
  ::raise(signal);
  ::_exit(99);
}

void exitAtOnce(int code) { ::_exit(code); }

uint32_t startSleeper(uint32_t milliseconds) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::usleep(milliseconds * 1000u);
    ::_exit(0);
  }
  return static_cast<uint32_t>(pid);
}

}  // namespace probe
