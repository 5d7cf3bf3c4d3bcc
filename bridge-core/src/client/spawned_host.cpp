// A private host (Host::spawn): a child process of the right bitness started by this client,
// reached through a private channel, watched through its process handle and its heartbeat.
#include <atomic>
#include <chrono>

#include <kj/async-io.h>
#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "client/heartbeat_monitor.h"
#include "client/host_locator.h"
#include "client/host_process.h"
#include "client/host_selection.h"
#include "common/fresh_timer.h"
#include "common/logging.h"
#include "common/process/child_process.h"
#include "common/transport/channel.h"
#include "common/transport/shm_stream.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

// How long a host gets to exit by itself once its channel is closed before it is killed.
constexpr auto kExitGrace = std::chrono::milliseconds(100);
// How long a graceful shutdown (Host::shutdown) waits for the host to leave.
constexpr auto kGracefulExit = std::chrono::seconds(2);

class SpawnedHost final : public HostProcess {
 public:
  SpawnedHost(Runtime& runtime, Arch arch) : HostProcess(runtime, arch) {}

  void start(const HostOptions& options, const std::string& executable);

  uint32_t pid() const override { return static_cast<uint32_t>(process_->pid()); }
  std::string logTail() const override { return process_->outputTail(); }
  bool ownedByThisClient() const override { return true; }

  std::string disconnectContext(const std::string& situation) const override {
    std::string context = describeEnd(*process_, situation);
    std::string tail = process_->outputTail();
    if (!tail.empty()) context += "; last host output:\n" + tail;
    return context;
  }

  // The moment the host exits it is reaped (no zombie, status known) and the channel is cut, so
  // every pending call on every capability fails at once even if something else still holds
  // the host's end of the channel open. The heartbeat, once RPC runs: the host is ours and
  // answering by then.
  void watch(HostDeathReport report) override {
    exitWatch_ = whenExited(*process_, [this, exited = report.exited]() {
      if (cutter_) cutter_->cut();
      exited();
    });
    if (heartbeatStream_) {
      heartbeat_ = kj::heap<HeartbeatMonitor>(kj::mv(heartbeatStream_),
                                              runtime_.io().provider->getTimer(),
                                              heartbeatSettings_, kj::mv(report.hung));
    }
  }

  void kill() override {
    process_->kill();
    if (cutter_) cutter_->cut();
  }

  void release() override {
    heartbeat_ = nullptr;
    heartbeatStream_ = nullptr;
    exitWatch_ = nullptr;
    cutter_ = nullptr;  // its duplicate would keep the host from seeing EOF
  }

  void awaitExit(bool graceful) override {
    if (!process_->waitFor(graceful ? std::chrono::milliseconds(kGracefulExit) : kExitGrace)) {
      runtime_.logger()->warn("{} did not exit; killing it", label_);
      process_->kill();
    }
  }

  // In the order HostOptions::startOrder says, as the first start was.
  std::unique_ptr<HostProcess> startAgain(Runtime& runtime,
                                          HostOptions& options) const override {
    return startPrivateHost(runtime, options);
  }

 private:
  std::unique_ptr<ChildProcess> process_;
  kj::Own<ChannelCutter> cutter_;  // fails every pending call at once (see channel.h)
  kj::Own<kj::AsyncIoStream> heartbeatStream_;  // until watch() hands it to the monitor
  HeartbeatSettings heartbeatSettings_;
  kj::Own<HeartbeatMonitor> heartbeat_;
  kj::Promise<void> exitWatch_ = nullptr;
};

void SpawnedHost::start(const HostOptions& options, const std::string& executable) {
  auto& runtime = runtime_;
  // Spawn with the child end of a private channel (and of the heartbeat socket); forward its
  // output to our log.
  auto channel = makePrivateChannel(kHostChannelFd);
  kj::Own<PrivateChannel> heartbeatChannel;
  auto pidForLog = std::make_shared<std::atomic<int>>(0);
  SpawnRequest request;
  request.executable = executable;
  // --parent: the host's watchdog ends it when this process is gone (see host_watchdog.h).
  request.arguments = {host_flags::kChannel, channel->hostSpec(), host_flags::kParent,
                       std::to_string(currentProcessId())};
  if (options.heartbeatInterval.count() > 0) {
    heartbeatChannel = makePrivateChannel(kHostHeartbeatFd);
    request.heartbeatHandle = heartbeatChannel->childHandle();
    request.arguments.push_back(host_flags::kHeartbeat);
    request.arguments.push_back(heartbeatChannel->hostSpec());
  }
  if (options.transport != Transport::Socket) {
    request.arguments.push_back(host_flags::kTransport);
    request.arguments.push_back(transportName(options.transport));
  }
  for (auto& argument : limitArguments(options, /*shared=*/false)) {
    request.arguments.push_back(std::move(argument));
  }
  request.channelHandle = channel->childHandle();
  request.onOutputLine = forwardHostLine(runtime.logger(), hostExecutableName(arch_), pidForLog);
  try {
    process_ = ChildProcess::spawn(request);
  } catch (const Error& e) {  // no process: missing, or refused by the system (policy, format)
    throw HostNotStarted{e};
  }
  pidForLog->store(process_->pid());
  label_ = hostExecutableName(arch_) + " (pid " + std::to_string(process_->pid()) + ")";
  runtime.logger()->debug("started {}", label_);
  cutter_ = channel->makeCutter();

  // Handshake within the start timeout. The peer must be the very process we started.
  startStep([&] {
    stream_ = channel->connect(runtime.io(), *process_, options.startTimeout);
    auto timeout = options.startTimeout.count() * kj::MILLISECONDS;
    greet(static_cast<uint32_t>(process_->pid()), timeout, "the host that was started");
    if (options.transport == Transport::SharedMemory) {
      // Hand the host the rings (over the socket, which stays open as their control channel:
      // its EOF is still how a crash shows up). Also within the start timeout.
      auto& io = runtime.io();
      auto control = toControlChannel(kj::mv(stream_), *io.lowLevelProvider);
      stream_ = offerShmChannel(eventPortOf(io), kj::mv(control))
                    .exclusiveJoin(deadlineFromNow(io.provider->getTimer(), timeout).then(
                        [label = label_]() -> kj::Own<kj::AsyncIoStream> {
                          throwAsKj(Error(ErrorKind::TimedOut,
                                          label + " did not accept the shared-memory channel "
                                                  "in time"));
                        }))
                    .wait(runtime.waitScope());
    }
    if (heartbeatChannel) {
      heartbeatStream_ = heartbeatChannel->connect(runtime.io(), *process_, options.startTimeout);
      heartbeatSettings_ = {options.heartbeatInterval, options.heartbeatTimeout,
                            options.hangTimeout};
    }
  });
}

}  // namespace

std::unique_ptr<HostProcess> spawnHostProcess(Runtime& runtime, const HostOptions& options,
                                              Arch arch) {
  if (options.transport == Transport::SharedMemory) requireShmTransport();  // before a spawn
  // The executable of the chosen host, its header checked (host_selection.h). Not there, or
  // not a host: nothing started, so an order may try COM.
  std::string executable;
  try {
    executable = selectHostExecutable(arch, options);
  } catch (const Error& e) {
    throw HostNotStarted{e};
  }
  auto host = std::make_unique<SpawnedHost>(runtime, arch);
  host->start(options, executable);
  return host;
}

}  // namespace bitbridge
