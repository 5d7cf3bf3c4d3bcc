// The shared-memory stream, its platform-independent half: a kj stream over the two rings of
// a segment (shm_ring.h), waiting by spinning on the rings and then parking on a doorbell
// (ShmBells: shm_stream-posix.cpp, shm_stream-win32.cpp). See shm_stream.h for the protocol.
//
// Counters: with BITBRIDGE_SHM_STATS=<file> in the environment, each stream appends one line of
// counts to <file> when it is destroyed (waits, how many ended while spinning and how many
// parked, doorbells rung and heard): how often a side slept, the costly path.
#include "common/transport/shm_stream_core.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <kj/debug.h>

#include "bitbridge/error.h"
#include "wire/shm_offer.h"

namespace bitbridge {
namespace {

using Clock = std::chrono::steady_clock;
// A spinning wait gives the event loop back this often (see ShmStreamOptions::spin).
constexpr auto kSpinSlice = std::chrono::microseconds(1);
// After this much pure polling, each slice also yields the CPU (sched_yield). Polling only pays
// when the peer runs on another core; when both share one (a third process busy on the other
// core of a 2-core machine), pure polling would keep the peer from running for the whole spin,
// making every message cost the full spin time. Yielding lets it run at once (a context switch,
// a few us); with an idle core the yield returns immediately and costs ~0.3 us per slice.
constexpr auto kPollBeforeYield = std::chrono::microseconds(2);
// Big writes are published (and the reader woken) in chunks, so the reader can start copying
// out while the writer is still copying in.
constexpr size_t kPublishChunk = 64 * 1024;

inline void cpuRelax() {
#if defined(__i386__) || defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

kj::Exception wireException(const Error& error) {
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { throwAsKj(error); })) { return kj::mv(*e); }
  KJ_UNREACHABLE;
}

class ShmStream final : public kj::AsyncIoStream {
 public:
  ShmStream(ShmSegment segment, ShmSide side, kj::Own<ShmBells> bells,
            kj::Own<kj::AsyncIoStream> control, ShmStreamOptions options)
      : segment_(kj::mv(segment)),
        in_(segment_.control(inRing(side)), segment_.data(inRing(side)), segment_.ringCapacity()),
        out_(segment_.control(outRing(side)), segment_.data(outRing(side)),
             segment_.ringCapacity()),
        bells_(kj::mv(bells)),
        control_(kj::mv(control)),
        spin_(std::chrono::nanoseconds(options.spin / kj::NANOSECONDS)),
        side_(side) {
    if (const char* file = std::getenv("BITBRIDGE_SHM_STATS")) statsFile_ = file;
    auto disconnect = kj::newPromiseAndFulfiller<void>();
    disconnectFulfiller_ = kj::mv(disconnect.fulfiller);
    disconnected_ = disconnect.promise.fork();
    bellWatch_ = watchBell().eagerlyEvaluate([this](kj::Exception&& e) { fail(kj::mv(e)); });
    processWatch_ = bells_->peerProcessGone()
                        .then([this](kj::String why) { peerGone(kj::mv(why)); })
                        .eagerlyEvaluate([this](kj::Exception&& e) { fail(kj::mv(e)); });
    controlWatch_ = watchControl().eagerlyEvaluate([this](kj::Exception&& e) { fail(kj::mv(e)); });
  }

  ~ShmStream() noexcept(false) {
    // The peer reads EOF after our last byte, and its writes to us fail instead of blocking.
    shutdownWrite();
    abortRead();
    if (!statsFile_.empty()) writeStats();
    // Members go in reverse order: the watches first, then the control socket (peer sees EOF).
  }

  kj::Promise<size_t> tryRead(void* buffer, size_t minBytes, size_t maxBytes) override {
    return kj::evalNow([&] {
      return readSome(static_cast<kj::byte*>(buffer), minBytes, maxBytes, 0);
    });
  }

  kj::Promise<void> write(const void* buffer, size_t size) override {
    auto pieces = kj::heapArray<kj::ArrayPtr<const kj::byte>>(1);
    pieces[0] = kj::arrayPtr(static_cast<const kj::byte*>(buffer), size);
    return kj::evalNow([&] { return writeSome(kj::mv(pieces), 0, 0); });
  }

  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    // Only the bytes must outlive the promise (kj's contract); the list of pieces is copied.
    auto copy = kj::heapArray<kj::ArrayPtr<const kj::byte>>(pieces);
    return kj::evalNow([&] { return writeSome(kj::mv(copy), 0, 0); });
  }

