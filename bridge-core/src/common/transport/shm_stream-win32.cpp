// The shared-memory stream on Windows: rings in an unnamed section (shm_ring-win32.cpp),
// unnamed auto-reset events as doorbells, the private named pipe as control channel. See
// shm_stream.h for the protocol; the stream itself is shm_stream.cpp, shared with Linux.
//
// Handing the objects over. Handles cannot travel over a pipe, and the objects have no names
// (so nothing can open them but a process given a handle). The client sends the values of its
// own handles after the offer (wire/shm_offer.h: WireShmHandles); the host opens the client's
// process (its id from the pipe, GetNamedPipeClientProcessId) and duplicates each value out of
// it. Pulling rather than pushing means a value from the client can only ever name one of the
// client's own objects: had the client duplicated into the host and sent the values, a wrong
// value would name one of the host's handles (its pipe, another section), which the host could
// not tell from a good one. What is duplicated is then checked as untrusted input: the
// section by ShmSegment::open, the doorbells for being auto-reset events (NtQueryEvent); a
// manual-reset one would leave the waiting thread spinning.
//
// Waiting. KJ 0.9.2's IOCP loop cannot wait on a handle (wait-win32.h), so each stream has a
// thread that waits on its own doorbell and on the peer's process handle (and a stop event):
// a ring fulfils the loop's pending nextRing() promise (a cross-thread fulfiller: the loop
// wakes through its completion port), the peer's process ending makes the stream fail its
// calls as DISCONNECTED at once, even while the peer's end of the pipe is held open by a
// process it started. The thread sleeps in the kernel (wineserver under Wine) while the
// stream spins or the peer is busy: a doorbell rings only for a side that parked (shm_ring.h).
//
// Threads: everything on the event loop's thread except EventBells::run, which touches only
// the handles (read-only) and, under mutex_, the pending flag and the fulfillers.
#include <windows.h>

#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include <kj/debug.h>

#include "bitbridge/error.h"
#include "common/platform/text-win32.h"
#include "common/transport/named_pipe-win32.h"
#include "common/transport/shm_stream.h"
#include "common/transport/shm_stream_core.h"
#include "wire/shm_offer.h"

namespace bitbridge {
namespace {

[[noreturn]] void systemFailure(const std::string& what) {
  std::string why = lastWin32ErrorText();
  throw Error(ErrorKind::BadConfiguration, "shared-memory channel: " + what + " failed: " + why,
              "the system may be out of resources; or use the pipe transport (Transport::Socket)");
}

// The doorbells on Windows; see the top of this file.
class EventBells final : public ShmBells {
 public:
  EventBells(UniqueHandle ownBell, UniqueHandle peerBell, UniqueHandle peerProcess)
      : ownBell_(kj::mv(ownBell)),
        peerBell_(kj::mv(peerBell)),
        peerProcess_(kj::mv(peerProcess)),
        stop_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {
    if (!stop_.valid()) systemFailure("CreateEvent");
    auto gone = kj::newPromiseAndCrossThreadFulfiller<void>();
    goneFulfiller_ = kj::mv(gone.fulfiller);
    gonePromise_ = kj::mv(gone.promise);
    thread_ = std::thread([this] { run(); });
  }

  ~EventBells() noexcept(false) {
    ::SetEvent(stop_.get());
    thread_.join();
  }

  void ringPeer() override {
    // Fails only for a handle without EVENT_MODIFY_STATE, which set-up refused.
    ::SetEvent(peerBell_.get());
  }

  kj::Promise<void> nextRing() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_) {
      pending_ = false;
      return kj::READY_NOW;
    }
    auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
    ring_ = kj::mv(paf.fulfiller);
    return kj::mv(paf.promise);
  }

  kj::Promise<kj::String> peerProcessGone() override {
    if (!peerProcess_.valid()) return kj::NEVER_DONE;
    KJ_IF_MAYBE(promise, gonePromise_) {
      auto result = kj::mv(*promise);
      gonePromise_ = nullptr;
      return result.then([this]() {
        std::lock_guard<std::mutex> lock(mutex_);
        return kj::heapString(goneReason_.data(), goneReason_.size());
      });
    }
    KJ_FAIL_REQUIRE("peerProcessGone() called twice");
  }

