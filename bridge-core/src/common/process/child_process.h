// A child process (a host) started by the client: spawn, output capture, exit status, reaping.
//
// Lifetime: the ChildProcess object owns the child. Its destructor kills (SIGKILL / terminate)
// a child that is still running and reaps it, so no zombie and no orphan outlives the object.
// Thread assumptions: the owner calls its methods from one thread; an internal thread drains
// the child's stdout/stderr (so a chatty host can never block on a full pipe) and hands each
// line to the callback on that internal thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <kj/async-io.h>
#include "common/internal_api.h"

namespace bitbridge {

struct BITBRIDGE_INTERNAL_API ExitStatus {
  bool signaled = false;  ///< POSIX: killed by a signal (code is the signal number); Windows:
                          ///< terminated by this client (ChildProcess::kill)
  int code = 0;           ///< exit code, or signal number when signaled
  /// Windows: whether the host announced that it exits by itself (exit_announcement.h); false
  /// means it was terminated (TerminateProcess from outside, `taskkill /F`, or under Wine a
  /// signal to its process), whatever its exit code. Unset where that cannot be known (POSIX,
  /// where `signaled` tells; a process whose output is not read, such as a COM-activated host
  /// opened without its log pipe).
  std::optional<bool> exitedByItself;
  /// The process's fate, with `situation` (" while calls were pending", " before ...") where
  /// it reads best: "exited with status 3 while calls were pending", "was killed by signal 9
  /// (Killed) while ...", Windows: "crashed with exception 0xC0000005 (access violation) while
  /// ...", "was terminated from outside while ... (exit status 1; ...)".
  std::string describe(const std::string& situation = {}) const;
};

struct SpawnRequest {
  std::string executable;             ///< absolute path
  std::vector<std::string> arguments; ///< argv[1..]
  int channelHandle = -1;             ///< POSIX: inherited as kHostChannelFd in the child; -1:
                                      ///< none (a shared host, or a Windows named pipe, is
                                      ///< found by name instead)
  int heartbeatHandle = -1;           ///< POSIX: inherited as kHostHeartbeatFd, if >= 0
  /// Called with each line the child writes to stdout or stderr (without the newline), on the
  /// output-drain thread. Must be thread-safe with respect to the owner's use of its state.
  std::function<void(const std::string&)> onOutputLine;
};

/// A process this client did not start but supervises (ChildProcess::open).
struct OpenRequest {
  int pid = 0;
  /// Windows: the read end (a blocking pipe HANDLE) of what the process writes to its stdout and
  /// stderr, taken over (closed here even when the process cannot be opened); null for none.
  /// A COM-activated host's log pipe (com_activation.h). Unused elsewhere.
  void* outputPipe = nullptr;
  /// As SpawnRequest::onOutputLine, for the lines read from `outputPipe`.
  std::function<void(const std::string&)> onOutputLine;
};

class BITBRIDGE_INTERNAL_API ChildProcess {
 public:
  /// Starts the child. Throws Error{NotFound} if the executable is missing,
  /// Error{BadConfiguration} if it cannot be executed.
  static std::unique_ptr<ChildProcess> spawn(const SpawnRequest& request);
  /// A host this process did not start (Windows: one COM activated), by pid, so that its exit
  /// status, death watch and kill work as for a spawned one, and, given its output pipe, its
  /// output tail, forwarded lines and exit announcement (exit_announcement.h) too. Null where
  /// that is impossible (POSIX: only a parent can reap a process) or the pid is gone.
  static std::unique_ptr<ChildProcess> open(OpenRequest request);
  virtual ~ChildProcess() = default;

  virtual int pid() const = 0;
  /// Waits up to `timeout` for the child to exit and reaps it; returns its status, or nothing
  /// if it is still running. Once reaped, returns the same status on every call.
  virtual std::optional<ExitStatus> waitFor(std::chrono::milliseconds timeout) = 0;
  /// Kills the child (no grace) and reaps it.
  virtual ExitStatus kill() = 0;
  /// A descriptor that becomes readable when the child exits (Linux: a pidfd), so an event
  /// loop can notice the death and reap at once; -1 where the system has none (then the
  /// channel's EOF is the only signal) or where the process handle itself is waited on
  /// (Windows: whenProcessExits watches the handle). Owned by this object.
  virtual int exitHandle() const = 0;
  /// The last lines of the child's output (up to about 4 KiB), oldest first.
  virtual std::string outputTail() const = 0;
};

/// This process's id (getpid() / GetCurrentProcessId()).
BITBRIDGE_INTERNAL_API uint32_t currentProcessId();

/// Resolves on `io`'s event loop when `process` exits (it is not reaped: call waitFor). Never
/// resolves on a system without a process handle (exitHandle() < 0). `process` must outlive
/// the promise.
BITBRIDGE_INTERNAL_API kj::Promise<void> whenProcessExits(kj::AsyncIoContext& io, const ChildProcess& process);

}  // namespace bitbridge

