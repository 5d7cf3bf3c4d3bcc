// POSIX child processes: posix_spawn (vfork-based in glibc, so starting a host from a large
// client does not copy its page tables), a pipe for stdout+stderr drained by a thread, waitpid.
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <kj/async-unix.h>

#include "bitbridge/error.h"
#include "common/inspect_hint.h"
#include "common/platform/system_error_text.h"
#include "common/process/child_process.h"
#include "common/process/output_lines.h"
#include "common/transport/channel.h"

extern char** environ;

namespace bitbridge {

std::string ExitStatus::describe(const std::string& situation) const {
  if (signaled) {
    // sigdescr_np (glibc 2.32) reads a constant table: describe() runs on whichever thread
    // saw the death, and strsignal may write a shared buffer for unknown numbers.
    const char* name = ::sigdescr_np(code);
    return "was killed by signal " + std::to_string(code) + " (" + (name ? name : "?") + ")" +
           situation;
  }
  return "exited with status " + std::to_string(code) + situation;
}

uint32_t currentProcessId() { return static_cast<uint32_t>(::getpid()); }

std::unique_ptr<ChildProcess> ChildProcess::open(OpenRequest) { return nullptr; }

namespace {

// How long a reaped child's output is still waited for (see awaitDrained).
constexpr auto kDrainWait = std::chrono::milliseconds(100);

// Moves a descriptor above the range the child's file actions write to (0..kHostLastInheritedFd),
// so that dup2 onto those numbers never aliases it (dup2(fd, fd) would keep FD_CLOEXEC set).
int moveAboveStdio(int fd) {
  if (fd > kHostLastInheritedFd) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, kHostLastInheritedFd + 1);
  int saved = errno;
  ::close(fd);
  errno = saved;
  return moved;
}

class PosixChildProcess final : public ChildProcess {
 public:
  PosixChildProcess(pid_t pid, int outputFd, std::function<void(const std::string&)> onLine)
      : pid_(pid), output_(std::move(onLine)) {
    // A pidfd (Linux >= 5.3) lets the client's event loop see the exit; without one the
    // channel's EOF still reports the death, only the reaping waits for the next waitFor().
    // (By syscall number: glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++.)
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ >= 0) ::fcntl(pidfd_, F_SETFD, FD_CLOEXEC);
    stopDrainFd_ = ::eventfd(0, EFD_CLOEXEC);
    drain_ = std::thread([this, outputFd] { drainOutput(outputFd); });
  }

