// The shared-memory stream on Linux: rings in a memfd, eventfd doorbells, the AF_UNIX channel
// as control socket. See shm_stream.h for the protocol and shm_ring.h for the layout.
#include "common/transport/shm_stream.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include <kj/debug.h>

#include "bitbridge/error.h"
#include "common/platform/system_error_text.h"
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

kj::Exception peerGoneException(const kj::String& why) {
  return kj::Exception(kj::Exception::Type::DISCONNECTED, __FILE__, __LINE__,
                       kj::str("shared-memory channel: the peer is gone (", why, ")"));
}

kj::Exception wireException(const Error& error) {
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { throwAsKj(error); })) { return kj::mv(*e); }
  KJ_UNREACHABLE;
}

class ShmStream final : public kj::AsyncIoStream {
 public:
  ShmStream(kj::UnixEventPort& eventPort, ShmSegment segment, ShmSide side,
            kj::AutoCloseFd ownBell, kj::AutoCloseFd peerBell, kj::Own<kj::AsyncIoStream> control,
            ShmStreamOptions options)
      : segment_(kj::mv(segment)),
        in_(segment_.control(inRing(side)), segment_.data(inRing(side)), segment_.ringCapacity()),
        out_(segment_.control(outRing(side)), segment_.data(outRing(side)),
             segment_.ringCapacity()),
        ownBell_(kj::mv(ownBell)),
        peerBell_(kj::mv(peerBell)),
        control_(kj::mv(control)),
        spin_(std::chrono::nanoseconds(options.spin / kj::NANOSECONDS)) {
    // Non-blocking whatever the peer sent: a doorbell must never block this thread.
    for (int fd : {ownBell_.get(), peerBell_.get()}) {
      int flags = ::fcntl(fd, F_GETFL);
      KJ_SYSCALL(::fcntl(fd, F_SETFL, flags | O_NONBLOCK));
    }
    bellObserver_ = kj::heap<kj::UnixEventPort::FdObserver>(
        eventPort, ownBell_.get(), kj::UnixEventPort::FdObserver::OBSERVE_READ);
    auto disconnect = kj::newPromiseAndFulfiller<void>();
    disconnectFulfiller_ = kj::mv(disconnect.fulfiller);
    disconnected_ = disconnect.promise.fork();
    drainBell();
    bellWatch_ = watchBell().eagerlyEvaluate([this](kj::Exception&& e) { fail(kj::mv(e)); });
    controlWatch_ = watchControl().eagerlyEvaluate([this](kj::Exception&& e) { fail(kj::mv(e)); });
  }

  ~ShmStream() noexcept(false) {
    // The peer reads EOF after our last byte, and its writes to us fail instead of blocking.
    shutdownWrite();
    abortRead();
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
      KJ_IF_MAYBE(why, peerGone_) { return peerGoneException(*why); }
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
      KJ_IF_MAYBE(why, peerGone_) { return peerGoneException(*why); }
      if (out_.readerClosed()) {
        return peerGoneException(kj::str("it stopped reading"));
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
          if (ready(kind)) return kj::READY_NOW;
          cpuRelax();
        }
        now = Clock::now();
      } while (now < sliceEnd);
      if (now >= deadline) return park(kind);
      if (now >= yieldFrom) {
        ::sched_yield();
        if (ready(kind)) return kj::READY_NOW;
      }
      return spinThenPark(kind, yieldFrom, deadline);
    });
  }

  // The lost-wake-up-free sleep: raise the flag (with a full fence), re-check, then sleep. The
  // peer publishes, fences, then reads the flag (ShmRing*::takeParked*): either it sees the
  // flag and rings, or we see its data in the re-check.
  kj::Promise<void> park(Wait kind) {
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
    uint64_t one = 1;
    // EAGAIN (counter saturated) means it is already ringing; nothing else can fail here.
    ssize_t ignored = ::write(peerBell_.get(), &one, sizeof(one));
    (void)ignored;
  }

  void drainBell() {
    uint64_t count;
    while (::read(ownBell_.get(), &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count))) {
    }
  }

  kj::Promise<void> watchBell() {
    // Edge-triggered: drain, then ask for the next edge (the order kj's FdObserver requires).
    return bellObserver_->whenBecomesReadable().then([this]() {
      drainBell();
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

  ShmSegment segment_;
  ShmRingConsumer in_;
  ShmRingProducer out_;
  kj::AutoCloseFd ownBell_;
  kj::AutoCloseFd peerBell_;
  kj::Own<kj::AsyncIoStream> control_;
  Clock::duration spin_;
  kj::Own<kj::UnixEventPort::FdObserver> bellObserver_;

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
};

// Defence in depth only (a doorbell of another kind could at worst make the event port refuse
// it): without /proc we cannot tell, and accept.
bool mayBeEventFd(int fd) {
  char link[64] = {};
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(path.c_str(), link, sizeof(link) - 1);
  return n <= 0 || std::string(link, static_cast<size_t>(n)) == "anon_inode:[eventfd]";
}

struct Offer {
  WireShmOffer offer{};
  WireShmAnswer answer{};
  int descriptors[kOfferDescriptors] = {-1, -1, -1};
  kj::AutoCloseFd received[kOfferDescriptors];
};

}  // namespace

kj::AutoCloseFd makeShmDoorbell() {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) {
    int error = errno;
    throw Error(ErrorKind::BadConfiguration,
                std::string("shared-memory channel: eventfd failed: ") + errnoText(error),
                "the process may have run out of file descriptors (ulimit -n)");
  }
  return kj::AutoCloseFd(fd);
}

