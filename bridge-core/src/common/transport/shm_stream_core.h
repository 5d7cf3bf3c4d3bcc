// The platform-independent half of the shared-memory stream (shm_stream.h): the kj stream over
// the two rings, with its spin-then-park waiting (shm_stream.cpp). What differs per platform is
// behind ShmBells: how a side rings the peer's doorbell, how it learns that its own doorbell
// rang, and whether it can see the peer's process end (shm_stream-posix.cpp: eventfds on the
// epoll loop; shm_stream-win32.cpp: auto-reset events and the peer's process handle, waited on
// by one thread per stream).
//
// Thread assumptions: as for the stream (shm_stream.h); ShmBells is created and used on the
// event loop's thread.
#pragma once

#include <kj/async-io.h>
#include <kj/string.h>

#include "common/transport/shm_ring.h"
#include "common/transport/shm_stream.h"

namespace bitbridge {

class ShmBells {
 public:
  virtual ~ShmBells() noexcept(false) = default;
  /// Rings the peer's doorbell. Never throws (a bell that cannot be rung is already ringing,
  /// or belongs to a peer that is gone, which the stream learns otherwise).
  virtual void ringPeer() = 0;
  /// Resolves after our own doorbell rang (at least once since the previous promise resolved;
  /// possibly spuriously). One at a time.
  virtual kj::Promise<void> nextRing() = 0;
  /// Resolves, with the reason, when the platform sees the peer's process end (Windows: its
  /// process handle); never where only the control channel tells (Linux).
  virtual kj::Promise<kj::String> peerProcessGone() = 0;
};

/// The stream over `segment` (rings unused) for `side`. `control` is only read, to detect the
/// peer's death (EOF or error => DISCONNECTED); any byte arriving on it is a protocol violation
/// (malformed-peer).
kj::Own<kj::AsyncIoStream> newShmStream(ShmSegment segment, ShmSide side, kj::Own<ShmBells> bells,
                                        kj::Own<kj::AsyncIoStream> control,
                                        ShmStreamOptions options);

/// Gives the rest of this core's time slice to another thread (sched_yield / SwitchToThread).
void shmYieldCpu();

}  // namespace bitbridge
