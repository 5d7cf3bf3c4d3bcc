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

namespace bitbridge {

/// "\\.\pipe\bitbridge-<purpose>-<pid>-<32 random hex digits>" (random from the system RNG).
std::string newPipeName(const std::string& purpose);

/// Creates the server end of `name` (overlapped, duplex, byte mode; security as above). Throws
/// Error{BadConfiguration} naming the pipe when the name is taken or creation fails.
UniqueHandle createPipeServer(const std::string& name);

/// Blocks until a client connects to `pipe` (from createPipeServer). Returns false when
/// `timeout` passes first or `abandon` (an event or process handle; may be null) is signaled.
bool waitForPipeClient(HANDLE pipe, std::chrono::milliseconds timeout, HANDLE abandon = nullptr);

/// Connects to the pipe `name`, retrying while it does not exist yet (the host creates it after
/// starting) for up to `timeout`. Between tries `stillStarting()` runs and may throw (the host
/// exited). Requires the pipe's server process to be `expectedServerPid` (unless 0). Throws
/// Error: TimedOut, MalformedPeer (someone else serves the name), BadConfiguration.
UniqueHandle connectPipeClient(const std::string& name, uint32_t expectedServerPid,
                                      std::chrono::milliseconds timeout,
                                      const std::function<void()>& stillStarting,
                                      const std::string& serverLabel);

/// The process id of the client connected to a server end (GetNamedPipeClientProcessId).
uint32_t pipeClientProcessId(HANDLE pipe);

/// Shared by a pipe stream and the cutters made for it. Event-loop thread only.
struct PipeCutState {
  HANDLE handle = nullptr;  ///< the stream's handle while the stream exists
  bool cut = false;         ///< once set, every read and write fails DISCONNECTED
};

/// A ChannelCutter for a pipe stream: marks the state cut and cancels pending I/O.
kj::Own<ChannelCutter> makePipeCutter(std::shared_ptr<PipeCutState> state);

/// The stream over a connected pipe handle (opened with FILE_FLAG_OVERLAPPED), on `port`'s
/// thread. Takes the handle. EOF when the peer closes its end; `state` (may be null) lets a
/// cutter fail it from outside. shutdownWrite() does nothing: pipes have no half-close, the peer
/// sees EOF when this stream is destroyed.
kj::Own<kj::AsyncIoStream> wrapPipe(kj::Win32EventPort& port, UniqueHandle pipe,
                                    std::shared_ptr<PipeCutState> state = nullptr);

}  // namespace bitbridge
