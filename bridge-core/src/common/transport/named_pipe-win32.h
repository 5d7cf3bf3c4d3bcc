// Named pipes, the channel of bitbridge on Windows: creating one with our security settings,
// connecting to one with a check of who serves it, and a KJ stream over a connected pipe.
//
// Security (docs/windows.md, docs/security.md): a pipe has a random name, is created with
// FILE_FLAG_FIRST_PIPE_INSTANCE (a squatter that created the name first makes creation fail
// instead of sharing it), a DACL granting only the current user, PIPE_REJECT_REMOTE_CLIENTS, and
// one instance. The client connects with SECURITY_IDENTIFICATION (the server cannot act as the
// client) and requires GetNamedPipeServerProcessId to be the host it started.
//
// The stream drives overlapped ReadFile/WriteFile on KJ's I/O completion port
// (kj::Win32EventPort::observeIo), so Cap'n Proto RPC runs on it like on a socket. Windows only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <kj/async-io.h>
#include <kj/async-win32.h>

#include "common/platform/handle-win32.h"
#include "common/transport/channel.h"
#include "common/internal_api.h"

namespace bitbridge {

/// "\\.\pipe\bitbridge-<purpose>-<pid>-<32 random hex digits>" (random from the system RNG).
BITBRIDGE_INTERNAL_API std::string newPipeName(const std::string& purpose);

/// How a pipe's ends are opened.
enum class PipeMode {
  /// Duplex, overlapped (FILE_FLAG_OVERLAPPED): the RPC stream and the heartbeat.
  Overlapped,
  /// One way, server to client, blocking on both ends: a COM host's log. The host's C runtime
  /// writes its stderr into it with plain WriteFile (as into the anonymous pipe of a spawned
  /// host), which an overlapped handle does not support, and the client's drain thread reads
  /// it with plain ReadFile.
  BlockingLog,
};

/// Creates the server end of `name` (byte mode; security as above; `mode` as above). Throws
/// Error{BadConfiguration} naming the pipe when the name is taken or creation fails.
BITBRIDGE_INTERNAL_API UniqueHandle createPipeServer(const std::string& name, PipeMode mode = PipeMode::Overlapped);

/// Blocks until a client connects to `pipe` (from createPipeServer, PipeMode::Overlapped).
/// Returns false when `timeout` passes first or `abandon` (an event or process handle; may be
/// null) is signaled.
BITBRIDGE_INTERNAL_API bool waitForPipeClient(HANDLE pipe, std::chrono::milliseconds timeout, HANDLE abandon = nullptr);

/// The same for a PipeMode::BlockingLog server end, whose ConnectNamedPipe cannot be waited
/// for with a timeout: it runs on a helper thread, which on timeout is released by connecting
/// to `name` from this process (that connection is closed at once; the pipe is then useless).
BITBRIDGE_INTERNAL_API bool waitForBlockingPipeClient(HANDLE pipe, const std::string& name,
                               std::chrono::milliseconds timeout);

/// Connects to the pipe `name`, retrying while it does not exist yet (the host creates it after
/// starting) for up to `timeout`. Between tries `stillStarting()` runs and may throw (the host
/// exited). Requires the pipe's server process to be `expectedServerPid` (unless 0). Throws
/// Error: TimedOut, MalformedPeer (someone else serves the name), BadConfiguration.
/// `mode` must be the server's: Overlapped opens it for reading and writing, overlapped;
/// BlockingLog for reading only, blocking.
BITBRIDGE_INTERNAL_API UniqueHandle connectPipeClient(const std::string& name, uint32_t expectedServerPid,
                               std::chrono::milliseconds timeout,
                               const std::function<void()>& stillStarting,
                               const std::string& serverLabel,
                               PipeMode mode = PipeMode::Overlapped);

/// The process id of the client connected to a server end (GetNamedPipeClientProcessId).
BITBRIDGE_INTERNAL_API uint32_t pipeClientProcessId(HANDLE pipe);

/// Shared by a pipe stream and the cutters made for it. Event-loop thread only.
struct PipeCutState {
  HANDLE handle = nullptr;  ///< the stream's handle while the stream exists
  bool cut = false;         ///< once set, every read and write fails DISCONNECTED
};

/// A ChannelCutter for a pipe stream: marks the state cut and cancels pending I/O.
BITBRIDGE_INTERNAL_API kj::Own<ChannelCutter> makePipeCutter(std::shared_ptr<PipeCutState> state);

/// When a pipe stream's small writes reach the pipe (pipe_stream-win32.cpp).
enum class PipeWrites {
  AtOnce,       ///< each write is issued when it is made (a host's end)
  PerLoopTurn,  ///< the small writes of one event-loop run go as one WriteFile when the loop is
                ///< about to wait (a client's end: the last call's Finish with the next Call)
};

/// The stream over a connected pipe handle (opened with FILE_FLAG_OVERLAPPED), on `port`'s
/// thread. Takes the handle. EOF when the peer closes its end; `state` (may be null) lets a
/// cutter fail it from outside. shutdownWrite() does nothing: pipes have no half-close, the peer
/// sees EOF when this stream is destroyed.
BITBRIDGE_INTERNAL_API kj::Own<kj::AsyncIoStream> wrapPipe(kj::Win32EventPort& port, UniqueHandle pipe,
                                    std::shared_ptr<PipeCutState> state = nullptr,
                                    PipeWrites writes = PipeWrites::AtOnce);

/// The pipe handle under a stream made by wrapPipe (still owned by the stream), or null if
/// `stream` is not one. For the shared-memory set-up, which asks the pipe who its peer is.
BITBRIDGE_INTERNAL_API HANDLE pipeHandleOf(kj::AsyncIoStream& stream);

}  // namespace bitbridge
