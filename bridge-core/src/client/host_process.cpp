// What the kinds of host share: the hello check, start-up steps that let the host go on failure,
// and the command-line arguments for the connection limits.
#include "client/host_process.h"

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/logging.h"
#include "common/process/child_process.h"
#include "common/transport/handshake.h"
#include "wire/host_flags.h"

namespace bitbridge {

const char* transportName(Transport transport) {
  return transport == Transport::SharedMemory ? host_flags::kTransportShm
                                             : host_flags::kTransportSocket;
}

std::vector<std::string> limitArguments(const HostOptions& options, bool shared) {
  const HostOptions defaults;
  std::vector<std::string> out;
  auto add = [&](const char* flag, uint64_t value, uint64_t byDefault) {
    if (shared || value != byDefault) {
      out.push_back(flag);
      out.push_back(std::to_string(value));
    }
  };
  add(host_flags::kMaxMessageBytes, options.maxMessageBytes, defaults.maxMessageBytes);
  add(host_flags::kMaxQueuedBytes, options.maxQueuedBytes, defaults.maxQueuedBytes);
  add(host_flags::kMaxCallBytes, options.maxCallBytesInFlight, defaults.maxCallBytesInFlight);
  if (shared) {
    add(host_flags::kMaxConnections, options.sharedMaxConnections, 0);
    add(host_flags::kMaxConnectionsPerClient, options.sharedMaxConnectionsPerClient, 0);
    add(host_flags::kHelloTimeout, static_cast<uint64_t>(options.sharedHelloTimeout.count()), 0);
    add(host_flags::kStallTimeout, static_cast<uint64_t>(options.sharedStallTimeout.count()), 0);
  }
  return out;
}

std::function<void(const std::string&)> forwardHostLine(std::shared_ptr<spdlog::logger> logger,
                                                        std::string name,
                                                        std::shared_ptr<std::atomic<int>> pid) {
  return [logger = std::move(logger), name = std::move(name),
          pid = std::move(pid)](const std::string& line) {
    auto [level, message] = parseHostLogLine(line);
    logger->log(level, "[{} pid {}] {}", name, pid->load(), message);
  };
}

void requireSocketTransport(const HostOptions& options, const std::string& which) {
  if (options.transport == Transport::Socket) return;
  throw Error(ErrorKind::BadConfiguration,
              which + " serve RPC over their channel only, not over \"" +
                  transportName(options.transport) + "\"",
              "leave HostOptions::transport at Transport::Socket, or use a private host "
              "(Host::spawn) for the shared-memory transport");
}

void HostProcess::greet(uint32_t pid, kj::Duration timeout, const char* expected) {
  WireHello hello = exchangeHello(*stream_, runtime_.io().provider->getTimer(), HelloRole::Client,
                                  label_, timeout)
                        .wait(runtime_.waitScope());
  if (hello.pid != pid || hello.arch != static_cast<uint8_t>(arch_)) {
    throw Error(ErrorKind::MalformedPeer, label_ + " answered as pid " + std::to_string(hello.pid) +
                                              ", arch " + std::to_string(hello.arch) + ": not " +
                                              expected);
  }
}

kj::Promise<void> HostProcess::whenExited(ChildProcess& process, std::function<void()> then) {
  return whenProcessExits(runtime_.io(), process)
      .then([this, &process, then = std::move(then)]() {
        if (auto status = process.waitFor(std::chrono::milliseconds(0))) {
          runtime_.logger()->debug("{} {}", label_, status->describe());
        }
        then();
      })
      .eagerlyEvaluate(nullptr);
}

void HostProcess::startStep(const std::function<void()>& step) {
  try {
    step();
  } catch (const kj::Exception& e) {
    Error error = fromKjException(e, disconnectContext(""));
    release();
    stream_ = nullptr;
    awaitExit(false);
    throw error;
  } catch (const Error&) {  // e.g. the host exited first, or is not the one we started
    release();
    stream_ = nullptr;
    awaitExit(false);
    throw;
  }
}

std::string HostProcess::describeEnd(ChildProcess& process, const std::string& situation) const {
  // How long a disconnected host's exit status is waited for, to put it in the error message.
  constexpr auto kStatusWait = std::chrono::milliseconds(250);
  if (auto status = process.waitFor(kStatusWait)) return label_ + " " + status->describe(situation);
  return label_ + " closed its channel but is still running" + situation;
}

}  // namespace bitbridge