 private:
  void run() {
    bool watchProcess = peerProcess_.valid();
    for (;;) {
      HANDLE handles[3] = {stop_.get(), ownBell_.get(), peerProcess_.get()};
      DWORD result = ::WaitForMultipleObjects(watchProcess ? 3 : 2, handles, FALSE, INFINITE);
      if (result == WAIT_OBJECT_0) return;
      if (result == WAIT_OBJECT_0 + 1) {
        deliverRing();
      } else if (result == WAIT_OBJECT_0 + 2) {
        DWORD code = 0;
        ::GetExitCodeProcess(peerProcess_.get(), &code);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          goneReason_ = "its process ended, exit status " + std::to_string(code);
        }
        goneFulfiller_->fulfill();
        watchProcess = false;
      } else {
        // Not for handles that passed set-up; say so rather than leave the stream deaf.
        std::string why = result == WAIT_FAILED ? lastWin32ErrorText()
                                                : "wait result " + std::to_string(result);
        goneFulfiller_->reject(KJ_EXCEPTION(
            FAILED, "bitbridge:malformed-peer: shared-memory channel: cannot wait on the "
                    "doorbell",
            why.c_str()));
        return;
      }
    }
  }

  void deliverRing() {
    kj::Own<kj::CrossThreadPromiseFulfiller<void>> ring;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ring_.get() == nullptr) {
        pending_ = true;
        return;
      }
      ring = kj::mv(ring_);
    }
    ring->fulfill();
  }

  UniqueHandle ownBell_;
  UniqueHandle peerBell_;
  UniqueHandle peerProcess_;
  UniqueHandle stop_;
  std::mutex mutex_;
  bool pending_ = false;                                   // rang with no nextRing() waiting
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> ring_;    // the pending nextRing()
  std::string goneReason_;                                 // set before goneFulfiller_ fulfils
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> goneFulfiller_;
  kj::Maybe<kj::Promise<void>> gonePromise_;  // after the fulfiller: destroyed first
  std::thread thread_;
};

#ifndef EVENT_QUERY_STATE
#define EVENT_QUERY_STATE 0x0001
#endif

// NtQueryEvent is not in the SDK headers; it is in every ntdll (Wine's too).
struct EventBasicInformation {
  int type;  // 0: NotificationEvent (manual reset), 1: SynchronizationEvent (auto reset)
  LONG state;
};
using NtQueryEventFunction = LONG(NTAPI*)(HANDLE, int, void*, ULONG, ULONG*);

enum class EventKind { AutoReset, ManualReset, NotAnEvent, Unknown };

EventKind eventKind(HANDLE handle) {
  static const auto query = reinterpret_cast<NtQueryEventFunction>(reinterpret_cast<void*>(
      ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQueryEvent")));
  if (query == nullptr) return EventKind::Unknown;  // defence in depth only: accept
  EventBasicInformation info{};
  ULONG length = 0;
  if (query(handle, 0 /* EventBasicInformation */, &info, sizeof(info), &length) < 0) {
    return EventKind::NotAnEvent;
  }
  return info.type == 1 ? EventKind::AutoReset : EventKind::ManualReset;
}

// The process at the other end of `pipe` (`serverEnd`: we are the pipe's server, the peer its
// client), opened with `access`. Where a pid could have been reused: the peer is alive (it
// is connected), and a pid is not reused while its process object exists, so the check that
// the opened process has not ended leaves only a peer that died in the last microseconds, whose
// pipe end then reads as closed at the next step.
UniqueHandle openPeerProcess(HANDLE pipe, bool serverEnd, DWORD access, uint32_t& pid) {
  ULONG id = 0;
  BOOL known = serverEnd ? ::GetNamedPipeClientProcessId(pipe, &id)
                         : ::GetNamedPipeServerProcessId(pipe, &id);
  if (!known) systemFailure("asking the pipe for the peer's process id");
  pid = static_cast<uint32_t>(id);
  UniqueHandle process(::OpenProcess(access, FALSE, id));
  if (!process.valid()) {
    systemFailure("opening the peer's process (pid " + std::to_string(id) + ")");
  }
  if (::WaitForSingleObject(process.get(), 0) == WAIT_OBJECT_0) {
    throw Error(ErrorKind::Disconnected,
                "shared-memory channel: the peer (pid " + std::to_string(id) +
                    ") ended during the set-up");
  }
  return process;
}

HANDLE requirePipe(ShmControlChannel& control) {
  HANDLE pipe = pipeHandleOf(control);
  if (pipe == nullptr) {
    throw Error(ErrorKind::BadConfiguration,
                "the shared-memory transport is set up over the private pipe, and this channel "
                "is not one");
  }
  return pipe;
}

uint64_t wireHandle(HANDLE handle) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle));
}

struct OfferWire {
  WireShmOffer offer;
  WireShmHandles handles;
};
static_assert(sizeof(OfferWire) == sizeof(WireShmOffer) + sizeof(WireShmHandles),
              "the offer and its handles are sent back to back, without padding");

