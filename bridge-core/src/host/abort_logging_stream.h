// A MessageStream that notes why the RPC system ends a connection. Cap'n Proto answers a
// protocol error (a malformed frame, a message over the reader limits, one it cannot make sense
// of) by sending the peer an Abort message and closing the connection, without saying anything
// locally: the Abort going out is the one place where the reason is known. It is logged as an
// error and remembered (aborted()); everything else passes through unchanged, to the
// per-connection bounds of BoundedMessageStream underneath.
// Lifetime: owned by its connection, outliving the TwoPartyVatNetwork that uses it.
// Thread assumption: the connection's event loop thread.
#pragma once

#include <string>

#include <capnp/message.h>
#include <capnp/rpc.capnp.h>
#include <capnp/serialize-async.h>
#include <capnp/serialize.h>
#include <spdlog/logger.h>

#include "host/bounded_message_stream.h"

namespace bitbridge {

class AbortLoggingStream final : public capnp::MessageStream {
 public:
  /// True once this side has aborted the connection for a reason other than a disconnection.
  bool aborted() const { return aborted_; }

  AbortLoggingStream(kj::AsyncIoStream& stream, kj::Timer& timer, ConnectionLimits limits,
                     spdlog::logger& logger, std::string peer, BulkRegistry* origins = nullptr,
                     uint64_t owner = 0)
      : inner_(stream, timer, limits, logger, peer, origins, owner),
        logger_(logger),
        peer_(std::move(peer)) {}

  BoundedMessageStream& bounded() { return inner_; }

  kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> tryReadMessage(
      kj::ArrayPtr<kj::AutoCloseFd> fdSpace, capnp::ReaderOptions options,
      kj::ArrayPtr<capnp::word> scratchSpace) override {
    return inner_.tryReadMessage(fdSpace, options, scratchSpace);
  }
  kj::Promise<void> writeMessage(
      kj::ArrayPtr<const int> fds,
      kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) override {
    noteAbort(segments);
    return inner_.writeMessage(fds, segments);
  }
  kj::Promise<void> writeMessages(
      kj::ArrayPtr<kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>> messages) override {
    for (auto segments : messages) noteAbort(segments);
    return inner_.writeMessages(messages);
  }
  kj::Maybe<int> getSendBufferSize() override { return inner_.getSendBufferSize(); }
  kj::Promise<void> end() override { return inner_.end(); }

 private:
  void noteAbort(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) {
    try {
      capnp::SegmentArrayMessageReader reader(segments);
      auto message = reader.getRoot<capnp::rpc::Message>();
      if (!message.isAbort()) return;
      auto reason = message.getAbort();
      // A peer that simply went away is not an error: that is logged as a disconnection.
      if (reason.getType() == capnp::rpc::Exception::Type::DISCONNECTED) return;
      aborted_ = true;
      logger_.error("closing the connection of {}: {}", peer_, reason.getReason().cStr());
    } catch (const kj::Exception&) {
      // Our own outgoing message is well-formed; still, logging must never fail a write.
    }
  }

  BoundedMessageStream inner_;
  spdlog::logger& logger_;
  std::string peer_;
  bool aborted_ = false;
};

}  // namespace bitbridge
