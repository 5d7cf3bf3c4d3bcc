// POSIX daemonizing: fork, setsid, redirect, and a pipe that carries one "ready" byte.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bitbridge/error.h"
#include "common/platform/system_error_text.h"
#include "host/daemon-posix.h"
#include "wire/host_exit.h"

namespace bitbridge {
namespace {

// In the intermediate process: wait for the child's verdict and leave. _exit, not exit: the
// fork duplicated everything the caller owns (the bound socket, loggers); none of it may be
// torn down or flushed twice.
[[noreturn]] void waitForChildAndExit(pid_t child, int readyFd) {
  char ready = 0;
  ssize_t n;
  do {
    n = ::read(readyFd, &ready, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 1 && ready == 'R') ::_exit(0);
  // No byte: the child failed before it was ready. Reap it (it is our child) for its status.
  int raw = 0;
  while (::waitpid(child, &raw, 0) < 0 && errno == EINTR) {
  }
  ::_exit(WIFEXITED(raw) && WEXITSTATUS(raw) != 0 ? WEXITSTATUS(raw) : 1);
}

// Points stdout and stderr at the log file. False (errno set) if it cannot be opened.
bool redirectOutput(const std::string& logPath) {
  int fd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  // Never emptied here: the previous run's last words (a crash) must survive this start. The
  // detached host bounds the file by rotating it (host_platform-posix.cpp, useRotatingLog).
  (void)::fchmod(fd, 0600);  // an older file may have been made under another umask
  std::fflush(stdout);
  std::fflush(stderr);
  bool ok = ::dup2(fd, STDOUT_FILENO) >= 0 && ::dup2(fd, STDERR_FILENO) >= 0;
  ::close(fd);
  return ok;
}

}  // namespace

void daemonize(const std::string& logPath, const std::function<bool()>& becomeReady) {
  int readyPipe[2];
  if (::pipe2(readyPipe, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::BadConfiguration,
                std::string("pipe2() failed while detaching the shared host: ") +
                    errnoText(errno));
  }
  std::fflush(stdout);  // nothing buffered may be written twice
  std::fflush(stderr);
  pid_t child = ::fork();
  if (child < 0) {
    int error = errno;
    ::close(readyPipe[0]);
    ::close(readyPipe[1]);
    throw Error(ErrorKind::BadConfiguration,
                std::string("fork() failed while detaching the shared host: ") +
                    errnoText(error),
                "the system may be out of processes or memory");
  }
  if (child > 0) {
    ::close(readyPipe[1]);
    waitForChildAndExit(child, readyPipe[0]);
  }

  ::close(readyPipe[0]);
  ::setsid();  // cannot fail: a fresh child of a fork is never a process group leader
  // Not keeping the starter's working directory busy; failing to leave it is harmless.
  (void)!::chdir("/");
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devNull >= 0) {
    ::dup2(devNull, STDIN_FILENO);
    ::close(devNull);
  }
  if (!becomeReady()) ::_exit(exitCode(HostExit::CannotStart));
  if (!redirectOutput(logPath)) {
    std::fprintf(stderr, "critical|cannot open the shared host log %s: %s\n", logPath.c_str(),
                 errnoText(errno).c_str());
    ::_exit(exitCode(HostExit::CannotStart));
  }
  const char ready = 'R';
  ssize_t n;
  do {
    n = ::write(readyPipe[1], &ready, 1);
  } while (n < 0 && errno == EINTR);
  ::close(readyPipe[1]);
}

}  // namespace bitbridge
