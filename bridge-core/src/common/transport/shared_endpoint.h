// The named endpoint of a shared host: one AF_UNIX socket per (name, architecture) in the
// private runtime directory (runtime_dir-posix.h), a start lock beside it, and the host's log.
//
//   <dir>/<name>-<arch>.sock   the host listens here (mode 0600)
//   <dir>/<name>-<arch>.lock   the start lock (flock), never removed
//   <dir>/<name>-<arch>.log    the daemonized host's stdout and stderr (mode 0600)
//
// The architecture is part of the endpoint so that a 32-bit and a 64-bit host of the same name
// do not collide. Who may connect, and why, is in docs/security.md.
// Thread/lifetime: stateless functions; StartLock is an RAII owner of one lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <kj/async-io.h>
#include <kj/io.h>

#include "bitbridge/arch.h"
#include "common/internal_api.h"

namespace bitbridge {

inline constexpr size_t kMaxSharedNameLength = 64;

/// Why `name` cannot name a shared host (it must be 1..64 characters of [A-Za-z0-9._-]);
/// nothing if it can.
BITBRIDGE_INTERNAL_API std::optional<std::string> sharedNameProblem(const std::string& name);
/// Throws Error{BadConfiguration} with sharedNameProblem's reason and the rule.
BITBRIDGE_INTERNAL_API void requireValidSharedName(const std::string& name);

/// "<name>-<arch>": the endpoint a host of `arch` serves for the shared name `name`.
BITBRIDGE_INTERNAL_API std::string sharedEndpointName(const std::string& name, Arch arch);

struct SharedEndpointPaths {
  std::string socket;  ///< where the host listens
  std::string lock;    ///< the start lock
  std::string log;     ///< the daemonized host's output
};

/// The files of `endpoint` in `directory`. Throws Error{BadConfiguration} if the socket path
/// does not fit an AF_UNIX address (sun_path, 108 bytes with its terminator).
BITBRIDGE_INTERNAL_API SharedEndpointPaths sharedEndpointPaths(const std::string& directory, const std::string& endpoint);

/// The process at the other end of a connected AF_UNIX socket as the kernel recorded it
/// (SO_PEERCRED): for a host, the client at connect() time; for a client, the host at the
/// time it called listen(). Fixed-width so that it reads the same in both bitnesses.
struct PeerCredential {
  uint32_t pid = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

/// Reads SO_PEERCRED from a connected socket. Throws Error{BadConfiguration}.
BITBRIDGE_INTERNAL_API PeerCredential peerCredential(int fd);
BITBRIDGE_INTERNAL_API PeerCredential peerCredential(kj::AsyncIoStream& stream);

/// The user this process acts as (effective uid): the only one a shared host serves.
BITBRIDGE_INTERNAL_API uint32_t currentUserId();

/// Why a peer must be refused (another user), or nothing if it may talk to a process running
/// as `ownUid`. Pure, so tests can feed it made-up credentials.
BITBRIDGE_INTERNAL_API std::optional<std::string> refusalReason(const PeerCredential& peer, uint32_t ownUid);

/// The start lock of one endpoint: flock(LOCK_EX) on its lock file. A client holds it from
/// looking for a running host until its hello is done; a host holds it while it decides to
/// exit when idle. So a host is never started twice, and never leaves under a connecting
/// client. Released on destruction or when the holder dies (the kernel drops flock locks with
/// the last descriptor). The lock file itself is never removed: that would let two processes
/// lock two different files under one name.
/// Threads: each StartLock opens its own file description, so two threads of one process
/// exclude each other just as two processes do. Move-only.
class BITBRIDGE_INTERNAL_API StartLock {
 public:
  /// Waits until the lock is held, polling (LOCK_NB) so that it can give up: after `timeout`,
  /// throws Error{TimedOut} naming the lock file.
  static StartLock acquire(const std::string& path, std::chrono::milliseconds timeout);
  /// The lock if nobody holds it; nothing, at once, if somebody does.
  static std::optional<StartLock> tryAcquire(const std::string& path);

  StartLock(StartLock&&) noexcept = default;
  StartLock& operator=(StartLock&&) = default;

