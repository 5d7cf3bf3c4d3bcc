// The shared-memory stream on Linux: rings in a memfd, eventfd doorbells, the AF_UNIX channel
// as control socket. See shm_stream.h for the protocol and shm_ring.h for the layout.
#include "common/transport/shm_stream.h"
#include "common/transport/shm_stream_core.h"

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

// The doorbells on Linux: eventfds. Ours is watched by the epoll loop (edge-triggered, drained
// before each wait); the peer's is written. The kernel does not tell when the peer's process
// ends; the control socket's EOF does (in the core).
class EventFdBells final : public ShmBells {
 public:
  EventFdBells(kj::UnixEventPort& eventPort, kj::AutoCloseFd ownBell, kj::AutoCloseFd peerBell)
      : ownBell_(kj::mv(ownBell)), peerBell_(kj::mv(peerBell)) {
    // Non-blocking whatever the peer sent: a doorbell must never block this thread.
    for (int fd : {ownBell_.get(), peerBell_.get()}) {
      int flags = ::fcntl(fd, F_GETFL);
      KJ_SYSCALL(::fcntl(fd, F_SETFL, flags | O_NONBLOCK));
    }
    observer_ = kj::heap<kj::UnixEventPort::FdObserver>(
        eventPort, ownBell_.get(), kj::UnixEventPort::FdObserver::OBSERVE_READ);
    drain();
  }

  void ringPeer() override {
    uint64_t one = 1;
    // EAGAIN (counter saturated) means it is already ringing; nothing else can fail here.
    ssize_t ignored = ::write(peerBell_.get(), &one, sizeof(one));
    (void)ignored;
  }

  kj::Promise<void> nextRing() override {
    // Edge-triggered: drained before, drained again after the edge (the order kj's FdObserver
    // requires).
    return observer_->whenBecomesReadable().then([this]() { drain(); });
  }

  kj::Promise<kj::String> peerProcessGone() override { return kj::NEVER_DONE; }

 private:
  void drain() {
    uint64_t count;
    while (::read(ownBell_.get(), &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count))) {
    }
  }

  kj::AutoCloseFd ownBell_;
  kj::AutoCloseFd peerBell_;
  kj::Own<kj::UnixEventPort::FdObserver> observer_;
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

void shmYieldCpu() { ::sched_yield(); }

kj::Own<kj::AsyncIoStream> makeShmStream(kj::UnixEventPort& eventPort, ShmSegment segment,
                                         ShmSide side, kj::AutoCloseFd ownDoorbell,
                                         kj::AutoCloseFd peerDoorbell,
                                         kj::Own<kj::AsyncIoStream> control,
                                         ShmStreamOptions options) {
  return newShmStream(kj::mv(segment), side,
                      kj::heap<EventFdBells>(eventPort, kj::mv(ownDoorbell), kj::mv(peerDoorbell)),
                      kj::mv(control), options);
}

kj::Own<ShmControlChannel> toControlChannel(kj::Own<kj::AsyncIoStream> socket,
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
        checkShmAnswer(n, s.answer);
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
          return shmPeerGoneException(kj::str("it closed the channel during the shared-memory setup"));
        }
        std::memcpy(s.answer.magic, kAnswerMagic, sizeof(kAnswerMagic));
        kj::Maybe<ShmSegment> segment;
        kj::Maybe<kj::Exception> problem = kj::runCatchingExceptions([&] {
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
        });
        return answerShmOffer(
            channel, s.answer, kj::mv(problem),
            [&eventPort, &s, segment = kj::mv(segment), control = kj::mv(control),
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
