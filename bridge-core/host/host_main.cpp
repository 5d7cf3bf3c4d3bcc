// main() of bitbridge-host32 and bitbridge-host64: the same source compiled for each bitness.
//
// Started by the client library (Host::spawn) with its channel inherited on a descriptor:
//   bitbridge-host32 --channel fd:3 [--transport socket|shm] [--parent <pid>] [--heartbeat fd:4]
// It greets the client, serves the Host interface, and exits when the client asks or goes
// away (channel EOF, or --parent no longer being its parent: see host_watchdog.h), so a host
// never outlives its client. --heartbeat names the socket its watchdog thread answers on.
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
#include "host_service.h"
#include "logging.h"

namespace {

void printUsage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --channel <spec> [--transport socket|shm] [--parent <pid>] "
               "[--heartbeat fd:<n>]\n"
               "A bitbridge host (%u-bit). Hosts are started by the bitbridge client library;\n"
               "see docs/getting-started.md.\n",
               argv0, static_cast<unsigned>(sizeof(void*) * 8));
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
  if (channel.empty()) {
    printUsage(argv[0]);
    return 64;
  }
  // A client that vanishes mid-write must show up as EOF/EPIPE, not kill us silently.
  std::signal(SIGPIPE, SIG_IGN);

  auto logger = bitbridge::makeHostLogger();
  try {
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
