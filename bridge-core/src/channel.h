// The byte-stream channel between a client and one host; Cap'n Proto RPC runs on top of it.
//
// Transports implement two halves: the client side creates a channel before spawning the host
// and says what the child must inherit; the host side opens its end from the `--channel`
// argument it was started with. Today: an inherited socketpair (private spawned hosts, no name
// on disk, no race). Planned behind the same halves: a named endpoint for shared hosts, a
// Windows named pipe, a shared-memory ring transport.
#pragma once

#include <string>

#include <kj/async-io.h>

namespace bitbridge {

/// The child's end of the channel lands on this descriptor number in the host process.
inline constexpr int kHostChannelFd = 3;
/// The child's end of the heartbeat socket (see heartbeat_wire.h) lands here.
inline constexpr int kHostHeartbeatFd = 4;
/// Highest descriptor number a spawned host inherits on purpose; everything above is closed.
inline constexpr int kHostLastInheritedFd = kHostHeartbeatFd;

/// Shuts down both directions of a channel's client end without closing it: whatever stream
/// owns that end (even one re-wrapped by the shared-memory set-up) reads EOF at once, so every
/// pending call fails. Used when the host is known dead or has been killed, in case its end is
/// still held open elsewhere (a process the legacy library spawned may have inherited it).
/// Owns its own reference to the channel (a duplicate handle), so it never touches a reused one.
class ChannelCutter {
 public:
  virtual ~ChannelCutter() = default;
  virtual void cut() = 0;
};

/// Client half of a private channel to a host about to be spawned. Not thread-safe; used by
/// the thread that spawns the host.
class PrivateChannel {
 public:
  virtual ~PrivateChannel() = default;
  /// Native handle (fd) the child must inherit as kHostChannelFd.
  virtual int childHandle() const = 0;
  /// The `--channel` argument that tells the host where its end is.
  virtual std::string hostSpec() const = 0;
  /// A way to cut this channel from outside its stream (see ChannelCutter). Call before
  /// connect(); the cutter stays valid whatever happens to the stream afterwards.
  virtual kj::Own<ChannelCutter> makeCutter() = 0;
  /// After the spawn: releases the parent's copy of the child end and returns the client end
  /// as an async stream on this thread's event loop. Call once.
  virtual kj::Own<kj::AsyncIoStream> connect(kj::LowLevelAsyncIoProvider& provider) = 0;
};

/// A socketpair-based private channel (POSIX) — see channel-posix.cpp.
kj::Own<PrivateChannel> makePrivateChannel();

/// Host half: opens the stream named by `spec` (from `--channel`). Throws Error on a spec this
/// build does not understand or a descriptor that is not a socket.
kj::Own<kj::AsyncIoStream> openHostChannel(const std::string& spec,
                                           kj::LowLevelAsyncIoProvider& provider);

}  // namespace bitbridge
