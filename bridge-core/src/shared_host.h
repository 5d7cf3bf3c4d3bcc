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
// - the bulk segments a client attached are detached when its connection ends;
// - it exits (0) once it has had no client for `idleTimeout`, under the start lock, after
//   removing its socket: the next client then starts a new host.
// Thread assumption: everything runs on the calling thread's event loop.
#pragma once

#include <memory>
#include <string>

#include <kj/async-io.h>
#include <kj/io.h>

namespace spdlog {
class logger;
}

namespace bitbridge {

struct SharedHostConfig {
  std::string endpoint;    ///< "<name>-<arch>", for log lines
  std::string socketPath;  ///< removed when the host exits on idle
  std::string lockPath;    ///< the start lock, taken (never waited for) before an idle exit
  kj::Duration idleTimeout = 5 * kj::SECONDS;
  kj::Duration helloTimeout = 10 * kj::SECONDS;
};

/// Serves clients arriving on `listener` (a listening AF_UNIX stream socket, taken over) until
/// the host has been idle for `config.idleTimeout`. Returns the process exit code: 0 after an
/// idle exit, 1 if accepting connections failed for good (logged as critical).
int runSharedHost(kj::AsyncIoContext& io, kj::AutoCloseFd listener, const SharedHostConfig& config,
                  std::shared_ptr<spdlog::logger> logger);

}  // namespace bitbridge
