// A shared host on Windows: the same service as shared_host.h describes for POSIX (one process,
// many clients of both bitnesses, one instance per class, bounded connections, exit when idle),
// served on a named pipe (shared_pipe-win32.h) instead of a Unix socket.
//
// What differs from POSIX:
// - connections arrive on pipe instances: the host always keeps one instance waiting
//   (ConnectNamedPipe, overlapped) and creates the next as soon as a client takes it;
// - the client's identity is GetNamedPipeClientProcessId and that process's token user, which
//   must be this host's user (POSIX: SO_PEERCRED's uid); the hello must come from that pid;
// - no descriptor limit to shed on (handles are not a per-process scarce resource);
// - no SIGTERM: a host ended from outside (TerminateProcess, taskkill /F) leaves nothing
//   behind, since a pipe disappears with its last handle;
// - the idle exit takes the start mutex instead of the flock, then closes its pipe.
// Thread assumption: everything runs on the calling thread's event loop (and the start mutex,
// owned by threads, is taken and released on it). Windows only.
#pragma once

#include <memory>

#include <kj/async-io.h>

#include "common/platform/handle-win32.h"
#include "common/transport/shared_pipe-win32.h"
#include "host/shared_host.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

/// Serves clients on `endpoint.pipe`, whose first instance `firstInstance` the caller created
/// (createSharedPipeInstance(..., first = true)), until the host has been idle for
/// `config.idleTimeout`. Returns the process exit code: 0 after an idle exit, 1 after an
/// unexpected error (logged as critical).
int runSharedPipeHost(kj::AsyncIoContext& io, UniqueHandle firstInstance,
                      const SharedPipeEndpoint& endpoint, const SharedHostConfig& config,
                      std::shared_ptr<spdlog::logger> logger);

}  // namespace bitbridge