  kj::Promise<void> whenWriteDisconnected() override { return disconnected_.addBranch(); }

  void shutdownWrite() override {
    if (writeShut_) return;
    writeShut_ = true;
    out_.close();
    if (out_.takeParkedReader()) ringPeer();
  }

  void abortRead() override {
    if (readShut_) return;
    readShut_ = true;
    in_.close();
    if (in_.takeParkedWriter()) ringPeer();
    wakeAll();
  }

 private:
  enum class Wait { Read, Write };

  static unsigned inRing(ShmSide side) {
    return side == ShmSide::Client ? kShmHostToClient : kShmClientToHost;
  }
  static unsigned outRing(ShmSide side) {
    return side == ShmSide::Client ? kShmClientToHost : kShmHostToClient;
  }

  // --- reading ---------------------------------------------------------------------------------

  kj::Promise<size_t> readSome(kj::byte* buffer, size_t minBytes, size_t maxBytes, size_t done) {
    for (;;) {
      KJ_IF_MAYBE(e, broken_) { return kj::cp(*e); }
      KJ_REQUIRE(!readShut_, "read from a shared-memory stream after abortRead()");
      // Closed is loaded before the data: bytes written before the close are then visible
      // below, so "closed and nothing read" really is the end.
      bool closed = in_.writerClosed();
      size_t n = 0;
      KJ_IF_MAYBE(e, kj::runCatchingExceptions(
                         [&] { n = in_.read(buffer + done, maxBytes - done); })) {
        return fail(kj::mv(*e));
      }
      if (n > 0) {
        done += n;
        if (in_.takeParkedWriter()) ringPeer();
        if (done >= minBytes) return done;
        continue;  // more may have arrived meanwhile
      }
      if (done >= minBytes || closed) return done;  // closed: EOF (a short count)
      KJ_IF_MAYBE(why, peerGone_) { return shmPeerGoneException(*why); }
      return waitFor(Wait::Read).then([this, buffer, minBytes, maxBytes, done]() {
        return readSome(buffer, minBytes, maxBytes, done);
      });
    }
  }

  // --- writing ---------------------------------------------------------------------------------

