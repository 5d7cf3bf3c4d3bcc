// POSIX parts of the host's main(): SIGPIPE, and the --shared mode (a daemonized host listening
// on a Unix socket in the user's runtime directory; see shared_host.h).
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"
#include "common/platform/runtime_dir-posix.h"
#include "common/transport/shared_endpoint.h"
#include "host/daemon-posix.h"
#include "host/executable/host_platform.h"
#include "host/shared_host.h"

namespace bitbridge {
namespace {

// Exit code of a shared host that could not set up its endpoint (bad runtime directory, a host
// already listening there): the starting client reports it as a configuration error.
constexpr int kEndpointFailed = 3;

// The log of a detached host: at most kLogBytes per file, and kLogFiles files before it
// (<endpoint>.log, then <endpoint>.1.log, <endpoint>.2.log). It is appended to across starts,
// so the last lines of a host that crashed are still there after the next one starts; it is
// rotated by size, never emptied. stdout and stderr (a legacy library's own output) follow the
// current file after each rotation.
constexpr size_t kLogBytes = size_t{1} << 20;
constexpr size_t kLogFiles = 2;

void useRotatingLog(spdlog::logger& logger, const std::string& path) {
  spdlog::file_event_handlers handlers;
  handlers.after_open = [](const spdlog::filename_t&, std::FILE* file) {
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(::fileno(file), STDOUT_FILENO);
    ::dup2(::fileno(file), STDERR_FILENO);
  };
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, kLogBytes, kLogFiles,
                                                                       false, handlers);
    logger.sinks().clear();  // one thread so far: nothing else logs yet
    logger.sinks().push_back(std::move(sink));
    logger.flush_on(spdlog::level::trace);  // a crash must not lose the last lines
  } catch (const spdlog::spdlog_ex& e) {
    logger.warn("cannot use a rotating log at {}: {}; logging to stderr", path, e.what());
  }
}

}  // namespace

int serveShared(const std::string& name, SharedHostConfig config,
                const std::shared_ptr<spdlog::logger>& logger) {
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
  // Detached: output now goes to the log file, read by people rather than by a client, through
  // a size-capped rotating sink (see useRotatingLog).
  useRotatingLog(*logger, paths.log);
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [pid %P] [%l] %v");
  logger->info("{} shared host {} started, {}-bit", archName(currentArch()),
               endpoint, sizeof(void*) * 8);
  // Before the event loop and every thread: the signals are then delivered to the loop only.
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  auto io = kj::setupAsyncIo();
  config.endpoint = endpoint;
  config.socketPath = paths.socket;
  config.lockPath = paths.lock;
  return runSharedHost(io, kj::mv(socket), config, logger);
}

void preparePlatform() { std::signal(SIGPIPE, SIG_IGN); }

std::optional<int> runPlatformCommand(int, char**) { return std::nullopt; }

}  // namespace bitbridge
