// Client side of COM activation of a host (Host::activateCom, or a StartOrder's fallback): ask
// COM for the host class of a bitness (com_ids.h), read the pipes its object names, and connect
// to them. com_activation-win32.cpp does it; com_activation-posix.cpp reports that it exists on
// Windows only, so that the kinds of host stay free of platform code.
//
// The COM side runs on a thread of its own, in the multithreaded apartment: the caller's thread
// keeps whatever COM apartment it had (a library must not change it), and the activation can be
// abandoned after a timeout (COM itself would wait for a server up to ~2 minutes). That thread
// holds the activated object until ComEndpoint::keepAlive is destroyed, then releases it there.
//
// Why the log travels over a pipe the host names: COM starts the host with -Embedding and no
// standard handles of ours, so its stderr would go nowhere. The host makes its stderr that pipe
// once the client is connected to it (docs/architecture.md, "COM-activated hosts"), and the
// client reads it exactly as it reads a spawned host's stderr (ChildProcess): forwarded lines,
// logTail(), the exit announcement, the last words of a crash.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <kj/async-io.h>

#include "bitbridge/arch.h"
#include "common/internal_api.h"

namespace bitbridge {

class ChildProcess;

/// Whether this platform can activate hosts through COM (Windows: yes).
bool comActivationAvailable();

struct ComEndpoint {
  std::string pipe;           ///< "\\.\pipe\bitbridge-com-..." served by the host: RPC
  uint32_t pid = 0;           ///< the host's pid: every pipe's server must be this process
  std::string logPipe;        ///< the host's stderr, read by the client
  std::string heartbeatPipe;  ///< the host's watchdog
  /// The activated COM object, released when the last copy goes (on its own thread; the
  /// destructor waits for that release, a cross-process call of about a millisecond).
  std::shared_ptr<void> keepAlive;
};

/// Activates the COM class of the host for `arch` (a new host process: single-use class) and
/// reads its endpoint, within `timeout`. Throws Error: NotFound (class not registered, with the
/// --regserver fix), TimedOut, MalformedPeer (the class answered something that is not a
/// bitbridge endpoint, or one of an older host), BadConfiguration (any other COM failure, with
/// its HRESULT; and on every platform but Windows).
ComEndpoint activateComHost(Arch arch, std::chrono::milliseconds timeout);

/// Windows only: the activated object's Endpoint text (com_ids.h) into `endpoint` (its pipes and
/// pid). Throws Error{MalformedPeer} for anything else, naming the text (its first 300
/// characters) and the fix; for an older host's two-field endpoint, re-registration.
BITBRIDGE_INTERNAL_API void parseComEndpoint(Arch arch, const std::string& text, ComEndpoint& endpoint);

struct ComHostConnection {
  kj::Own<kj::AsyncIoStream> stream;  ///< connected, nothing exchanged yet (the hello is next)
  /// The host's process with its log pipe: output tail, forwarded lines, exit status, kill.
  /// Null where the process cannot be opened (then its log pipe is closed).
  std::unique_ptr<ChildProcess> process;
  std::string label;  ///< "COM bitbridge-host32 (pid 123)"
};

/// Connects to an activated host's log pipe (each line to `onLogLine`, on a drain thread) and
/// then its RPC pipe, both served by the host's pid, the RPC pipe wrapped as a stream on `io`'s
/// event loop; within `timeout`. Call on `io`'s thread. Throws Error as connectPipeClient does
/// (named_pipe-win32.h).
ComHostConnection connectComHost(kj::AsyncIoContext& io, Arch arch, const ComEndpoint& endpoint,
                                 std::chrono::milliseconds timeout,
                                 std::function<void(const std::string&)> onLogLine);

/// Connects to the host's heartbeat pipe (its watchdog creates it before the hello, so call it
/// after the hello), within `timeout`. Call on `io`'s thread.
kj::Own<kj::AsyncIoStream> connectComHeartbeat(kj::AsyncIoContext& io, const ComEndpoint& endpoint,
                                               std::chrono::milliseconds timeout,
                                               const std::string& label);

}  // namespace bitbridge
