// POSIX parts of the host's main(): SIGPIPE, and the --shared mode (a daemonized host listening
// on a Unix socket in the user's runtime directory; see shared_host.h).
#include <sys/stat.h>

#include <csignal>

#include <kj/async-io.h>
#include <spdlog/logger.h>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"
#include "daemon.h"
#include "host_platform.h"
#include "runtime_dir.h"
#include "shared_endpoint.h"
#include "shared_host.h"

namespace bitbridge {
namespace {

// Exit code of a shared host that could not set up its endpoint (bad runtime directory, a host
// already listening there): the starting client reports it as a configuration error.
constexpr int kEndpointFailed = 3;

// The --shared mode: endpoint, detach from the starting client, serve until idle.
}  // namespace

int serveShared(const std::string& name, long idleMs, const std::shared_ptr<spdlog::logger>& logger) {
  ::umask(077);  // everything this host creates (socket, log) is for this user only
  std::string endpoint;
  SharedEndpointPaths paths;
  kj::AutoCloseFd socket;
  try {
    // Bound before detaching, so that "already running" and directory problems go to the
    // starting client's log while this process is still its child.
    endpoint = sharedEndpointName(name, currentArch());
    paths = sharedEndpointPaths(ensureRuntimeDirectory(), endpoint);
    socket = bindSharedSocket(paths.socket);
  } catch (const Error& e) {
    logger->critical("{}", e.what());
    return kEndpointFailed;
  }
  // listen() in the detached process: clients read the listener's pid with SO_PEERCRED and
  // require it to be the pid that answers their hello.
  daemonize(paths.log, [&]() {
    try {
      listenSharedSocket(socket.get(), paths.socket);
      return true;
    } catch (const Error& e) {
      logger->critical("{}", e.what());
      return false;
    }
  });
  // Detached: output now goes to the log file, read by people rather than by a client.
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [pid %P] [%l] %v");
  logger->info("{} shared host {} started, {}-bit", archName(currentArch()),
               endpoint, sizeof(void*) * 8);
  auto io = kj::setupAsyncIo();
  SharedHostConfig config;
  config.endpoint = endpoint;
  config.socketPath = paths.socket;
  config.lockPath = paths.lock;
  config.idleTimeout = idleMs * kj::MILLISECONDS;
  return runSharedHost(io, kj::mv(socket), config, logger);
}

void preparePlatform() { std::signal(SIGPIPE, SIG_IGN); }

std::optional<int> runPlatformCommand(int, char**) { return std::nullopt; }

}  // namespace bitbridge
