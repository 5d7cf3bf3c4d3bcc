#include "client/shared_client.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/logging.h"
#include "common/platform/runtime_dir-posix.h"
#include "common/process/child_process.h"
#include "common/transport/handshake.h"
#include "common/transport/shared_endpoint.h"
#include "wire/host_exit.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

// How much of a shared host's log goes into an error message.
constexpr size_t kLogTailBytes = 16384;  // scanned; at most 12 lines are quoted

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

// Starts `bitbridge-hostNN --shared <name>` and waits until the process it started has exited:
// 0 means the detached host listens. Its output reaches our log like a private host's.
void startSharedHost(Runtime& runtime, const SharedHostRequest& request,
                     std::chrono::milliseconds limit) {
  std::string name = hostExecutableName(request.arch);
  auto pidForLog = std::make_shared<std::atomic<int>>(0);
  SpawnRequest spawn;
  spawn.executable = request.executable;
  spawn.arguments = {host_flags::kShared, request.name, host_flags::kIdleTimeout,
                     std::to_string(request.idleTimeout.count())};
  spawn.arguments.insert(spawn.arguments.end(), request.limitArguments.begin(),
                         request.limitArguments.end());
  spawn.onOutputLine = [logger = runtime.logger(), pidForLog, name](const std::string& line) {
    auto [level, message] = parseHostLogLine(line);
    logger->log(level, "[{} pid {}] {}", name, pidForLog->load(), message);
  };
  auto process = ChildProcess::spawn(spawn);
  pidForLog->store(process->pid());
  std::string what = name + " --shared " + request.name + " (pid " +
                     std::to_string(process->pid()) + ")";
  runtime.logger()->debug("started {}", what);
  std::optional<ExitStatus> status = process->waitFor(limit);
  if (!status) {
    process->kill();
    std::string tail = process->outputTail();
    throw Error(ErrorKind::TimedOut,
                what + " was not listening within " + std::to_string(limit.count()) + " ms" +
                    (tail.empty() ? "" : "; last host output:\n" + tail),
                "the machine may be overloaded; raise HostOptions::startTimeout");
  }
  if (status->signaled || status->code != 0) {
    std::string tail = process->outputTail();
    // 3: it could not set up its endpoint; 64: it did not understand us. Both are settings.
    bool configuration = !status->signaled && isConfigurationExit(status->code);
    throw Error(configuration ? ErrorKind::BadConfiguration : ErrorKind::Disconnected,
                what + " " + status->describe(" before it was listening") +
                    (tail.empty() ? "" : "; last host output:\n" + tail));
  }
}

}  // namespace

SharedHostConnection connectSharedHost(Runtime& runtime, const SharedHostRequest& request) {
  requireValidSharedName(request.name);
  auto deadline = Clock::now() + request.startTimeout;
  std::string hostName = hostExecutableName(request.arch);
  SharedEndpointPaths paths = sharedEndpointPaths(
      ensureRuntimeDirectory(), sharedEndpointName(request.name, request.arch));

  StartLock lock = StartLock::acquire(paths.lock, request.startTimeout);
  std::optional<kj::AutoCloseFd> fd = connectSharedSocket(paths.socket);
  if (!fd) {
    startSharedHost(runtime, request, remaining(deadline));
    fd = connectSharedSocket(paths.socket);
    if (!fd) {
      throw Error(ErrorKind::Disconnected,
                  hostName + " --shared " + request.name + " said it was listening, but " +
                      paths.socket + " takes no connection",
                  "see the host's log " + paths.log);
    }
  }

  // The directory is private, so only this user (or root) could have put a listener there;
  // checked anyway, as the client's half of the mutual check.
  PeerCredential peer = peerCredential(fd->get());
  if (auto reason = refusalReason(peer, currentUserId())) {
    throw Error(ErrorKind::BadConfiguration,
                "refusing the shared host listening on " + paths.socket + ": " + *reason,
                "remove that socket and check who can write to " + paths.socket);
  }
  SharedHostConnection connection;
  connection.pid = peer.pid;
  connection.logPath = paths.log;
  connection.label = "shared " + hostName + " '" + request.name + "' (pid " +
                     std::to_string(peer.pid) + ")";
  connection.stream = runtime.io().lowLevelProvider->wrapSocketFd(
      fd->release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                         kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC |
                         kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK);
  try {
    auto timeout = remaining(deadline).count() * kj::MILLISECONDS;
    WireHello hello = exchangeHello(*connection.stream, runtime.io().provider->getTimer(),
                                    HelloRole::Client, connection.label, timeout)
                          .wait(runtime.waitScope());
    if (hello.pid != peer.pid || hello.arch != static_cast<uint8_t>(request.arch)) {
      throw Error(ErrorKind::MalformedPeer,
                  connection.label + " answered as pid " + std::to_string(hello.pid) +
                      ", arch " + std::to_string(hello.arch) +
                      ": not the process listening on " + paths.socket);
    }
  } catch (const kj::Exception& e) {
    std::string tail = trimLogTailForError(readFileTail(paths.log, kLogTailBytes));
    throw fromKjException(e, connection.label +
                                 (tail.empty() ? "" : "; last lines of " + paths.log + ":\n" + tail));
  }
  runtime.logger()->debug("connected to {}", connection.label);
  return connection;  // the start lock is released here, after the hello
}

}  // namespace bitbridge
