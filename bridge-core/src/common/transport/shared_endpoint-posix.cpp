// POSIX shared endpoints: AF_UNIX sockets, SO_PEERCRED, flock.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>

#include "bitbridge/error.h"
#include "common/platform/system_error_text.h"
#include "common/transport/shared_endpoint.h"

namespace bitbridge {
namespace {

bool fitsSunPath(const std::string& path) { return path.size() < sizeof(sockaddr_un{}.sun_path); }

sockaddr_un socketAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);  // fitsSunPath checked it
  return address;
}

kj::AutoCloseFd newSocket(int extraFlags) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extraFlags, 0);
  if (fd < 0) {
    throw Error(ErrorKind::BadConfiguration,
                std::string("socket(AF_UNIX) failed: ") + errnoText(errno),
                "the process may have run out of file descriptors (ulimit -n)");
  }
  return kj::AutoCloseFd(fd);
}

kj::AutoCloseFd openLockFile(const std::string& path) {
  // O_NOFOLLOW: the directory is private, but a lock must never be taken through a symlink.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot open the shared host's start lock " + path + ": " + errnoText(errno),
                "remove the file if it is not a regular file owned by you");
  }
  return kj::AutoCloseFd(fd);
}

}  // namespace

SharedEndpointPaths sharedEndpointPaths(const std::string& directory,
                                        const std::string& endpoint) {
  std::string base = directory + "/" + endpoint;
  SharedEndpointPaths paths{base + ".sock", base + ".lock", base + ".log"};
  if (!fitsSunPath(paths.socket)) {
    throw Error(ErrorKind::BadConfiguration,
                "the shared host socket path " + paths.socket + " is " +
                    std::to_string(paths.socket.size()) + " bytes long; an AF_UNIX address holds " +
                    std::to_string(sizeof(sockaddr_un{}.sun_path) - 1),
                "use a shorter shared host name, or a shorter XDG_RUNTIME_DIR");
  }
  return paths;
}

PeerCredential peerCredential(int fd) {
  ucred credential{};
  socklen_t length = sizeof(credential);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credential, &length) != 0 ||
      length != sizeof(credential)) {
    throw Error(ErrorKind::BadConfiguration,
                std::string("cannot read the peer's credentials (SO_PEERCRED): ") +
                    errnoText(errno));
  }
  return PeerCredential{static_cast<uint32_t>(credential.pid),
                        static_cast<uint32_t>(credential.uid),
                        static_cast<uint32_t>(credential.gid)};
}

PeerCredential peerCredential(kj::AsyncIoStream& stream) {
  ucred credential{};
  kj::uint length = sizeof(credential);
  stream.getsockopt(SOL_SOCKET, SO_PEERCRED, &credential, &length);  // throws kj::Exception
  if (length != sizeof(credential)) {
    throw Error(ErrorKind::BadConfiguration, "SO_PEERCRED returned a short answer");
  }
  return PeerCredential{static_cast<uint32_t>(credential.pid),
                        static_cast<uint32_t>(credential.uid),
                        static_cast<uint32_t>(credential.gid)};
}

uint32_t currentUserId() { return static_cast<uint32_t>(::geteuid()); }

void removeSharedSocket(const std::string& path) { ::unlink(path.c_str()); }

bool connectionPending(int listenerFd) {
  pollfd entry{listenerFd, POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&entry, 1, 0);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 && (entry.revents & POLLIN) != 0;
}

AcceptOutcome acceptConnection(int listenerFd) {
  for (;;) {
    int fd = ::accept4(listenerFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return AcceptOutcome{kj::AutoCloseFd(fd), 0};
    int error = errno;
    // Interrupted, or a connection that broke in the backlog: try the next one.
    if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
    return AcceptOutcome{kj::AutoCloseFd(), error};
  }
}

void refuseConnection(kj::AutoCloseFd fd, const void* refusalHello, size_t sizeBytes) {
  // Linux resets a Unix socket closed with unread data in it (the peer then sees ECONNRESET,
  // perhaps before our answer): read what the client sent so far (its hello), without waiting.
  char discard[64];
  while (::recv(fd.get(), discard, sizeof(discard), MSG_DONTWAIT) > 0) {
  }
  // A fresh connection's send buffer is empty: this never blocks, and a failure is harmless
  // (the client then sees a plain disconnection).
  (void)!::send(fd.get(), refusalHello, sizeBytes, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void DescriptorReserve::restore() {
  if (fd_ != nullptr) return;
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) fd_ = kj::AutoCloseFd(fd);
}

int descriptorCeiling(int headroom) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
      limit.rlim_cur > static_cast<rlim_t>(INT32_MAX)) {
    return INT32_MAX;
  }
  return std::max(static_cast<int>(limit.rlim_cur) - headroom, 8);
}

void makeNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw Error(ErrorKind::BadConfiguration,
                std::string("cannot make the shared host socket non-blocking: ") +
                    errnoText(errno));
  }
}

