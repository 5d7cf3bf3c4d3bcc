// A pass-through stream that remembers whether the peer ended the connection (a read reached EOF
// or failed), so that when the RPC layer drops a connection the host can tell a client that
// left from a client it threw out for sending something it could not accept (a malformed frame,
// a message over the reader limits, a protocol violation): the latter is logged as an error.
//
// Lifetime: borrows `inner`, which must outlive it. Thread assumption: the event loop's thread.
#pragma once

#include <kj/async-io.h>

namespace bitbridge {

class PeerCloseTracker final : public kj::AsyncIoStream {
 public:
  explicit PeerCloseTracker(kj::AsyncIoStream& inner) : inner_(inner) {}

  /// True once a read hit EOF or a read error: the peer (or the kernel) ended the connection.
  bool peerClosed() const { return peerClosed_; }

  kj::Promise<size_t> tryRead(void* buffer, size_t minBytes, size_t maxBytes) override {
    return inner_.tryRead(buffer, minBytes, maxBytes)
        .then(
            [this, minBytes](size_t n) {
              if (n < minBytes) peerClosed_ = true;
              return n;
            },
            [this](kj::Exception&& e) -> size_t {
              peerClosed_ = true;
              kj::throwFatalException(kj::mv(e));
            });
  }
  kj::Promise<void> write(const void* buffer, size_t size) override {
    return inner_.write(buffer, size);
  }
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    return inner_.write(pieces);
  }
  kj::Promise<void> whenWriteDisconnected() override { return inner_.whenWriteDisconnected(); }
  void shutdownWrite() override { inner_.shutdownWrite(); }
  void abortRead() override { inner_.abortRead(); }
  kj::Maybe<int> getFd() const override { return inner_.getFd(); }

 private:
  kj::AsyncIoStream& inner_;
  bool peerClosed_ = false;
};

}  // namespace bitbridge