struct Offer {
  OfferWire wire{};
  WireShmAnswer answer{};
};

[[noreturn]] void refuse(const std::string& why) {
  throwAsKj(Error(ErrorKind::MalformedPeer, "shared-memory channel: the client's offer " + why,
                  "the client is not a bitbridge client of this version, or it is broken"));
}

// Duplicates the client's handle `value` (what: for messages) into this process with `access`.
UniqueHandle takeClientHandle(HANDLE client, uint64_t value, DWORD access, const char* what) {
  if (value == 0 || value > 0xffffffffu) {
    refuse("names an impossible " + std::string(what) + " handle (" + std::to_string(value) + ")");
  }
  HANDLE local = nullptr;
  if (!::DuplicateHandle(client, reinterpret_cast<HANDLE>(static_cast<uintptr_t>(value)),
                         ::GetCurrentProcess(), &local, access, FALSE, 0)) {
    refuse("names a " + std::string(what) + " handle (" + std::to_string(value) +
           ") that cannot be taken from the client: " + lastWin32ErrorText());
  }
  return UniqueHandle(local);
}

}  // namespace

UniqueHandle makeShmDoorbell() {
  UniqueHandle event(::CreateEventW(nullptr, FALSE, FALSE, nullptr));  // auto-reset, unnamed
  if (!event.valid()) systemFailure("CreateEvent");
  return event;
}

void requireShmTransport() {}

void shmYieldCpu() { ::SwitchToThread(); }

kj::Own<kj::AsyncIoStream> makeShmStream(EventPort& eventPort, ShmSegment segment, ShmSide side,
                                         UniqueHandle ownDoorbell, UniqueHandle peerDoorbell,
                                         kj::Own<kj::AsyncIoStream> control,
                                         ShmStreamOptions options, UniqueHandle peerProcess) {
  (void)eventPort;  // the doorbells are waited for by the stream's thread, not the port
  return newShmStream(kj::mv(segment), side,
                      kj::heap<EventBells>(kj::mv(ownDoorbell), kj::mv(peerDoorbell),
                                           kj::mv(peerProcess)),
                      kj::mv(control), options);
}

kj::Own<kj::AsyncIoStream> makeShmStream(EventPort& eventPort, ShmSegment segment, ShmSide side,
                                         UniqueHandle ownDoorbell, UniqueHandle peerDoorbell,
                                         kj::Own<kj::AsyncIoStream> control,
                                         ShmStreamOptions options) {
  return makeShmStream(eventPort, kj::mv(segment), side, kj::mv(ownDoorbell),
                       kj::mv(peerDoorbell), kj::mv(control), options, nullptr);
}

kj::Own<ShmControlChannel> toControlChannel(kj::Own<kj::AsyncIoStream> socket,
                                            kj::LowLevelAsyncIoProvider&) {
  requirePipe(*socket);
  return socket;
}

kj::Promise<kj::Own<kj::AsyncIoStream>> offerShmChannel(EventPort& eventPort,
                                                        kj::Own<ShmControlChannel> control,
                                                        ShmStreamOptions options) {
  HANDLE pipe = requirePipe(*control);
  uint32_t hostPid = 0;
  // SYNCHRONIZE: the stream's thread waits on it. The host takes our handles itself.
  UniqueHandle hostProcess = openPeerProcess(pipe, /*serverEnd=*/false, SYNCHRONIZE, hostPid);
  auto segment = kj::heap<ShmSegment>(ShmSegment::create(options.ringCapacity));
  UniqueHandle clientBell = makeShmDoorbell();
  UniqueHandle hostBell = makeShmDoorbell();

  auto state = kj::heap<Offer>();
  WireShmOffer& offer = state->wire.offer;
  std::memcpy(offer.magic, kOfferMagic, sizeof(kOfferMagic));
  offer.version = kShmVersion;
  offer.ringCapacity = segment->ringCapacity();
  offer.segmentBytes = segment->size();
  offer.descriptorCount = kOfferDescriptors;
  state->wire.handles.section = wireHandle(segment->section());
  state->wire.handles.clientBell = wireHandle(clientBell.get());
  state->wire.handles.hostBell = wireHandle(hostBell.get());

  auto& channel = *control;
  auto& s = *state;
  return kj::evalNow([&] { return channel.write(&s.wire, sizeof(s.wire)); })
      .then([&channel, &s]() {
        return channel.tryRead(&s.answer, sizeof(s.answer), sizeof(s.answer));
      })
      .then([&eventPort, &s, control = kj::mv(control), segment = kj::mv(segment),
             clientBell = kj::mv(clientBell), hostBell = kj::mv(hostBell),
             hostProcess = kj::mv(hostProcess),
             options](size_t n) mutable -> kj::Own<kj::AsyncIoStream> {
        checkShmAnswer(n, s.answer);
        return makeShmStream(eventPort, kj::mv(*segment), ShmSide::Client, kj::mv(clientBell),
                             kj::mv(hostBell), kj::mv(control), options, kj::mv(hostProcess));
      })
      .attach(kj::mv(state));
}