void requireShmTransport() {}

kj::Own<kj::AsyncIoStream> makeShmStream(kj::UnixEventPort& eventPort, ShmSegment segment,
                                         ShmSide side, kj::AutoCloseFd ownDoorbell,
                                         kj::AutoCloseFd peerDoorbell,
                                         kj::Own<kj::AsyncIoStream> control,
                                         ShmStreamOptions options) {
  return kj::heap<ShmStream>(eventPort, kj::mv(segment), side, kj::mv(ownDoorbell),
                             kj::mv(peerDoorbell), kj::mv(control), options);
}

kj::Own<kj::AsyncCapabilityStream> toControlChannel(kj::Own<kj::AsyncIoStream> socket,
                                                    kj::LowLevelAsyncIoProvider& provider) {
  int fd = -1;
  KJ_IF_MAYBE(original, socket->getFd()) { fd = *original; }
  if (fd < 0) {
    throw Error(ErrorKind::BadConfiguration,
                "the shared-memory transport is set up over a socket channel, and this channel "
                "has no descriptor");
  }
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    int error = errno;
    throw Error(ErrorKind::BadConfiguration,
                std::string("shared-memory channel: dup of the channel failed: ") +
                    errnoText(error));
  }
  // Drop the original (and its event-port registration) before the copy is registered.
  socket = nullptr;
  return provider.wrapUnixSocketFd(copy, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                                             kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC);
}

kj::Promise<kj::Own<kj::AsyncIoStream>> offerShmChannel(kj::UnixEventPort& eventPort,
                                                        kj::Own<kj::AsyncCapabilityStream> control,
                                                        ShmStreamOptions options) {
  auto segment = kj::heap<ShmSegment>(ShmSegment::create(options.ringCapacity));
  kj::AutoCloseFd clientBell = makeShmDoorbell();
  kj::AutoCloseFd hostBell = makeShmDoorbell();

  auto state = kj::heap<Offer>();
  std::memcpy(state->offer.magic, kOfferMagic, sizeof(kOfferMagic));
  state->offer.version = kShmVersion;
  state->offer.ringCapacity = segment->ringCapacity();
  state->offer.segmentBytes = segment->size();
  state->offer.descriptorCount = kOfferDescriptors;
  state->descriptors[0] = segment->fd();
  state->descriptors[1] = clientBell.get();
  state->descriptors[2] = hostBell.get();

  auto& channel = *control;
  auto& s = *state;
  return kj::evalNow([&] {
           return channel.writeWithFds(
               kj::arrayPtr(reinterpret_cast<const kj::byte*>(&s.offer), sizeof(s.offer)), nullptr,
               kj::arrayPtr<const int>(s.descriptors, kOfferDescriptors));
         })
      .then([&channel, &s]() {
        return channel.tryRead(&s.answer, sizeof(s.answer), sizeof(s.answer));
      })
      .then([&eventPort, &s, control = kj::mv(control), segment = kj::mv(segment),
             clientBell = kj::mv(clientBell), hostBell = kj::mv(hostBell),
             options](size_t n) mutable -> kj::Own<kj::AsyncIoStream> {
        if (n < sizeof(s.answer)) {
          kj::throwFatalException(peerGoneException(
              kj::str("it closed the channel during the shared-memory setup")));
        }
        if (std::memcmp(s.answer.magic, kAnswerMagic, sizeof(kAnswerMagic)) != 0) {
          throwAsKj(Error(ErrorKind::MalformedPeer,
                          "shared-memory channel: the host's answer to the offer is garbled"));
        }
        if (s.answer.status != kAnswerAccepted) {
          throwAsKj(Error(ErrorKind::BadConfiguration,
                          "the host refused the shared-memory channel (its log says why)",
                          "use the socket transport (HostOptions::transport)"));
        }
        return makeShmStream(eventPort, kj::mv(*segment), ShmSide::Client, kj::mv(clientBell),
                             kj::mv(hostBell), kj::mv(control), options);
      })
      .attach(kj::mv(state));
}

