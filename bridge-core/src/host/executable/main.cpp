// main() of bitbridge-host32 and bitbridge-host64: the same source compiled for each bitness.
//
// A private host is started by the client library (Host::spawn) with its channel inherited on
// a descriptor:
//   bitbridge-host32 --channel fd:3 [--transport socket|shm] [--parent <pid>] [--heartbeat fd:4]
// (on Windows the channel and heartbeat are named pipes this host creates: --channel pipe:<name>)
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
// On Windows it serves the per-user named pipe \\.\pipe\bitbridge-<user SID>-<name>-x86
// instead, started detached by that client with its output in its log file (shared_host-win32.h).
//
// Windows only: --regserver / --unregserver [--per-user] register the host as a COM LocalServer,
// and COM starts it with -Embedding (host_platform-win32.cpp, com_server-win32.cpp).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <cstdlib>
#include <cstring>
#include <string>

#include <kj/async-io.h>
#include <spdlog/logger.h>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"
#include "common/logging.h"
#include "common/process/exit_announcement.h"
#include "common/transport/channel.h"
#include "common/transport/shared_endpoint.h"
#include "host/executable/host_platform.h"
#include "host/host_service.h"
#include "wire/host_exit.h"
#include "wire/host_flags.h"

namespace {

void printUsage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --channel <spec> [--transport socket|shm] [--parent <pid>] "
               "[--heartbeat <spec>] [<bounds>]\n"
               "       %s --shared <name> [--idle-timeout <ms>] [--hello-timeout <ms>] "
               "[--stall-timeout <ms>]\n"
               "           [--max-connections <n>] [--max-connections-per-client <n>] "
               "[<bounds>]\n"
               "bounds: [--max-message-bytes <n>] [--max-queued-bytes <n>] "
               "[--max-call-bytes <n>]\n"
               "A bitbridge host (%u-bit). Hosts are started by the bitbridge client library;\n"
               "see docs/getting-started.md.\n",
               argv0, argv0, static_cast<unsigned>(sizeof(void*) * 8));
}