kj::Promise<kj::Own<kj::AsyncIoStream>> acceptShmChannel(EventPort& eventPort,
                                                         kj::Own<ShmControlChannel> control,
                                                         ShmStreamOptions options) {
  HANDLE pipe = requirePipe(*control);
  auto state = kj::heap<Offer>();
  auto& channel = *control;
  auto& s = *state;
  return kj::evalNow([&] { return channel.tryRead(&s.wire, sizeof(s.wire), sizeof(s.wire)); })
      .then([&eventPort, &channel, &s, pipe, control = kj::mv(control),
             options](size_t n) mutable -> kj::Promise<kj::Own<kj::AsyncIoStream>> {
        if (n < sizeof(s.wire)) {
          return shmPeerGoneException(kj::str("it closed the channel during the shared-memory setup"));
        }
        std::memcpy(s.answer.magic, kAnswerMagic, sizeof(kAnswerMagic));
        kj::Maybe<ShmSegment> segment;
        UniqueHandle clientProcess, clientBell, hostBell;
        kj::Maybe<kj::Exception> problem = kj::runCatchingExceptions([&] {
          const WireShmOffer& offer = s.wire.offer;
          if (std::memcmp(offer.magic, kOfferMagic, sizeof(kOfferMagic)) != 0) {
            refuse("is garbled");
          }
          if (offer.version != kShmVersion) {
            refuse("has version " + std::to_string(offer.version) + ", this host speaks " +
                   std::to_string(kShmVersion));
          }
          if (offer.descriptorCount != kOfferDescriptors) {
            refuse("names " + std::to_string(offer.descriptorCount) + " handles, not " +
                   std::to_string(kOfferDescriptors));
          }
          uint32_t clientPid = 0;
          try {
            // PROCESS_DUP_HANDLE to take its handles; SYNCHRONIZE for the stream's thread.
            clientProcess = openPeerProcess(pipe, /*serverEnd=*/true,
                                            PROCESS_DUP_HANDLE | SYNCHRONIZE, clientPid);
          } catch (const Error& e) {
            throwAsKj(e);
          }
          const WireShmHandles& handles = s.wire.handles;
          constexpr DWORD kBellAccess = SYNCHRONIZE | EVENT_MODIFY_STATE | EVENT_QUERY_STATE;
          UniqueHandle section =
              takeClientHandle(clientProcess.get(), handles.section,
                               SECTION_MAP_READ | SECTION_MAP_WRITE | SECTION_QUERY, "section");
          clientBell = takeClientHandle(clientProcess.get(), handles.clientBell, kBellAccess,
                                        "doorbell");
          hostBell = takeClientHandle(clientProcess.get(), handles.hostBell, kBellAccess,
                                      "doorbell");
          for (HANDLE bell : {clientBell.get(), hostBell.get()}) {
            switch (eventKind(bell)) {
              case EventKind::NotAnEvent: refuse("has a doorbell that is not an event");
              case EventKind::ManualReset: refuse("has a doorbell that is a manual-reset event");
              default: break;
            }
          }
          ShmSegment opened = ShmSegment::open(kj::mv(section));
          if (opened.ringCapacity() != offer.ringCapacity ||
              opened.size() != offer.segmentBytes) {
            refuse("does not match its segment");
          }
          segment = kj::mv(opened);
        });
        return answerShmOffer(
            channel, s.answer, kj::mv(problem),
            [&eventPort, segment = kj::mv(segment), control = kj::mv(control),
             clientProcess = kj::mv(clientProcess), clientBell = kj::mv(clientBell),
             hostBell = kj::mv(hostBell), options]() mutable -> kj::Own<kj::AsyncIoStream> {
              KJ_IF_MAYBE(mapped, segment) {
                return makeShmStream(eventPort, kj::mv(*mapped), ShmSide::Host,
                                     kj::mv(hostBell), kj::mv(clientBell), kj::mv(control),
                                     options, kj::mv(clientProcess));
              }
              KJ_UNREACHABLE;
            });
      })
      .attach(kj::mv(state));
}

}  // namespace bitbridge