std::optional<std::string> refusalReason(const PeerCredential& peer, uint32_t ownUid) {
  if (peer.uid != ownUid) {
    return "pid " + std::to_string(peer.pid) + " runs as uid " + std::to_string(peer.uid) +
           ", not as this host's user (uid " + std::to_string(ownUid) + ")";
  }
  return std::nullopt;
}

StartLock StartLock::acquire(const std::string& path, std::chrono::milliseconds timeout) {
  kj::AutoCloseFd fd = openLockFile(path);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return StartLock(kj::mv(fd));
    if (errno != EWOULDBLOCK && errno != EINTR) {
      throw Error(ErrorKind::BadConfiguration,
                  "cannot lock " + path + ": " + errnoText(errno));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(ErrorKind::TimedOut,
                  "another process held the shared host start lock " + path + " for more than " +
                      std::to_string(timeout.count()) + " ms",
                  "a client may be stuck starting that host (see its .log beside the lock); "
                  "raise HostOptions::startTimeout if starts are legitimately slow");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

std::optional<StartLock> StartLock::tryAcquire(const std::string& path) {
  kj::AutoCloseFd fd = openLockFile(path);
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::nullopt;
    if (errno != EINTR) {
      throw Error(ErrorKind::BadConfiguration,
                  "cannot lock " + path + ": " + errnoText(errno));
    }
  }
  return StartLock(kj::mv(fd));
}

kj::AutoCloseFd bindSharedSocket(const std::string& path) {
  if (!fitsSunPath(path)) {
    throw Error(ErrorKind::BadConfiguration, "socket path too long: " + path,
                "use a shorter shared host name, or a shorter XDG_RUNTIME_DIR");
  }
  struct stat status {};
  if (::lstat(path.c_str(), &status) == 0) {
    if (!S_ISSOCK(status.st_mode)) {
      throw Error(ErrorKind::BadConfiguration, path + " exists and is not a socket",
                  "remove it; bitbridge keeps only its own files in that directory");
    }
    // Connecting tells a live host (refuse to start a second) from a dead one's leftover.
    if (connectSharedSocket(path)) {
      throw Error(ErrorKind::BadConfiguration,
                  "a shared host already listens on " + path,
                  "connect to it (Host::connectShared) instead of starting another");
    }
    ::unlink(path.c_str());
  }
  kj::AutoCloseFd fd = newSocket(0);
  sockaddr_un address = socketAddress(path);
  // The directory is private already; the umask makes the socket 0600 from its creation, and
  // the chmod states it even under an unusual umask handling.
  mode_t previous = ::umask(077);
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  int error = errno;
  ::umask(previous);
  if (rc != 0) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot bind the shared host socket " + path + ": " + errnoText(error),
                error == EADDRINUSE ? "another host is starting on the same name; retry"
                                    : "check the runtime directory's permissions");
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    error = errno;
    ::unlink(path.c_str());
    throw Error(ErrorKind::BadConfiguration,
                "cannot set mode 0600 on " + path + ": " + errnoText(error));
  }
  return fd;
}

void listenSharedSocket(int fd, const std::string& path) {
  if (::listen(fd, SOMAXCONN) != 0) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot listen on the shared host socket " + path + ": " + errnoText(errno));
  }
}

std::optional<kj::AutoCloseFd> connectSharedSocket(const std::string& path) {
  if (!fitsSunPath(path)) {
    throw Error(ErrorKind::BadConfiguration, "socket path too long: " + path,
                "use a shorter shared host name, or a shorter XDG_RUNTIME_DIR");
  }
  // Non-blocking: an AF_UNIX connect then either completes at once or fails with EAGAIN when
  // the listener's backlog is full, instead of blocking without a deadline.
  kj::AutoCloseFd fd = newSocket(SOCK_NONBLOCK);
  sockaddr_un address = socketAddress(path);
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return fd;
  int error = errno;
  if (error == ENOENT || error == ECONNREFUSED) return std::nullopt;  // not running
  if (error == EAGAIN) {
    throw Error(ErrorKind::Overloaded,
                "the shared host at " + path + " has a full connection backlog",
                "it is not accepting connections fast enough; retry later");
  }
  throw Error(ErrorKind::BadConfiguration,
              "cannot connect to the shared host socket " + path + ": " + errnoText(error),
              error == EACCES ? "the runtime directory or socket is not accessible to this user"
                              : "");
}

std::string readFileTail(const std::string& path, size_t bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return {};
  kj::AutoCloseFd owner(fd);
  struct stat status {};
  if (::fstat(fd, &status) != 0 || status.st_size <= 0) return {};
  off_t size = status.st_size;
  off_t start = size > static_cast<off_t>(bytes) ? size - static_cast<off_t>(bytes) : 0;
  std::string text(static_cast<size_t>(size - start), '\0');
  ssize_t n = ::pread(fd, &text[0], text.size(), start);
  if (n <= 0) return {};
  text.resize(static_cast<size_t>(n));
  if (start > 0) {
    auto newline = text.find('\n');
    text.erase(0, newline == std::string::npos ? 0 : newline + 1);
  }
  return text;
}

}  // namespace bitbridge