  kj::Promise<void> writeSome(kj::Array<kj::ArrayPtr<const kj::byte>> pieces, size_t index,
                              size_t offset) {
    for (;;) {
      KJ_IF_MAYBE(e, broken_) { return kj::cp(*e); }
      KJ_REQUIRE(!writeShut_, "write to a shared-memory stream after shutdownWrite()");
      KJ_IF_MAYBE(why, peerGone_) { return shmPeerGoneException(*why); }
      if (out_.readerClosed()) {
        return shmPeerGoneException(kj::str("it stopped reading"));
      }
      size_t unannounced = 0;
      bool full = false;
      KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
        while (index < pieces.size()) {
          auto piece = pieces[index];
          size_t want = kj::min(piece.size() - offset, kPublishChunk);
          size_t n = want == 0 ? 0 : out_.write(piece.begin() + offset, want);
          offset += n;
          unannounced += n;
          if (offset == piece.size()) {
            ++index;
            offset = 0;
          }
          if (unannounced >= kPublishChunk) {
            if (out_.takeParkedReader()) ringPeer();
            unannounced = 0;
          }
          if (n < want) {
            full = true;
            break;
          }
        }
      })) {
        return fail(kj::mv(*e));
      }
      if (unannounced > 0 && out_.takeParkedReader()) ringPeer();
      if (!full) return kj::READY_NOW;
      return waitFor(Wait::Write).then([this, pieces = kj::mv(pieces), index, offset]() mutable {
        return writeSome(kj::mv(pieces), index, offset);
      });
    }
  }

  // --- waiting: spin, then park ----------------------------------------------------------------

  // Might the operation make progress (or must it fail)? A hint, never throws: the real
  // attempt re-checks and validates.
  bool ready(Wait kind) const {
    if (broken_ != nullptr || peerGone_ != nullptr) return true;
    if (kind == Wait::Read) return readShut_ || in_.maybeData() || in_.writerClosed();
    return writeShut_ || out_.maybeSpace() || out_.readerClosed();
  }

  // Resolves when the operation may make progress (possibly spuriously: callers re-check).
  kj::Promise<void> waitFor(Wait kind) {
    ++counters_.waits;
    if (spin_.count() <= 0) return park(kind);
    auto now = Clock::now();
    return spinThenPark(kind, now + kPollBeforeYield, now + spin_);
  }

  kj::Promise<void> spinThenPark(Wait kind, Clock::time_point yieldFrom,
                                 Clock::time_point deadline) {
    // evalLast: poll only when nothing else is queued on this loop, one short slice at a time.
    return kj::evalLast([this, kind, yieldFrom, deadline]() -> kj::Promise<void> {
      auto now = Clock::now();
      auto sliceEnd = std::min(deadline, now + kSpinSlice);
      do {
        for (int i = 0; i < 16; ++i) {
          if (ready(kind)) {
            ++counters_.spinHits;
            return kj::READY_NOW;
          }
          cpuRelax();
        }
        now = Clock::now();
      } while (now < sliceEnd);
      if (now >= deadline) return park(kind);
      if (now >= yieldFrom) {
        shmYieldCpu();
        if (ready(kind)) {
          ++counters_.spinHits;
          return kj::READY_NOW;
        }
      }
      return spinThenPark(kind, yieldFrom, deadline);
    });
  }

  // The lost-wake-up-free sleep: raise the flag (with a full fence), re-check, then sleep. The
  // peer publishes, fences, then reads the flag (ShmRing*::takeParked*): either it sees the
  // flag and rings, or we see its data in the re-check.
  kj::Promise<void> park(Wait kind) {
    ++counters_.parks;
    setParked(kind, true);
    if (ready(kind)) {
      setParked(kind, false);
      return kj::READY_NOW;
    }
    auto paf = kj::newPromiseAndFulfiller<void>();
    (kind == Wait::Read ? readWaiter_ : writeWaiter_) = kj::mv(paf.fulfiller);
    return paf.promise.then([this, kind]() { setParked(kind, false); });
  }

  void setParked(Wait kind, bool parked) {
    if (kind == Wait::Read) {
      in_.setParked(parked);
    } else {
      out_.setParked(parked);
    }
  }

  void wakeAll() {
    for (auto* waiter : {&readWaiter_, &writeWaiter_}) {
      KJ_IF_MAYBE(f, *waiter) { (*f)->fulfill(); }
      *waiter = nullptr;
    }
  }

  // --- doorbells and the control socket --------------------------------------------------------

  void ringPeer() {
    ++counters_.ringsSent;
    bells_->ringPeer();
  }

  kj::Promise<void> watchBell() {
    return bells_->nextRing().then([this]() {
      ++counters_.ringsHeard;
      wakeAll();
      return watchBell();
    });
  }

  kj::Promise<void> watchControl() {
    return control_->tryRead(&controlByte_, 1, 1)
        .then(
            [this](size_t n) {
              if (n == 0) {
                peerGone(kj::str("it closed its control socket: exited, crashed or hung up"));
              } else {
                fail(wireException(Error(ErrorKind::MalformedPeer,
                                         "shared-memory channel: unexpected data on the control "
                                         "socket")));
              }
            },
            [this](kj::Exception&& e) {
              peerGone(kj::str("its control socket failed: ", e.getDescription()));
            });
  }

  void peerGone(kj::String why) {
    if (peerGone_ == nullptr) peerGone_ = kj::mv(why);
    disconnectFulfiller_->fulfill();
    wakeAll();
  }

  // The stream is unusable from now on (corrupt ring, protocol violation): every operation
  // rejects with the first such exception.
  kj::Exception fail(kj::Exception&& e) {
    if (broken_ == nullptr) broken_ = kj::cp(e);
    disconnectFulfiller_->fulfill();
    wakeAll();
    return kj::mv(e);
  }

  void writeStats() {
    if (FILE* out = std::fopen(statsFile_.c_str(), "a")) {
      std::fprintf(out,
                   "shm %s: waits %llu spin_hits %llu parks %llu rings_sent %llu rings_heard %llu "
                   "bytes_in %llu bytes_out %llu\n",
                   side_ == ShmSide::Client ? "client" : "host",
                   static_cast<unsigned long long>(counters_.waits),
                   static_cast<unsigned long long>(counters_.spinHits),
                   static_cast<unsigned long long>(counters_.parks),
                   static_cast<unsigned long long>(counters_.ringsSent),
                   static_cast<unsigned long long>(counters_.ringsHeard),
                   static_cast<unsigned long long>(in_.position()),
                   static_cast<unsigned long long>(out_.position()));
      std::fclose(out);
    }
  }

  ShmSegment segment_;
  ShmRingConsumer in_;
  ShmRingProducer out_;
  kj::Own<ShmBells> bells_;
  kj::Own<kj::AsyncIoStream> control_;
  Clock::duration spin_;
  ShmSide side_;
  struct Counters {
    uint64_t waits = 0;       // reads and writes that could not progress at once
    uint64_t spinHits = 0;    // ... and could while spinning
    uint64_t parks = 0;       // ... parked on the doorbell (spin over, or no spin)
    uint64_t ringsSent = 0;   // the peer's doorbell rung (it had parked)
    uint64_t ringsHeard = 0;  // our doorbell heard
  } counters_;
  std::string statsFile_;

  bool readShut_ = false;
  bool writeShut_ = false;
  kj::Maybe<kj::String> peerGone_;
  kj::Maybe<kj::Exception> broken_;
  kj::byte controlByte_ = 0;
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> readWaiter_;
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> writeWaiter_;
  kj::Own<kj::PromiseFulfiller<void>> disconnectFulfiller_;
  kj::ForkedPromise<void> disconnected_ = nullptr;
  // Last: destroyed first, before anything their callbacks use.
  kj::Promise<void> bellWatch_ = nullptr;
  kj::Promise<void> controlWatch_ = nullptr;
  kj::Promise<void> processWatch_ = nullptr;
};

}  // namespace