 private:
  explicit StartLock(kj::AutoCloseFd fd) : fd_(kj::mv(fd)) {}
  kj::AutoCloseFd fd_;
};

/// Host: binds a new AF_UNIX stream socket to `path` with mode 0600 (not yet listening). A
/// socket file already there is removed only if connecting to it is refused (a dead host's
/// leftover); a live host there, or a file that is not a socket, is Error{BadConfiguration}.
BITBRIDGE_INTERNAL_API kj::AutoCloseFd bindSharedSocket(const std::string& path);

/// Host: starts listening on a bound socket. Separate from binding on purpose: the kernel
/// records the listener's credentials (what clients read with SO_PEERCRED) at listen(), so
/// the process that will answer the hellos must be the one that calls it.
BITBRIDGE_INTERNAL_API void listenSharedSocket(int fd, const std::string& path);

/// Host: removes its socket file when it leaves (missing is fine), so that clients arriving
/// later find no host rather than a dead one.
BITBRIDGE_INTERNAL_API void removeSharedSocket(const std::string& path);

/// Host: true if a client is waiting in the listening socket's backlog (never blocks).
BITBRIDGE_INTERNAL_API bool connectionPending(int listenerFd);

/// Host: one accept() on a non-blocking listener. `fd` is set on success; otherwise `error`
/// is the errno (EAGAIN: nobody waits; EMFILE/ENFILE: out of descriptors). Connections that
/// broke before being accepted are skipped.
struct AcceptOutcome {
  kj::AutoCloseFd fd;
  int error = 0;
};
BITBRIDGE_INTERNAL_API AcceptOutcome acceptConnection(int listenerFd);

/// Host: tells a connection it is refused (`refusalHello`, sizeBytes bytes: a hello carrying
/// the reason, hello.h) and closes it. Best effort and never blocks: the client's own hello is
/// read first if it is there, so that closing does not reset the connection before ours is read.
BITBRIDGE_INTERNAL_API void refuseConnection(kj::AutoCloseFd fd, const void* refusalHello, size_t sizeBytes);

/// Host: one descriptor kept in reserve (/dev/null), so that a process out of descriptors can
/// still accept a connection in order to refuse it (and so empty its backlog).
class BITBRIDGE_INTERNAL_API DescriptorReserve {
 public:
  DescriptorReserve() { restore(); }
  /// Frees the reserved descriptor.
  void release() { fd_ = nullptr; }
  /// Takes it again (if one is free).
  void restore();

 private:
  kj::AutoCloseFd fd_;
};

/// Host: the lowest descriptor number a new connection may have so that `headroom`
/// descriptors stay free below the process's soft RLIMIT_NOFILE for everything else (the
/// component's files, bulk segments, the runtime's own needs). Large if there is no limit.
BITBRIDGE_INTERNAL_API int descriptorCeiling(int headroom);

/// Host: makes a descriptor non-blocking. Throws Error{BadConfiguration}.
BITBRIDGE_INTERNAL_API void makeNonBlocking(int fd);

/// Client: connects to the host listening at `path` (the socket is non-blocking and
/// close-on-exec). Nothing if no host runs there (no such file, or connection refused);
/// Error{Overloaded} if its backlog is full; Error{BadConfiguration} for anything else.
BITBRIDGE_INTERNAL_API std::optional<kj::AutoCloseFd> connectSharedSocket(const std::string& path);

/// The last `bytes` (about) of a text file, from the start of a line; "" if unreadable.
BITBRIDGE_INTERNAL_API std::string readFileTail(const std::string& path, size_t bytes);

/// What of a shared host's log tail goes into an error message: the routine lines of other
/// clients coming and going ("client pid N connected (M connected)") are left out, a message
/// repeated on consecutive lines is shown once with its count, and at most the last
/// `maxLines` lines are kept. Lines look like "[date] [pid N] [level] message". Pure
/// (portable, header-only).
inline std::string trimLogTailForError(const std::string& tail, size_t maxLines = 12) {
  struct Kept {
    std::string line, message;
    size_t repeats;
  };
  std::vector<Kept> kept;
  size_t start = 0;
  while (start < tail.size()) {
    size_t end = tail.find('\n', start);
    if (end == std::string::npos) end = tail.size();
    std::string line = tail.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    if (line.find(" connected (") != std::string::npos ||
        line.find(" disconnected (") != std::string::npos) {
      continue;
    }
    size_t at = 0;  // the message starts after the third "] "
    for (int i = 0; i < 3 && at != std::string::npos; ++i) {
      at = line.find("] ", at);
      if (at != std::string::npos) at += 2;
    }
    std::string message = at == std::string::npos ? line : line.substr(at);
    if (!kept.empty() && kept.back().message == message) {
      ++kept.back().repeats;
      continue;
    }
    kept.push_back(Kept{line, message, 1});
  }
  std::string out;
  size_t first = kept.size() > maxLines ? kept.size() - maxLines : 0;
  for (size_t i = first; i < kept.size(); ++i) {
    out += kept[i].line;
    if (kept[i].repeats > 1) out += " (" + std::to_string(kept[i].repeats) + " times)";
    out += "\n";
  }
  return out;
}

}  // namespace bitbridge

