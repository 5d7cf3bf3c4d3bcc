// A shared host (like a COM LocalServer registered REGCLS_MULTIPLEUSE): one host process
// serving many clients, 32-bit and 64-bit alike, on a named endpoint (shared_endpoint.h).
//
// What differs from a private host (runHost in host_service.h):
// - many connections on one event loop, each with its own hello, TwoPartyVatNetwork,
//   RpcSystem and HostService, over ONE ComponentRegistry, BulkRegistry and SharedInstances;
// - activate(className) returns the host's one instance of that class to every client;
// - a client's shutdown call closes only that client's connection;
// - a connection whose peer is another user is refused (SO_PEERCRED), and so is one whose
//   hello names another pid than the kernel's record of the peer;
// - a protocol error on one connection (a malformed frame, say) closes that connection, logged,
//   and the host keeps serving the others;
// - the bulk segments a client attached are detached when its connection ends, and no other
//   connection may reference them;
// - each connection is bounded (SharedHostConfig): how many, per client process too, how
//   large a message, how much is queued for a peer that does not read, how long a hello, a
//   first request or the rest of a message may take; running out of descriptors sheds new
//   connections instead of ending the host;
// - SIGTERM or SIGINT ends it cleanly, removing its socket;
// - it exits (0) once it has had no client for `idleTimeout`, under the start lock, after
//   removing its socket: the next client then starts a new host.
// Thread assumption: everything runs on the calling thread's event loop.
#pragma once

#include <memory>
#include <string>

#include <kj/async-io.h>
#include <kj/io.h>

#include "host/bounded_message_stream.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

/// What one connection may do is bounded so that no client can take the host down, fill it up
/// or hold it (docs/security.md). The defaults are HostOptions' (bitbridge/host.h).
struct SharedHostConfig {
  std::string endpoint;    ///< "<name>-<arch>", for log lines
  std::string socketPath;  ///< removed when the host exits on idle or on SIGTERM/SIGINT
  std::string lockPath;    ///< the start lock, taken (never waited for) before an idle exit
  kj::Duration idleTimeout = 5 * kj::SECONDS;
  /// From accept to a complete hello, and again from the hello to the first byte of the first
  /// Cap'n Proto message (a real client sends its bootstrap request at once).
  kj::Duration helloTimeout = 5 * kj::SECONDS;
  uint32_t maxConnections = 128;          ///< refused beyond, with a refusal hello
  uint32_t maxConnectionsPerClient = 16;  ///< per client process (SO_PEERCRED pid)
  ConnectionLimits limits{uint64_t{64} << 20, uint64_t{8} << 20, uint64_t{8} << 20,
                          10 * kj::SECONDS};
};

/// Serves clients arriving on `listener` (a listening AF_UNIX stream socket, taken over) until
/// the host has been idle for `config.idleTimeout`, or SIGTERM/SIGINT arrives (the caller must
/// have called kj::UnixEventPort::captureSignal for both before making `io`). Returns the
/// process exit code: 0 after an idle exit or a signal, 1 after an unexpected error (logged as
/// critical).
int runSharedHost(kj::AsyncIoContext& io, kj::AutoCloseFd listener, const SharedHostConfig& config,
                  std::shared_ptr<spdlog::logger> logger);

}  // namespace bitbridge
