// POSIX private channel: an AF_UNIX socketpair. The client keeps one end; the host inherits
// the other as descriptor kHostChannelFd. Nothing has a filesystem name, so no other process
// can connect, and the kernel closes the host's end when the host dies (that EOF is how the
// client learns of a crash, and how the host learns its client is gone).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <kj/debug.h>

#include "bitbridge/error.h"
#include "common/platform/system_error_text.h"
#include "common/transport/channel.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

class SocketpairChannel final : public PrivateChannel {
 public:
  explicit SocketpairChannel(int childFdNumber) : childFdNumber_(childFdNumber) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      throw Error(ErrorKind::BadConfiguration,
                  std::string("socketpair() failed: ") + errnoText(errno),
                  "the process may have run out of file descriptors (ulimit -n)");
    }
    clientFd_ = fds[0];
    childFd_ = fds[1];
  }
  ~SocketpairChannel() override {
    if (clientFd_ >= 0) ::close(clientFd_);
    if (childFd_ >= 0) ::close(childFd_);
  }

  int childHandle() const override { return childFd_; }
  std::string hostSpec() const override { return host_flags::kDescriptorPrefix + std::to_string(childFdNumber_); }
  kj::Own<ChannelCutter> makeCutter() override;

  // The socketpair exists before the spawn: nothing to wait for, nobody else can be on it.
  kj::Own<kj::AsyncIoStream> connect(kj::AsyncIoContext& io, ChildProcess&,
                                     std::chrono::milliseconds) override {
    KJ_REQUIRE(clientFd_ >= 0, "PrivateChannel::connect called twice");
    ::close(childFd_);  // the child has its copy; ours would hide the child's death (no EOF)
    childFd_ = -1;
    int fd = clientFd_;
    clientFd_ = -1;
    return io.lowLevelProvider->wrapSocketFd(fd, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                                                     kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC);
  }

 private:
  int childFdNumber_;
  int clientFd_ = -1;
  int childFd_ = -1;
};

// shutdown() acts on the socket, not the descriptor: cutting through a duplicate reaches
// every descriptor of that socket in this process.
class SocketCutter final : public ChannelCutter {
 public:
  explicit SocketCutter(int fd) : fd_(::fcntl(fd, F_DUPFD_CLOEXEC, 0)) {}
  ~SocketCutter() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void cut() override {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  int fd_;
};

kj::Own<ChannelCutter> SocketpairChannel::makeCutter() {
  KJ_REQUIRE(clientFd_ >= 0, "PrivateChannel::makeCutter called after connect");
  return kj::heap<SocketCutter>(clientFd_);
}

}  // namespace

kj::Own<PrivateChannel> makePrivateChannel(int childFd) {
  return kj::heap<SocketpairChannel>(childFd);
}

kj::Own<kj::AsyncIoStream> openHostChannel(const std::string& spec, kj::AsyncIoContext& io,
                                           std::chrono::milliseconds) {
  const std::string prefix = host_flags::kDescriptorPrefix;
  if (spec.compare(0, prefix.size(), prefix) != 0) {
    throw Error(ErrorKind::BadConfiguration, "unknown channel '" + spec + "'",
                "hosts are started by the bitbridge client library, which passes --channel");
  }
  int fd = -1;
  try {
    fd = std::stoi(spec.substr(prefix.size()));
  } catch (const std::exception&) {
    throw Error(ErrorKind::BadConfiguration, "bad channel descriptor in '" + spec + "'");
  }
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    throw Error(ErrorKind::BadConfiguration,
                "channel descriptor " + std::to_string(fd) + " is not an open socket",
                "hosts are started by the bitbridge client library; run one by hand only for "
                "debugging, with a socket on that descriptor");
  }
  // Keep it away from anything the legacy library might spawn.
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return io.lowLevelProvider->wrapSocketFd(fd, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                                                   kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC);
}

}  // namespace bitbridge
