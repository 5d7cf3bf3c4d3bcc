// An AF_UNIX socketpair owned by a test: both ends closed at the end unless taken.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace bitbridge::test {

struct SocketPair {
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0); }
  ~SocketPair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  /// Closes end `i` now (the peer reads EOF).
  void close(int i) {
    if (fds[i] >= 0) ::close(fds[i]);
    fds[i] = -1;
  }
  /// Hands end `i` over to the caller (who then owns and closes it).
  int take(int i) {
    int fd = fds[i];
    fds[i] = -1;
    return fd;
  }
  int fds[2] = {-1, -1};
};

}  // namespace bitbridge::test