kj::Promise<kj::Own<kj::AsyncIoStream>> acceptShmChannel(kj::UnixEventPort& eventPort,
                                                         kj::Own<kj::AsyncCapabilityStream> control,
                                                         ShmStreamOptions options) {
  auto state = kj::heap<Offer>();
  auto& channel = *control;
  auto& s = *state;
  return kj::evalNow([&] {
           return channel.tryReadWithFds(&s.offer, sizeof(s.offer), sizeof(s.offer), s.received,
                                         kOfferDescriptors);
         })
      .then([&eventPort, &channel, &s, control = kj::mv(control),
             options](kj::AsyncCapabilityStream::ReadResult result) mutable
            -> kj::Promise<kj::Own<kj::AsyncIoStream>> {
        if (result.byteCount < sizeof(s.offer)) {
          return peerGoneException(kj::str("it closed the channel during the shared-memory setup"));
        }
        std::memcpy(s.answer.magic, kAnswerMagic, sizeof(kAnswerMagic));
        kj::Maybe<ShmSegment> segment;
        KJ_IF_MAYBE(problem, kj::runCatchingExceptions([&] {
          auto refuse = [](const std::string& why) {
            throwAsKj(Error(ErrorKind::MalformedPeer,
                            "shared-memory channel: the client's offer " + why));
          };
          if (std::memcmp(s.offer.magic, kOfferMagic, sizeof(kOfferMagic)) != 0) {
            refuse("is garbled");
          }
          if (s.offer.version != kShmVersion) {
            refuse("has version " + std::to_string(s.offer.version) + ", this host speaks " +
                   std::to_string(kShmVersion));
          }
          if (s.offer.descriptorCount != kOfferDescriptors ||
              result.capCount != kOfferDescriptors) {
            refuse("carries " + std::to_string(result.capCount) + " descriptors, not " +
                   std::to_string(kOfferDescriptors));
          }
          if (!mayBeEventFd(s.received[1].get()) || !mayBeEventFd(s.received[2].get())) {
            refuse("has doorbells that are not eventfds");
          }
          ShmSegment opened = ShmSegment::open(kj::mv(s.received[0]));
          if (opened.ringCapacity() != s.offer.ringCapacity ||
              opened.size() != s.offer.segmentBytes) {
            refuse("does not match its segment");
          }
          segment = kj::mv(opened);
        })) {
          // Tell the client before giving up, so it reports a refusal rather than a hang-up.
          s.answer.status = kAnswerRefused;
          return channel.write(&s.answer, sizeof(s.answer))
              .then([e = kj::mv(*problem)]() mutable -> kj::Own<kj::AsyncIoStream> {
                kj::throwFatalException(kj::mv(e));
              })
              .attach(kj::mv(control));  // the write above is still using it
        }
        s.answer.status = kAnswerAccepted;
        return channel.write(&s.answer, sizeof(s.answer))
            .then([&eventPort, &s, segment = kj::mv(segment), control = kj::mv(control),
                   options]() mutable -> kj::Own<kj::AsyncIoStream> {
              KJ_IF_MAYBE(mapped, segment) {
                return makeShmStream(eventPort, kj::mv(*mapped), ShmSide::Host,
                                     kj::mv(s.received[2]), kj::mv(s.received[1]),
                                     kj::mv(control), options);
              }
              KJ_UNREACHABLE;
            });
      })
      .attach(kj::mv(state));
}

}  // namespace bitbridge
