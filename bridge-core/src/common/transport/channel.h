// The byte-stream channel between a client and one host; Cap'n Proto RPC runs on top of it.
//
// Transports implement two halves: the client side creates a channel before spawning the host
// and says what the child must inherit; the host side opens its end from the `--channel`
// argument it was started with. POSIX: an inherited socketpair (no name on disk, no race).
// Windows: a named pipe with a random name that the host creates and the client connects to,
// checking the server's process id (channel-win32.cpp).
#pragma once

#include <chrono>
#include <string>

#include <kj/async-io.h>
#include "common/internal_api.h"

namespace bitbridge {

class ChildProcess;

/// The child's end of the channel lands on this descriptor number in the host process.
inline constexpr int kHostChannelFd = 3;
/// The child's end of the heartbeat socket (see wire/heartbeat.h) lands here.
inline constexpr int kHostHeartbeatFd = 4;
/// Highest descriptor number a spawned host inherits on purpose; everything above is closed.
inline constexpr int kHostLastInheritedFd = kHostHeartbeatFd;

/// Shuts down both directions of a channel's client end without closing it: whatever stream
/// owns that end (even one re-wrapped by the shared-memory set-up) reads EOF at once, so every
/// pending call fails. Used when the host is known dead or has been killed, in case its end is
/// still held open elsewhere (a process the legacy library spawned may have inherited it).
/// Owns its own reference to the channel (a duplicate handle), so it never touches a reused one.
class BITBRIDGE_INTERNAL_API ChannelCutter {
 public:
  virtual ~ChannelCutter() = default;
  virtual void cut() = 0;
};

/// Client half of a private channel to a host about to be spawned. Not thread-safe; used by
/// the thread that spawns the host.
class BITBRIDGE_INTERNAL_API PrivateChannel {
 public:
  virtual ~PrivateChannel() = default;
  /// Native handle (fd) the child must inherit (POSIX); -1 when the host finds its end by name.
  virtual int childHandle() const = 0;
  /// The `--channel` (or `--heartbeat`) argument that tells the host where its end is:
  /// "fd:<n>" or "pipe:<name>".
  virtual std::string hostSpec() const = 0;
  /// A way to cut this channel from outside its stream (see ChannelCutter). Call before
  /// connect(); the cutter stays valid whatever happens to the stream afterwards.
  virtual kj::Own<ChannelCutter> makeCutter() = 0;
  /// After the spawn: releases the parent's copy of the child end and returns the client end
  /// as an async stream on this thread's event loop. Call once. Where the host creates the
  /// endpoint (Windows), waits up to `timeout` for it, fails at once with the host's exit
  /// status if `host` exits first, and requires the endpoint's server to be `host`.
  virtual kj::Own<kj::AsyncIoStream> connect(kj::AsyncIoContext& io, ChildProcess& host,
                                             std::chrono::milliseconds timeout) = 0;
};

/// A private channel whose host end is inherited as descriptor `childFd` (POSIX socketpair), or
/// a named pipe the host creates (Windows, `childFd` unused) — see channel-*.cpp.
BITBRIDGE_INTERNAL_API kj::Own<PrivateChannel> makePrivateChannel(int childFd = kHostChannelFd);

/// Host half: opens the stream named by `spec` (from `--channel`). Throws Error on a spec this
/// build does not understand, a descriptor that is not a socket, a pipe name taken by another
/// process, or a client that does not connect within `connectTimeout` (Windows).
BITBRIDGE_INTERNAL_API kj::Own<kj::AsyncIoStream> openHostChannel(const std::string& spec, kj::AsyncIoContext& io,
                                           std::chrono::milliseconds connectTimeout =
                                               std::chrono::seconds(10));

}  // namespace bitbridge

