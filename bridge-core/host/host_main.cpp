// main() of bitbridge-host32 and bitbridge-host64: the same source compiled for each bitness.
//
// A private host is started by the client library (Host::spawn) with its channel inherited on
// a descriptor:
//   bitbridge-host32 --channel fd:3 [--transport socket|shm] [--parent <pid>] [--heartbeat fd:4]
// It greets the client, serves the Host interface, and exits when the client asks or goes
// away (channel EOF, or --parent no longer being its parent: see host_watchdog.h), so a
// private host never outlives its client. --heartbeat names the socket its watchdog thread
// answers on.
//
// A shared host is started by the first client that needs it (Host::connectShared):
//   bitbridge-host32 --shared <name> [--idle-timeout <ms>]
// It listens on <runtime dir>/<name>-x86.sock, detaches itself from that client (the process
// the client started exits 0 once the detached host listens), serves any number of clients of
// this user, and exits once it has had no client for the idle timeout (default 5000 ms).
#include <sys/stat.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <kj/async-io.h>
#include <spdlog/logger.h>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"
#include "channel.h"
#include "daemon.h"
#include "host_service.h"
#include "logging.h"
#include "runtime_dir.h"
#include "shared_endpoint.h"
#include "shared_host.h"

namespace {

void printUsage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --channel <spec> [--transport socket|shm] [--parent <pid>] "
               "[--heartbeat fd:<n>]\n"
               "       %s --shared <name> [--idle-timeout <ms>]\n"
               "A bitbridge host (%u-bit). Hosts are started by the bitbridge client library;\n"
               "see docs/getting-started.md.\n",
               argv0, argv0, static_cast<unsigned>(sizeof(void*) * 8));
}

// Exit code of a shared host that could not set up its endpoint (bad runtime directory, a host
// already listening there): the starting client reports it as a configuration error.
constexpr int kEndpointFailed = 3;

// The --shared mode: endpoint, detach from the starting client, serve until idle.
int serveShared(const std::string& name, long idleMs,
                const std::shared_ptr<spdlog::logger>& logger) {
  ::umask(077);  // everything this host creates (socket, log) is for this user only
  std::string endpoint;
  bitbridge::SharedEndpointPaths paths;
  kj::AutoCloseFd socket;
  try {
    // Bound before detaching, so that "already running" and directory problems go to the
    // starting client's log while this process is still its child.
    endpoint = bitbridge::sharedEndpointName(name, bitbridge::currentArch());
    paths = bitbridge::sharedEndpointPaths(bitbridge::ensureRuntimeDirectory(), endpoint);
    socket = bitbridge::bindSharedSocket(paths.socket);
  } catch (const bitbridge::Error& e) {
    logger->critical("{}", e.what());
    return kEndpointFailed;
  }
  // listen() in the detached process: clients read the listener's pid with SO_PEERCRED and
  // require it to be the pid that answers their hello.
  bitbridge::daemonize(paths.log, [&]() {
    try {
      bitbridge::listenSharedSocket(socket.get(), paths.socket);
      return true;
    } catch (const bitbridge::Error& e) {
      logger->critical("{}", e.what());
      return false;
    }
  });
  // Detached: output now goes to the log file, read by people rather than by a client.
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [pid %P] [%l] %v");
  logger->info("{} shared host {} started, {}-bit", bitbridge::archName(bitbridge::currentArch()),
               endpoint, sizeof(void*) * 8);
  auto io = kj::setupAsyncIo();
  bitbridge::SharedHostConfig config;
  config.endpoint = endpoint;
  config.socketPath = paths.socket;
  config.lockPath = paths.lock;
  config.idleTimeout = idleMs * kj::MILLISECONDS;
  return bitbridge::runSharedHost(io, kj::mv(socket), config, logger);
}

bool parsePositive(const char* text, int& out) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value <= 0 || value > INT32_MAX) return false;
  out = static_cast<int>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string channel;
  std::string shared;
  long idleMs = 5000;
  bitbridge::Transport transport = bitbridge::Transport::Socket;
  bitbridge::HostWatchdogSettings watchdog;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--channel" && i + 1 < argc) {
      channel = argv[++i];
    } else if (arg == "--parent" && i + 1 < argc && parsePositive(argv[i + 1], watchdog.parentPid)) {
      ++i;
    } else if (arg == "--heartbeat" && i + 1 < argc && std::strncmp(argv[i + 1], "fd:", 3) == 0 &&
               parsePositive(argv[i + 1] + 3, watchdog.heartbeatFd)) {
      ++i;
    } else if (arg == "--shared" && i + 1 < argc) {
      shared = argv[++i];
      if (auto problem = bitbridge::sharedNameProblem(shared)) {
        std::fprintf(stderr, "%s: shared host name '%s' %s\n", argv[0], shared.c_str(),
                     problem->c_str());
        return 64;
      }
    } else if (arg == "--idle-timeout" && i + 1 < argc) {
      char* end = nullptr;
      idleMs = std::strtol(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || idleMs < 0 || idleMs > 86400000L) {
        std::fprintf(stderr, "%s: --idle-timeout wants milliseconds (0..86400000), not '%s'\n",
                     argv[0], argv[i]);
        return 64;
      }
    } else if (arg == "--transport" && i + 1 < argc &&
               (std::strcmp(argv[i + 1], "socket") == 0 || std::strcmp(argv[i + 1], "shm") == 0)) {
      // shm: RPC over shared-memory rings set up on the channel after the hello.
      transport = std::strcmp(argv[++i], "shm") == 0 ? bitbridge::Transport::SharedMemory
                                                     : bitbridge::Transport::Socket;
    } else if (arg == "--help" || arg == "-h") {
      printUsage(argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], arg.c_str());
      printUsage(argv[0]);
      return 64;
    }
  }
  // Exactly one mode; the shared-memory transport is per private channel.
  if (channel.empty() == shared.empty() ||
      (!shared.empty() && transport != bitbridge::Transport::Socket)) {
    printUsage(argv[0]);
    return 64;
  }
  // A client that vanishes mid-write must show up as EOF/EPIPE, not kill us silently.
  std::signal(SIGPIPE, SIG_IGN);

  auto logger = bitbridge::makeHostLogger();
  try {
    if (!shared.empty()) return serveShared(shared, idleMs, logger);
    auto io = kj::setupAsyncIo();
    auto stream = bitbridge::openHostChannel(channel, *io.lowLevelProvider);
    logger->debug("{} host started, {}-bit", bitbridge::archName(bitbridge::currentArch()),
                  sizeof(void*) * 8);
    return bitbridge::runHost(io, kj::mv(stream), logger, 10 * kj::SECONDS, transport, watchdog);
  } catch (const bitbridge::Error& e) {
    logger->critical("{}", e.what());
  } catch (const kj::Exception& e) {
    logger->critical("{}", bitbridge::fromKjException(e).what());
  } catch (const std::exception& e) {
    logger->critical("unexpected error: {}", e.what());
  }
  return 1;
}