kj::Exception shmPeerGoneException(const kj::String& why) {
  return kj::Exception(kj::Exception::Type::DISCONNECTED, __FILE__, __LINE__,
                       kj::str("shared-memory channel: the peer is gone (", why, ")"));
}

void checkShmAnswer(size_t n, const WireShmAnswer& answer) {
  if (n < sizeof(answer)) {
    kj::throwFatalException(
        shmPeerGoneException(kj::str("it closed the channel during the shared-memory setup")));
  }
  if (std::memcmp(answer.magic, kAnswerMagic, sizeof(kAnswerMagic)) != 0) {
    throwAsKj(Error(ErrorKind::MalformedPeer,
                    "shared-memory channel: the host's answer to the offer is garbled"));
  }
  if (answer.status != kAnswerAccepted) {
    throwAsKj(Error(ErrorKind::BadConfiguration,
                    "the host refused the shared-memory channel (its log says why)",
                    "use the socket transport (HostOptions::transport = Transport::Socket; a "
                    "named pipe on Windows)"));
  }
}

kj::Promise<kj::Own<kj::AsyncIoStream>> answerShmOffer(
    kj::AsyncIoStream& channel, WireShmAnswer& answer, kj::Maybe<kj::Exception> problem,
    kj::Function<kj::Own<kj::AsyncIoStream>()> accepted) {
  KJ_IF_MAYBE(refused, problem) {
    answer.status = kAnswerRefused;
    return channel.write(&answer, sizeof(answer))
        .then([e = kj::mv(*refused)]() mutable -> kj::Own<kj::AsyncIoStream> {
          kj::throwFatalException(kj::mv(e));
        })
        .attach(kj::mv(accepted));  // holds the channel the write above is using
  }
  answer.status = kAnswerAccepted;
  return channel.write(&answer, sizeof(answer)).then([accepted = kj::mv(accepted)]() mutable {
    return accepted();
  });
}

kj::Own<kj::AsyncIoStream> newShmStream(ShmSegment segment, ShmSide side, kj::Own<ShmBells> bells,
                                        kj::Own<kj::AsyncIoStream> control,
                                        ShmStreamOptions options) {
  return kj::heap<ShmStream>(kj::mv(segment), side, kj::mv(bells), kj::mv(control), options);
}

}  // namespace bitbridge
