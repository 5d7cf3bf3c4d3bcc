#include "host/bounded_message_stream.h"

#include <algorithm>
#include <cstring>

#include <capnp/serialize.h>
#include <kj/debug.h>
#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/fresh_timer.h"
#include "host/bulk_registry.h"

namespace bitbridge {
namespace {

// Cap'n Proto's own bound on segments per message (serialize-async.c++).
constexpr uint64_t kMaxSegments = 512;
// The buffer of a message starts at this many words and doubles as bytes arrive, so that a
// header claiming a large message costs nothing until its bytes come.
constexpr size_t kFirstBufferWords = 8192;  // 64 KiB

std::string mib(uint64_t bytes) {
  if (bytes % (uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// An incoming message: its words, its segments (views into the words) and the reader over them.
// Tells the registry (if any) that these bytes came from `owner` for as long as they live.
class FrameReader final : public capnp::MessageReader {
 public:
  FrameReader(kj::Array<capnp::word> words, kj::Array<kj::ArrayPtr<const capnp::word>> segments,
              capnp::ReaderOptions options, BulkRegistry* origins, uint64_t owner)
      : capnp::MessageReader(options),
        words_(kj::mv(words)),
        segments_(kj::mv(segments)),
        origins_(origins) {
    if (origins_ != nullptr && words_.size() > 0) {
      origins_->noteMessage(words_.begin(), words_.end(), owner);
    }
  }
  ~FrameReader() noexcept(false) {
    if (origins_ != nullptr && words_.size() > 0) origins_->forgetMessage(words_.begin());
  }
  kj::ArrayPtr<const capnp::word> getSegment(unsigned int id) override {
    return id < segments_.size() ? segments_[id] : nullptr;
  }

 private:
  kj::Array<capnp::word> words_;
  kj::Array<kj::ArrayPtr<const capnp::word>> segments_;
  BulkRegistry* origins_;
};

}  // namespace

struct BoundedMessageStream::Frame {
  uint32_t first[2] = {0, 0};  // segment count - 1, size of segment 0 (words)
  kj::Array<uint32_t> moreSizes;
  uint64_t totalWords = 0;
  kj::Array<capnp::word> words;
  size_t filled = 0;  // words read so far
};

BoundedMessageStream::BoundedMessageStream(kj::AsyncIoStream& stream, kj::Timer& timer,
                                           ConnectionLimits limits, spdlog::logger& logger,
                                           std::string peer, BulkRegistry* origins,
                                           uint64_t owner)
    : stream_(stream),
      timer_(timer),
      limits_(limits),
      logger_(logger),
      peer_(std::move(peer)),
      origins_(origins),
      owner_(owner),
      plain_(stream) {}

BoundedMessageStream::~BoundedMessageStream() = default;

void BoundedMessageStream::refuse(const std::string& reason, const std::string& hint) {
  throwAsKj(Error(ErrorKind::MalformedPeer, reason, hint));
}

kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> BoundedMessageStream::tryReadMessage(
    kj::ArrayPtr<kj::AutoCloseFd>, capnp::ReaderOptions options, kj::ArrayPtr<capnp::word>) {
  return waitForRoom().then([this, options]() { return readFrame(options); });
}

// "Slowed": while the peer leaves more than maxQueuedBytes of answers unread, none of its
// further calls are read. Each completed write looks again.
kj::Promise<void> BoundedMessageStream::waitForRoom() {
  if (network_ == nullptr || network_->getCurrentQueueSize() <= limits_.maxQueuedBytes) {
    return kj::READY_NOW;
  }
  if (!pausedOnce_) {
    pausedOnce_ = true;
    logger_.warn("{} is not reading what the host sends ({} bytes queued for it, limit {}, "
                 "HostOptions::maxQueuedBytes): its calls are not read until it catches up",
                 peer_, network_->getCurrentQueueSize(), mib(limits_.maxQueuedBytes));
  }
  auto paf = kj::newPromiseAndFulfiller<void>();
  roomWaiter_ = kj::mv(paf.fulfiller);
  return paf.promise.then([this]() { return waitForRoom(); });
}

kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> BoundedMessageStream::readFrame(
    capnp::ReaderOptions options) {
  auto frame = kj::heap<Frame>();
  auto& f = *frame;
  return stream_.tryRead(f.first, 1, sizeof(f.first))
      .then([this, &f, options](size_t n) -> kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> {
        if (n == 0) return kj::Maybe<capnp::MessageReaderAndFds>(nullptr);  // clean EOF
        started_ = true;
        return withStallLimit(readRest(f, n, options), "a message").then([this, &f, options]() {
          uint64_t count = uint64_t{f.first[0]} + 1;
          auto segments = kj::heapArray<kj::ArrayPtr<const capnp::word>>(count);
          size_t at = 0;
          for (uint64_t i = 0; i < count; ++i) {
            size_t size = i == 0 ? f.first[1] : f.moreSizes[i - 1];
            segments[i] = kj::arrayPtr(f.words.begin() + at, size);
            at += size;
          }
          kj::Own<capnp::MessageReader> reader = kj::heap<FrameReader>(
              kj::mv(f.words), kj::mv(segments), options, origins_, owner_);
          return kj::Maybe<capnp::MessageReaderAndFds>(
              capnp::MessageReaderAndFds{kj::mv(reader), nullptr});
        });
      })
      .attach(kj::mv(frame));
}

kj::Promise<void> BoundedMessageStream::readRest(Frame& f, size_t firstBytes,
                                                 capnp::ReaderOptions options) {
  auto header = kj::evalNow([&]() -> kj::Promise<void> {
    if (firstBytes == sizeof(f.first)) return kj::READY_NOW;
    return stream_.read(reinterpret_cast<kj::byte*>(f.first) + firstBytes,
                        sizeof(f.first) - firstBytes);
  });
  return header
      .then([this, &f]() -> kj::Promise<void> {
        uint64_t count = uint64_t{f.first[0]} + 1;
        if (count > kMaxSegments) {
          refuse(peer_ + " sent a message of " + std::to_string(count) +
                     " segments; at most " + std::to_string(kMaxSegments) + " are accepted",
                 "");
        }
        if (count == 1) return kj::READY_NOW;
        // The sizes of segments 1..n-1, padded to a whole word.
        f.moreSizes = kj::heapArray<uint32_t>((count - 1 + 1) & ~uint64_t{1});
        return stream_.read(f.moreSizes.begin(), f.moreSizes.size() * sizeof(uint32_t));
      })
      .then([this, &f, options]() {
        uint64_t count = uint64_t{f.first[0]} + 1;
        f.totalWords = f.first[1];
        for (uint64_t i = 1; i < count; ++i) f.totalWords += f.moreSizes[i - 1];
        uint64_t bytes = f.totalWords * sizeof(capnp::word);
        // Refused from the header alone, before anything is buffered.
        if (bytes > limits_.maxMessageBytes || f.totalWords > options.traversalLimitInWords) {
          refuse(peer_ + " announced a message of " + std::to_string(bytes) +
                     " bytes; this host accepts at most " + mib(limits_.maxMessageBytes) +
                     " per message",
                 "pass bulk data through Host::allocate buffers (shared memory), or raise "
                 "HostOptions::maxMessageBytes");
        }
        return readSegments(f);
      });
}

kj::Promise<void> BoundedMessageStream::readSegments(Frame& f) {
  if (f.filled == f.totalWords) return kj::READY_NOW;
  if (f.filled == f.words.size()) {
    size_t next = static_cast<size_t>(
        std::min<uint64_t>(f.totalWords, std::max<uint64_t>(kFirstBufferWords, f.words.size() * 2)));
    auto grown = kj::heapArray<capnp::word>(next);
    if (f.filled > 0) std::memcpy(grown.begin(), f.words.begin(), f.filled * sizeof(capnp::word));
    f.words = kj::mv(grown);
  }
  size_t want = f.words.size() - f.filled;
  return stream_.read(f.words.begin() + f.filled, want * sizeof(capnp::word))
      .then([this, &f, want]() {
        f.filled += want;
        return readSegments(f);
      });
}

kj::Promise<void> BoundedMessageStream::withStallLimit(kj::Promise<void> promise,
                                                       const char* what) {
  if (limits_.stallTimeout == 0 * kj::SECONDS) return promise;
  auto millis = limits_.stallTimeout / kj::MILLISECONDS;
  return promise.exclusiveJoin(
      deadlineFromNow(timer_, limits_.stallTimeout).then([this, what, millis]() {
        refuse(peer_ + " began " + what + " but did not send the rest within " +
                   std::to_string(millis) + " ms",
               "a client sends each message whole; a stalled one is dropped after "
               "HostOptions::sharedStallTimeout");
      }));
}

kj::Promise<void> BoundedMessageStream::writeMessage(
    kj::ArrayPtr<const int>, kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) {
  auto write = kj::evalNow([&]() { return capnp::writeMessage(stream_, segments); });
  if (limits_.stallTimeout != 0 * kj::SECONDS) {
    auto millis = limits_.stallTimeout / kj::MILLISECONDS;
    write = write.exclusiveJoin(
        deadlineFromNow(timer_, limits_.stallTimeout).then([this, millis]() {
          size_t queued = network_ != nullptr ? network_->getCurrentQueueSize() : 0;
          std::string reason = peer_ + " read nothing the host sent for " +
                               std::to_string(millis) + " ms (" + std::to_string(queued) +
                               " bytes queued for it): dropping its connection";
          // Logged here: no Abort can reach a peer that does not read, so the abort logger
          // never sees this one.
          logger_.error("{} (HostOptions::sharedStallTimeout)", reason);
          throwAsKj(Error(ErrorKind::Disconnected, reason,
                          "a client must keep reading its answers (wait on its Host)"));
        }));
  }
  return write.then([this]() { wroteOne(); });
}

kj::Promise<void> BoundedMessageStream::writeMessages(
    kj::ArrayPtr<kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>> messages) {
  if (messages.size() == 0) return kj::READY_NOW;
  return writeMessage(nullptr, messages[0]).then([this, messages]() mutable {
    return writeMessages(messages.slice(1, messages.size()));
  });
}

void BoundedMessageStream::wroteOne() {
  KJ_IF_MAYBE(waiter, roomWaiter_) {
    auto fulfiller = kj::mv(*waiter);
    roomWaiter_ = nullptr;
    fulfiller->fulfill();
  }
}

// Both as Cap'n Proto's own stream does them (the socket's SO_SNDBUF where there is one).
kj::Maybe<int> BoundedMessageStream::getSendBufferSize() { return plain_.getSendBufferSize(); }

kj::Promise<void> BoundedMessageStream::end() { return plain_.end(); }

}  // namespace bitbridge
