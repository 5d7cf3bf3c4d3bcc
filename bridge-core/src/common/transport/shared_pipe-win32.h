// The named endpoint of a shared host on Windows (Host::connectShared): one named pipe per
// (user, name, architecture), a start mutex beside it, and the host's log.
//
//   \\.\pipe\bitbridge-<user SID>-<name>-<arch>           the host's pipe (many instances)
//   Global\bitbridge-<user SID>-<name>-<arch>-start        the start mutex
//   %LOCALAPPDATA%\bitbridge\shared\<name>-<arch>.log      the host's stdout and stderr
//
// The counterpart of shared_endpoint-posix.cpp's socket, flock and log. Why each piece:
// - The user's SID in the names keeps users apart (pipe names are machine-wide, not per user);
//   the pipe's DACL grants that user alone, PIPE_REJECT_REMOTE_CLIENTS keeps it local, and the
//   host creates its first instance only on a free name and with FILE_FLAG_FIRST_PIPE_INSTANCE
//   (Wine ignores the flag: hence the check first), so a process that took the name first makes
//   the host refuse to start instead of sharing the name with it.
// - The mutex is in the Global\ namespace because pipe names are machine-wide too: two logon
//   sessions of one user must not start two hosts for one pipe. It has the same user-only DACL.
//   A mutex whose owner dies is "abandoned" and granted to the next waiter, as a dead
//   process's flock is released.
// - Both sides check each other (docs/windows.md): the host asks who its client is
//   (GetNamedPipeClientProcessId, then that process's token user), the client asks who serves
//   the pipe (GetNamedPipeServerProcessId, its token user and its executable's name), and the
//   hellos must come from those very processes.
// Thread/lifetime: stateless functions; StartMutex is an RAII owner of the mutex, owned by the
// thread that acquired it (Win32 mutexes belong to threads). Windows only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/internal_api.h"
#include "common/platform/handle-win32.h"

namespace bitbridge {

struct SharedPipeEndpoint {
  std::string pipe;        ///< \\.\pipe\bitbridge-<SID>-<endpoint>
  std::string startMutex;  ///< Global\bitbridge-<SID>-<endpoint>-start
  std::string log;         ///< the host's output, appended to across starts
};

/// The names of `endpoint` ("<name>-<arch>", sharedEndpointName) for this process's user.
/// Creates the log's directory. Throws Error{BadConfiguration}.
BITBRIDGE_INTERNAL_API SharedPipeEndpoint sharedPipeEndpoint(const std::string& endpoint);

/// The start mutex of one endpoint. A client holds it from looking for a running host until its
/// hello is done; a host holds it while it decides to exit when idle (and until it is gone), so
/// a host is never started twice, and never leaves under a connecting client.
/// Threads: a Win32 mutex is recursive within its owning thread, so two StartMutexes of one
/// thread do not exclude each other (one thread connects to one shared host at a time); two
/// threads, or two processes, do. Released by the destructor, which must run on the acquiring
/// thread, or by the owner's death. Move-only.
class BITBRIDGE_INTERNAL_API StartMutex {
 public:
  /// Waits until the mutex is held; after `timeout`, throws Error{TimedOut} naming it.
  static StartMutex acquire(const std::string& name, std::chrono::milliseconds timeout);
  /// The mutex if nobody holds it; nothing, at once, if somebody does.
  static std::optional<StartMutex> tryAcquire(const std::string& name);

  StartMutex(StartMutex&&) noexcept = default;
  StartMutex& operator=(StartMutex&&) noexcept;
  ~StartMutex();

 private:
  explicit StartMutex(UniqueHandle mutex) : mutex_(std::move(mutex)) {}
  UniqueHandle mutex_;
};

/// Host: creates one server instance of the shared pipe `name` (duplex, overlapped, byte mode,
/// unlimited instances, user-only DACL, remote clients rejected). `first`: the host's first
/// instance: the name must be free, and it is created with FILE_FLAG_FIRST_PIPE_INSTANCE (which
/// Wine does not enforce); if the name exists already (another
/// host, or a squatter), Error{BadConfiguration} saying so. Later instances join the host's own
/// pipe. Throws Error{BadConfiguration}.
BITBRIDGE_INTERNAL_API UniqueHandle createSharedPipeInstance(const std::string& name, bool first);

/// Client: opens the pipe `name` (overlapped, SECURITY_IDENTIFICATION: the host may identify
/// this client but never act as it). Nothing if no host serves it; waits while every instance is
/// busy, until `timeout`, then Error{Overloaded}; Error{BadConfiguration} for anything else.
BITBRIDGE_INTERNAL_API std::optional<UniqueHandle> openSharedPipe(const std::string& name,
                                           std::chrono::milliseconds timeout);

/// The process serving a client end (GetNamedPipeServerProcessId), or the client connected to a
/// server end (GetNamedPipeClientProcessId); 0 if unknown.
BITBRIDGE_INTERNAL_API uint32_t pipeServerProcessId(HANDLE pipe);

/// Why the process serving a shared pipe is not a bitbridge host of ours: not of this user, or
/// its executable is not `expectedExecutableName` (compared case-insensitively with the file
/// name of `imagePath`; an unreadable image is refused too). Nothing if it may be. Pure.
BITBRIDGE_INTERNAL_API std::optional<std::string> sharedServerRefusal(uint32_t pid,
                                               const std::optional<std::string>& serverSid,
                                               const std::string& ownSid,
                                               const std::string& imagePath,
                                               const std::string& expectedExecutableName,
                                               const std::string& sidProblem = {});

}  // namespace bitbridge
