// The shared-memory transport: a kj::AsyncIoStream over the two rings of a shared segment
// (shm_ring.h), so Cap'n Proto's TwoPartyVatNetwork runs over it unchanged.
//
// Why: a kernel wake-up costs ~35-50 us on our machines (design.md §3), spinning on shared
// memory ~0.5 us. A read or write that cannot progress therefore polls the ring for a short,
// bounded time (ShmStreamOptions::spin) and only then parks: it raises its "parked" flag in the
// segment, re-checks the ring, and sleeps on its own doorbell, which this thread's KJ event loop
// watches. The other side rings that doorbell only when it finds the flag raised, so while both
// sides are busy no system call is made at all. (The stream itself is shm_stream.cpp, the same
// on every platform; the doorbells are per platform.)
//
// The private channel of the ordinary transport stays open beside the segment as the *control
// channel*: it carries the setup (right after the hello and before Cap'n Proto starts), and its
// EOF is how each side learns that the other died: pending and later reads (once the ring is
// drained) and writes then fail with a DISCONNECTED kj::Exception.
//
// Linux: the segment is a sealed memfd, the doorbells are eventfds, and all three travel over
// the AF_UNIX channel with SCM_RIGHTS (shm_stream-posix.cpp).
// Windows: the segment is an unnamed section, the doorbells are unnamed auto-reset events, and
// the channel is the private named pipe, over which handles cannot travel: the client sends
// the values of its own handles, and the host duplicates them out of the client process
// (DuplicateHandle with the client's process handle, opened from the pipe's client process
// id), so that a handle value can only ever name one of the client's objects. Each side also
// waits on the other's process handle beside its doorbell (one thread per stream), so a peer
// that is gone is noticed even while its end of the pipe is still held open by someone else
// (shm_stream-win32.cpp).
//
// Usage (both sides run the hello handshake on the socket stream first):
//
//   // client (creates the segment), after exchangeHello on `socket`:
//   auto control = toControlChannel(kj::mv(socket), *io.lowLevelProvider);
//   auto stream = offerShmChannel(eventPortOf(io), kj::mv(control)).wait(io.waitScope);
//   capnp::TwoPartyVatNetwork network(*stream, capnp::rpc::twoparty::Side::CLIENT);
//
//   // host, after exchangeHello on `socket`:
//   auto control = toControlChannel(kj::mv(socket), *io.lowLevelProvider);
//   auto stream = acceptShmChannel(eventPortOf(io), kj::mv(control)).wait(io.waitScope);
//   capnp::TwoPartyVatNetwork network(*stream, capnp::rpc::twoparty::Side::SERVER);
//
// (Host::spawn with HostOptions::transport = Transport::SharedMemory and runHost(...,
// Transport::SharedMemory) do exactly this; a benchmark or test that wants the raw stream calls
// these functions itself, or makeShmStream below to skip the channel set-up.)
//
// Put your own deadline on the setup promises (exclusiveJoin with a timer): a peer that never
// answers is otherwise waited for until it closes the channel.
//
// Thread assumptions: every function here and the returned stream belong to the thread whose
// KJ event loop owns `eventPort`; the two ends may be two threads of one process (tests) or two
// processes of any bitness. As with any kj stream: at most one read and one write outstanding,
// and the buffers given to read/write must stay valid until their promise resolves.
// Lifetime: the stream owns the mapping, the doorbells and the control channel. Destroying it
// closes both directions (the peer reads EOF) and the channel (the peer sees it gone).
#pragma once

#include <cstdint>

#include <kj/async-io.h>
#include <kj/time.h>

#include "common/event_port.h"
#include "common/transport/shm_ring.h"
#include "common/internal_api.h"

