// The MessageStream a host reads its clients' Cap'n Proto messages from, with per-connection
// memory bounds (docs/security.md, "Limits per connection").
//
// Why not capnp::AsyncIoMessageStream: it reserves a whole message as soon as its 8-byte frame
// header names a size (up to the traversal limit, 512 MiB here), before a byte of it has
// arrived, and a peer that sends calls without reading the answers makes the host queue those
// answers without bound (a 32-bit host grew to 4 GiB). This stream:
// - reads the frame header and segment table itself and refuses a message larger than
//   `maxMessageBytes` before buffering anything; the buffer then grows with the bytes that
//   actually arrive;
// - pauses reading while more than `maxQueuedBytes` of answers wait to be written to the peer
//   (TwoPartyVatNetwork::getCurrentQueueSize): a peer that does not read is slowed, and its
//   memory bounded;
// - with a `stallTimeout` (shared hosts): fails a message whose first bytes came but whose rest
//   did not within that time, and a write the peer has not taken within that time; the
//   connection is then dropped, the reason logged once;
// - tells the bulk registry which connection each message came from, so that bulk references
//   are checked against their sender (BulkRegistry::noteMessage, bitbridge::fromWire).
// Lifetime: owned by its connection; outlives the TwoPartyVatNetwork that uses it, and the
// stream, timer, logger and registry it refers to outlive it.
// Thread assumption: the connection's event loop thread.
#pragma once

#include <cstdint>
#include <string>

#include <capnp/rpc-twoparty.h>
#include <capnp/serialize-async.h>
#include <kj/async-io.h>
#include <kj/timer.h>

namespace spdlog {
class logger;
}

namespace bitbridge {

class BulkRegistry;

/// Per-connection bounds of a host (HostOptions::maxMessageBytes, maxQueuedBytes,
/// maxCallBytesInFlight, sharedStallTimeout).
struct ConnectionLimits {
  uint64_t maxMessageBytes = uint64_t{64} << 20;
  uint64_t maxQueuedBytes = uint64_t{8} << 20;
  uint64_t maxCallBytesInFlight = uint64_t{8} << 20;  ///< RpcSystem::setFlowLimit
  kj::Duration stallTimeout = 0 * kj::SECONDS;         ///< 0: none (private hosts)
};

class BoundedMessageStream final : public capnp::MessageStream {
 public:
  /// `peer` names the connection in log lines ("client pid 123"). `origins` (optional) learns
  /// which connection (`owner`) each message came from.
  BoundedMessageStream(kj::AsyncIoStream& stream, kj::Timer& timer, ConnectionLimits limits,
                       spdlog::logger& logger, std::string peer, BulkRegistry* origins = nullptr,
                       uint64_t owner = 0);
  ~BoundedMessageStream();

  /// The network whose outgoing queue bounds reading (call once it exists).
  void watchQueue(capnp::TwoPartyVatNetwork& network) { network_ = &network; }
  /// True once the first byte of a Cap'n Proto message has arrived.
  bool startedAMessage() const { return started_; }

  kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> tryReadMessage(
      kj::ArrayPtr<kj::AutoCloseFd> fdSpace, capnp::ReaderOptions options,
      kj::ArrayPtr<capnp::word> scratchSpace) override;
  kj::Promise<void> writeMessage(
      kj::ArrayPtr<const int> fds,
      kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) override;
  kj::Promise<void> writeMessages(
      kj::ArrayPtr<kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>> messages) override;
  kj::Maybe<int> getSendBufferSize() override;
  kj::Promise<void> end() override;

 private:
  struct Frame;
  kj::Promise<void> waitForRoom();
  kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> readFrame(capnp::ReaderOptions options);
  kj::Promise<void> readRest(Frame& frame, size_t firstBytes, capnp::ReaderOptions options);
  kj::Promise<void> readSegments(Frame& frame);
  kj::Promise<void> withStallLimit(kj::Promise<void> promise, const char* what);
  void wroteOne();
  [[noreturn]] void refuse(const std::string& reason, const std::string& hint);

  kj::AsyncIoStream& stream_;
  kj::Timer& timer_;
  ConnectionLimits limits_;
  spdlog::logger& logger_;
  std::string peer_;
  BulkRegistry* origins_;
  uint64_t owner_;
  capnp::AsyncIoMessageStream plain_;  // for getSendBufferSize() and end() only
  capnp::TwoPartyVatNetwork* network_ = nullptr;
  bool started_ = false;
  bool pausedOnce_ = false;  // the pause is logged once per connection
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> roomWaiter_;
};

}  // namespace bitbridge