  ~PosixChildProcess() override {
    if (!status_) kill();
    // The pipe may still be held open by something the host spawned: stop the drain thread
    // instead of waiting for an EOF that may never come.
    uint64_t one = 1;
    if (stopDrainFd_ >= 0) (void)!::write(stopDrainFd_, &one, sizeof(one));
    if (drain_.joinable()) drain_.join();
    for (int fd : {pidfd_, stopDrainFd_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  int pid() const override { return pid_; }
  int exitHandle() const override { return pidfd_; }

  std::optional<ExitStatus> waitFor(std::chrono::milliseconds timeout) override {
    if (status_) return status_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(200);
    for (;;) {
      int raw = 0;
      pid_t r = ::waitpid(pid_, &raw, WNOHANG);
      if (r == pid_) {
        status_ = WIFSIGNALED(raw) ? ExitStatus{true, WTERMSIG(raw), std::nullopt}
                                   : ExitStatus{false, WEXITSTATUS(raw), std::nullopt};
        awaitDrained();
        return status_;
      }
      if (r < 0 && errno != EINTR) {
        // Someone else reaped it (e.g. an application SIGCHLD handler with waitpid(-1)).
        status_ = ExitStatus{false, -1, std::nullopt};
        awaitDrained();
        return status_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(10000));
    }
  }

  ExitStatus kill() override {
    if (status_) return *status_;
    ::kill(pid_, SIGKILL);
    // SIGKILL cannot be caught; waiting without bound only guards against a stopped debugger.
    while (!waitFor(std::chrono::seconds(5))) ::kill(pid_, SIGKILL);
    return *status_;
  }

  void awaitDrained() { output_.awaitFinished(kDrainWait); }

  std::string outputTail() const override { return output_.tail(); }

 private:
  void drainOutput(int fd) {
    char buffer[4096];
    for (;;) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {stopDrainFd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents) break;
      ssize_t n = ::read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      output_.feed(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    output_.finish();
  }

  pid_t pid_;
  int pidfd_ = -1;
  int stopDrainFd_ = -1;  // eventfd: destructor -> drain thread
  OutputLines output_;
  std::optional<ExitStatus> status_;
  std::thread drain_;
};

// Owns the descriptors made for one spawn attempt so that every error path closes them.
struct SpawnFds {
  int outRead = -1, outWrite = -1, channel = -1, heartbeat = -1, devNull = -1;
  ~SpawnFds() {
    for (int fd : {outRead, outWrite, channel, heartbeat, devNull}) if (fd >= 0) ::close(fd);
  }
};

}  // namespace

kj::Promise<void> whenProcessExits(kj::AsyncIoContext& io, const ChildProcess& process) {
  if (process.exitHandle() < 0) return kj::NEVER_DONE;
  auto observer = kj::heap<kj::UnixEventPort::FdObserver>(
      io.unixEventPort, process.exitHandle(), kj::UnixEventPort::FdObserver::OBSERVE_READ);
  auto exited = observer->whenBecomesReadable();
  return exited.attach(kj::mv(observer));
}

std::unique_ptr<ChildProcess> ChildProcess::spawn(const SpawnRequest& request) {
  if (::access(request.executable.c_str(), F_OK) != 0) {
    throw Error(ErrorKind::NotFound, "host executable " + request.executable + " does not exist",
                "build both bitnesses (scripts/demo.sh does) or point BITBRIDGE_HOST_DIR at the "
                "directory holding bitbridge-host32 and bitbridge-host64");
  }
  SpawnFds fds;
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::BadConfiguration, std::string("pipe2() failed: ") + errnoText(errno));
  }
  fds.outRead = pipeFds[0];
  fds.outWrite = moveAboveStdio(pipeFds[1]);
  bool withChannel = request.channelHandle >= 0;
  if (withChannel) {
    fds.channel =
        moveAboveStdio(::fcntl(request.channelHandle, F_DUPFD_CLOEXEC, kHostLastInheritedFd + 1));
  }
  if (request.heartbeatHandle >= 0) {
    fds.heartbeat = moveAboveStdio(
        ::fcntl(request.heartbeatHandle, F_DUPFD_CLOEXEC, kHostLastInheritedFd + 1));
  }
  fds.devNull = moveAboveStdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (fds.outWrite < 0 || (withChannel && fds.channel < 0) || fds.devNull < 0 ||
      (request.heartbeatHandle >= 0 && fds.heartbeat < 0)) {
    throw Error(ErrorKind::BadConfiguration,
                std::string("preparing the host's descriptors failed: ") + errnoText(errno));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds.devNull, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds.outWrite, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds.outWrite, STDERR_FILENO);
  if (withChannel) posix_spawn_file_actions_adddup2(&actions, fds.channel, kHostChannelFd);
  if (fds.heartbeat >= 0) {
    posix_spawn_file_actions_adddup2(&actions, fds.heartbeat, kHostHeartbeatFd);
  }
  // Descriptors the application left inheritable must not leak into the host.
  int firstClosed = fds.heartbeat >= 0 ? kHostHeartbeatFd + 1
                    : withChannel       ? kHostChannelFd + 1
                                        : STDERR_FILENO + 1;
  posix_spawn_file_actions_addclosefrom_np(&actions, firstClosed);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(request.executable.c_str()));
  for (const auto& arg : request.arguments) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, request.executable.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw Error(rc == ENOENT ? ErrorKind::NotFound : ErrorKind::BadConfiguration,
                "cannot start " + request.executable + ": " + errnoText(rc),
                rc == ENOENT ? "the file or the program loader it needs is missing (a 32-bit "
                               "host needs the i386 libc6 for /lib/ld-linux.so.2); run `" +
                                   inspectCommand(request.executable) + "` to check it"
                             : "check that the file is an executable for this machine; run `" +
                                   inspectCommand(request.executable) + "` to check it");
  }
  ::close(fds.outWrite);
  fds.outWrite = -1;
  int outRead = fds.outRead;
  fds.outRead = -1;
  return std::make_unique<PosixChildProcess>(pid, outRead, request.onOutputLine);
}

}  // namespace bitbridge