namespace bitbridge {

struct WireShmAnswer;  // wire/shm_offer.h

#if defined(_WIN32)
/// An unnamed auto-reset event, not inheritable.
using ShmDoorbell = UniqueHandle;
/// The private named pipe (a stream made by wrapPipe): handles cannot be passed over it.
using ShmControlChannel = kj::AsyncIoStream;
#else
/// A non-blocking, close-on-exec eventfd.
using ShmDoorbell = kj::AutoCloseFd;
/// The private AF_UNIX socket, able to carry descriptors.
using ShmControlChannel = kj::AsyncCapabilityStream;
#endif

/// Which end of a shared-memory channel this is. The client creates the segment and sends
/// client -> host bytes on ring kShmClientToHost.
enum class ShmSide : uint8_t { Client = 1, Host = 2 };

struct ShmStreamOptions {
  /// Bytes per direction (power of two, kShmMinRingCapacity..kShmMaxRingCapacity). Only the
  /// creating side (the client) uses it; the host takes the size from the segment. Messages
  /// larger than this still pass: they are streamed through the ring.
  uint32_t ringCapacity = kShmDefaultRingCapacity;
  /// How long a read (ring empty) or write (ring full) polls the ring before parking on its
  /// doorbell. Polling only runs when this thread's event loop has nothing else queued, in slices
  /// of ~1 us, so it delays no ready work; it does delay the loop's next look at file
  /// descriptors and timers by at most this much. It is CPU burnt per idle period: zero parks at
  /// once (every message then costs a wake-up on a parked peer).
  kj::Duration spin = 50 * kj::MICROSECONDS;
};

/// The error a stream or its set-up fails with when the peer is gone: DISCONNECTED, naming why.
BITBRIDGE_INTERNAL_API kj::Exception shmPeerGoneException(const kj::String& why);

/// Checks the host's answer to the client's shared-memory offer, of which `n` bytes were read:
/// throws DISCONNECTED (the channel closed), MalformedPeer (garbled) or BadConfiguration (the
/// host refused; its log says why). Both platforms' offerShmChannel end with it.
BITBRIDGE_INTERNAL_API void checkShmAnswer(size_t n, const WireShmAnswer& answer);

/// The host's answer to the client's offer, written on `channel` (its magic already in
/// `answer`): "refused" when checking the offer threw `problem`, and the set-up then fails with
/// it, after the write, so that the client reports a refusal rather than a hang-up; otherwise
/// "accepted", and `accepted()` makes the stream. `accepted` owns what the stream is made of,
/// the control channel too, so it is kept until the write is over either way; `answer` must
/// live as long. Both platforms' acceptShmChannel end with it.
BITBRIDGE_INTERNAL_API kj::Promise<kj::Own<kj::AsyncIoStream>> answerShmOffer(
    kj::AsyncIoStream& channel, WireShmAnswer& answer, kj::Maybe<kj::Exception> problem,
    kj::Function<kj::Own<kj::AsyncIoStream>()> accepted);

/// Throws Error(BadConfiguration) naming the alternative where this platform has no
/// shared-memory transport (none at present: Linux and Windows both have it); called before a
/// host is started for it.
BITBRIDGE_INTERNAL_API void requireShmTransport();

/// Makes a doorbell (ShmDoorbell). Throws Error(BadConfiguration).
BITBRIDGE_INTERNAL_API ShmDoorbell makeShmDoorbell();

/// The stream over an already shared segment (lower level than offer/accept: for tests and
/// benchmarks that set the segment up themselves). `ownDoorbell` is the one this side sleeps on
/// (Linux: watched with a FdObserver on `eventPort`; Windows: by a thread of the stream's);
/// `peerDoorbell` is the one the peer sleeps on. `control` is only read, to detect the peer's
/// death (EOF or error => DISCONNECTED); any byte arriving on it is a protocol violation
/// (malformed-peer). The segment's rings must be unused (counters at 0).
BITBRIDGE_INTERNAL_API kj::Own<kj::AsyncIoStream> makeShmStream(EventPort& eventPort, ShmSegment segment,
                                         ShmSide side, ShmDoorbell ownDoorbell,
                                         ShmDoorbell peerDoorbell,
                                         kj::Own<kj::AsyncIoStream> control,
                                         ShmStreamOptions options = {});

#if defined(_WIN32)
/// The same, also waiting on `peerProcess` (SYNCHRONIZE access; may be null): when it is
/// signaled the peer is gone, whatever its end of `control` does.
BITBRIDGE_INTERNAL_API kj::Own<kj::AsyncIoStream> makeShmStream(EventPort& eventPort, ShmSegment segment,
                                         ShmSide side, ShmDoorbell ownDoorbell,
                                         ShmDoorbell peerDoorbell,
                                         kj::Own<kj::AsyncIoStream> control,
                                         ShmStreamOptions options, UniqueHandle peerProcess);
#endif

/// Makes the channel after the hello into the control channel. Linux: re-wraps the connected
/// AF_UNIX socket stream (as made by kj's wrapSocketFd) so that descriptors can be passed over
/// it; the original object is destroyed, the socket itself stays open. Windows: the pipe
/// stream itself (checked to be one). Throws Error(BadConfiguration) if `socket` is neither.
BITBRIDGE_INTERNAL_API kj::Own<ShmControlChannel> toControlChannel(kj::Own<kj::AsyncIoStream> socket,
                                            kj::LowLevelAsyncIoProvider& provider);

/// Client side of the setup: creates the segment (options.ringCapacity) and two doorbells,
/// sends them with an offer over `control` (Windows: their handle values, for the host to
/// duplicate), and waits for the host's answer. Throws
/// Error(BadConfiguration) at once if the segment cannot be created. The promise rejects with
/// DISCONNECTED if the host closes the socket first, with "bitbridge:bad-configuration" if it
/// refuses the segment, "bitbridge:malformed-peer" on a garbled answer.
BITBRIDGE_INTERNAL_API kj::Promise<kj::Own<kj::AsyncIoStream>> offerShmChannel(EventPort& eventPort,
                                                        kj::Own<ShmControlChannel> control,
                                                        ShmStreamOptions options = {});

/// Host side of the setup: receives the offer and its three descriptors (Windows: handles,
/// duplicated out of the client process), validates all of it as untrusted input
/// (ShmSegment::open; the doorbells must be eventfds, Windows: auto-reset events), answers, and
/// returns the stream. A bad offer is refused on the wire (so the client can report it) and the promise
/// rejects with "bitbridge:malformed-peer"; DISCONNECTED if the client closes first.
/// `options.ringCapacity` is ignored.
BITBRIDGE_INTERNAL_API kj::Promise<kj::Own<kj::AsyncIoStream>> acceptShmChannel(EventPort& eventPort,
                                                         kj::Own<ShmControlChannel> control,
                                                         ShmStreamOptions options = {});

}  // namespace bitbridge