// A number in [minimum, maximum] (decimal), or false.
bool parseNumber(const char* text, uint64_t minimum, uint64_t maximum, uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || text[0] == '-' || value < minimum ||
      value > maximum) {
    return false;
  }
  out = value;
  return true;
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
  // First: from here on, every way this process exits by itself is told apart from being
  // terminated (Windows; see exit_announcement.h).
  bitbridge::announceOwnExit();
  if (auto status = bitbridge::runPlatformCommand(argc, argv)) return *status;
  std::string channel;
  std::string shared;
  long idleMs = 5000;
  bitbridge::Transport transport = bitbridge::Transport::Socket;
  bitbridge::HostWatchdogSettings watchdog;
  // Per-connection bounds (HostOptions; both modes) and the shared mode's limits. The client
  // library passes what its HostOptions say.
  bitbridge::SharedHostConfig sharedConfig;
  bitbridge::ConnectionLimits limits;  // a private host: no stall timeout
  struct NumberOption {
    const char* flag;
    uint64_t minimum, maximum;
    std::function<void(uint64_t)> set;
  };
  const uint64_t kDay = 86400000;
  const NumberOption numbers[] = {
      {bitbridge::host_flags::kMaxMessageBytes, 4096, uint64_t{4} << 30,
       [&](uint64_t v) { limits.maxMessageBytes = v; }},
      {bitbridge::host_flags::kMaxQueuedBytes, 4096, uint64_t{4} << 30,
       [&](uint64_t v) { limits.maxQueuedBytes = v; }},
      {bitbridge::host_flags::kMaxCallBytes, 4096, uint64_t{4} << 30,
       [&](uint64_t v) { limits.maxCallBytesInFlight = v; }},
      {bitbridge::host_flags::kStallTimeout, 1, kDay,
       [&](uint64_t v) { sharedConfig.limits.stallTimeout = v * kj::MILLISECONDS; }},
      {bitbridge::host_flags::kHelloTimeout, 1, kDay,
       [&](uint64_t v) { sharedConfig.helloTimeout = v * kj::MILLISECONDS; }},
      {bitbridge::host_flags::kMaxConnections, 1, 1000000,
       [&](uint64_t v) { sharedConfig.maxConnections = static_cast<uint32_t>(v); }},
      {bitbridge::host_flags::kMaxConnectionsPerClient, 1, 1000000,
       [&](uint64_t v) { sharedConfig.maxConnectionsPerClient = static_cast<uint32_t>(v); }},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const NumberOption* number = nullptr;
    for (const auto& option : numbers) {
      if (arg == option.flag) number = &option;
    }
    if (number != nullptr) {
      uint64_t value = 0;
      if (i + 1 >= argc || !parseNumber(argv[i + 1], number->minimum, number->maximum, value)) {
        std::fprintf(stderr, "%s: %s wants a number in %llu..%llu\n", argv[0], number->flag,
                     static_cast<unsigned long long>(number->minimum),
                     static_cast<unsigned long long>(number->maximum));
        return exitCode(bitbridge::HostExit::Usage);
      }
      number->set(value);
      ++i;
    } else if (arg == bitbridge::host_flags::kChannel && i + 1 < argc) {
      channel = argv[++i];
    } else if (arg == bitbridge::host_flags::kParent && i + 1 < argc && parsePositive(argv[i + 1], watchdog.parentPid)) {
      ++i;
    } else if (arg == bitbridge::host_flags::kHeartbeat && i + 1 < argc) {
      watchdog.heartbeat = argv[++i];  // checked by the platform's watchdog
    } else if (arg == bitbridge::host_flags::kShared && i + 1 < argc) {
      shared = argv[++i];
      if (auto problem = bitbridge::sharedNameProblem(shared)) {
        std::fprintf(stderr, "%s: shared host name '%s' %s\n", argv[0], shared.c_str(),
                     problem->c_str());
        return exitCode(bitbridge::HostExit::Usage);
      }
    } else if (arg == bitbridge::host_flags::kIdleTimeout && i + 1 < argc) {
      char* end = nullptr;
      idleMs = std::strtol(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || idleMs < 0 || idleMs > 86400000L) {
        std::fprintf(stderr, "%s: --idle-timeout wants milliseconds (0..86400000), not '%s'\n",
                     argv[0], argv[i]);
        return exitCode(bitbridge::HostExit::Usage);
      }
    } else if (arg == bitbridge::host_flags::kTransport && i + 1 < argc &&
               (std::strcmp(argv[i + 1], bitbridge::host_flags::kTransportSocket) == 0 ||
                std::strcmp(argv[i + 1], bitbridge::host_flags::kTransportShm) == 0)) {
      // shm: RPC over shared-memory rings set up on the channel after the hello.
      transport = std::strcmp(argv[++i], bitbridge::host_flags::kTransportShm) == 0 ? bitbridge::Transport::SharedMemory
                                                     : bitbridge::Transport::Socket;
    } else if (arg == "--help" || arg == "-h") {
      printUsage(argv[0]);
      return exitCode(bitbridge::HostExit::Ok);
    } else {
      std::fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], arg.c_str());
      printUsage(argv[0]);
      return exitCode(bitbridge::HostExit::Usage);
    }
  }
  // Exactly one mode; the shared-memory transport is per private channel.
  if (channel.empty() == shared.empty() ||
      (!shared.empty() && transport != bitbridge::Transport::Socket)) {
    printUsage(argv[0]);
    return exitCode(bitbridge::HostExit::Usage);
  }
  bitbridge::preparePlatform();

  auto logger = bitbridge::makeHostLogger();
  try {
    if (!shared.empty()) {
      sharedConfig.idleTimeout = idleMs * kj::MILLISECONDS;
      kj::Duration stall = sharedConfig.limits.stallTimeout;
      sharedConfig.limits = limits;
      sharedConfig.limits.stallTimeout = stall;
      return bitbridge::serveShared(shared, sharedConfig, logger);
    }
    auto io = kj::setupAsyncIo();
    auto stream = bitbridge::openHostChannel(channel, io);
    logger->debug("{} host started, {}-bit", bitbridge::archName(bitbridge::currentArch()),
                  sizeof(void*) * 8);
    return bitbridge::runHost(io, kj::mv(stream), logger, 10 * kj::SECONDS, transport, watchdog,
                              limits);
  } catch (const bitbridge::Error& e) {
    logger->critical("{}", e.what());
  } catch (const kj::Exception& e) {
    logger->critical("{}", bitbridge::fromKjException(e).what());
  } catch (const std::exception& e) {
    logger->critical("unexpected error: {}", e.what());
  }
  return exitCode(bitbridge::HostExit::Failed);
}
