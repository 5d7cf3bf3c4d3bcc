// Client side of COM activation of a host (Host::activateCom): ask COM for the host class of a
// bitness (com_ids.h), read the private pipe its object names, and connect to that pipe.
// com_activation-win32.cpp does it; com_activation-posix.cpp reports that it exists on Windows
// only, so that host.cpp stays free of platform code.
//
// The COM side runs on a thread of its own, in the multithreaded apartment: the caller's thread
// keeps whatever COM apartment it had (a library must not change it), and the activation can be
// abandoned after a timeout (COM itself would wait for a server up to ~2 minutes). That thread
// holds the activated object until ComEndpoint::keepAlive is destroyed, then releases it there.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <kj/async-io.h>

#include "bitbridge/arch.h"

namespace bitbridge {

struct ComEndpoint {
  std::string pipe;  ///< "\\.\pipe\bitbridge-com-..." served by the host
  uint32_t pid = 0;  ///< the host's pid: the pipe's server must be this process
  /// The activated COM object, released when the last copy goes (on its own thread; the
  /// destructor waits for that release, a cross-process call of about a millisecond).
  std::shared_ptr<void> keepAlive;
};

/// Activates the COM class of the host for `arch` (a new host process: single-use class) and
/// reads its endpoint, within `timeout`. Throws Error: NotFound (class not registered, with the
/// --regserver fix), TimedOut, MalformedPeer (the class answered something that is not a
/// bitbridge endpoint), BadConfiguration (any other COM failure, with its HRESULT; and on
/// every platform but Windows).
ComEndpoint activateComHost(Arch arch, std::chrono::milliseconds timeout);

struct ComHostConnection {
  ComEndpoint endpoint;
  kj::Own<kj::AsyncIoStream> stream;  ///< connected, nothing exchanged yet (the hello is next)
  std::string label;                  ///< "COM bitbridge-host32 (pid 123)"
};

/// activateComHost, then connects to the pipe (its server must be the host's pid) and wraps it
/// as a stream on `io`'s event loop; all within `timeout`. Call on `io`'s thread. Throws Error
/// as activateComHost does, and as connectPipeClient does (named_pipe-win32.h).
ComHostConnection connectComHost(kj::AsyncIoContext& io, Arch arch,
                                 std::chrono::milliseconds timeout);

}  // namespace bitbridge
