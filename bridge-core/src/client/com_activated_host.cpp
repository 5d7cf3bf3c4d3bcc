// A host started by COM (Host::activateCom, or a StartOrder's fallback): COM's service control
// manager starts the registered LocalServer32 (bitbridge-host32/64.exe -Embedding); the client
// reaches it through the pipes its activated object names (com_activation.h). It is supervised
// like a spawned host: watched through its process handle, its stderr read over its log pipe
// (forwarded to our log, in logTail() and error messages), its watchdog pinged over its
// heartbeat pipe (hang timeout included), killed when it hangs, and on a restart started again
// in the order HostOptions::startOrder says.
#include <algorithm>
#include <atomic>
#include <chrono>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "client/com_activation.h"
#include "client/heartbeat_monitor.h"
#include "client/host_process.h"
#include "common/process/child_process.h"

namespace bitbridge {
namespace {

// A COM host exits by itself once its pipe closes, but also has COM's release to finish: it
// always gets this long before it is killed.
constexpr auto kComExitGrace = std::chrono::seconds(2);

class ComActivatedHost final : public HostProcess {
 public:
  ComActivatedHost(Runtime& runtime, Arch arch) : HostProcess(runtime, arch) {}

  void start(const HostOptions& options);

  uint32_t pid() const override { return pid_; }
  std::string logTail() const override { return process_ ? process_->outputTail() : ""; }
  // Ours to kill where we could open its process (not where the platform would not let us).
  bool ownedByThisClient() const override { return process_ != nullptr; }

  std::string disconnectContext(const std::string& situation) const override {
    if (!process_) return label_ + " closed its channel" + situation;
    std::string context = describeEnd(*process_, situation);
    std::string tail = process_->outputTail();
    if (!tail.empty()) context += "; last host output:\n" + tail;
    return context;
  }

  // Seen at once, with its exit status, where the platform lets us open the process (its pipe
  // fails by itself when it dies). The heartbeat, once RPC runs, as for a spawned host.
  void watch(HostDeathReport report) override {
    if (process_) exitWatch_ = whenExited(*process_, report.exited);
    if (heartbeatStream_) {
      heartbeat_ = kj::heap<HeartbeatMonitor>(kj::mv(heartbeatStream_),
                                              runtime_.io().provider->getTimer(),
                                              heartbeatSettings_, kj::mv(report.hung));
    }
  }

  void kill() override {
    if (process_) process_->kill();  // (its pipe fails by itself when it dies)
  }

  // The object goes while the host still serves: the host exits once the pipe closes, and a
  // release arriving as it exits would only meet a dying process.
  void release() override {
    heartbeat_ = nullptr;
    heartbeatStream_ = nullptr;
    exitWatch_ = nullptr;
    comObject_ = nullptr;
  }

  void awaitExit(bool) override {
    if (process_ && !process_->waitFor(std::chrono::milliseconds(kComExitGrace))) {
      runtime_.logger()->warn("{} did not exit; killing it", label_);
      process_->kill();
    }
  }

  // In the order HostOptions::startOrder says (Host::activateCom made it ComOnly).
  std::unique_ptr<HostProcess> startAgain(Runtime& runtime,
                                          HostOptions& options) const override {
    return startPrivateHost(runtime, options);
  }

 private:
  uint32_t pid_ = 0;
  std::unique_ptr<ChildProcess> process_;  // null where the process cannot be opened
  // The activated object, released just before the pipe is closed; the pipe, not this object,
  // is what keeps the host alive.
  std::shared_ptr<void> comObject_;
  kj::Own<kj::AsyncIoStream> heartbeatStream_;  // until watch() hands it to the monitor
  HeartbeatSettings heartbeatSettings_;
  kj::Own<HeartbeatMonitor> heartbeat_;
  kj::Promise<void> exitWatch_ = nullptr;
};

void ComActivatedHost::start(const HostOptions& options) {
  // Activation, pipes, hello and heartbeat, all within the start timeout.
  const auto started = std::chrono::steady_clock::now();
  auto left = [&] {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                        options.startTimeout - (std::chrono::steady_clock::now() - started)),
                    std::chrono::milliseconds(100));
  };
  ComEndpoint endpoint;
  try {
    endpoint = activateComHost(arch_, options.startTimeout);
  } catch (const Error& e) {  // not registered, not startable, not answering: no host to serve
    throw HostNotStarted{e};
  }
  pid_ = endpoint.pid;
  comObject_ = endpoint.keepAlive;
  ComHostConnection connection =
      connectComHost(runtime_.io(), arch_, endpoint, left(),
                     forwardHostLine(runtime_.logger(), hostExecutableName(arch_),
                                     std::make_shared<std::atomic<int>>(pid_)));
  label_ = connection.label;
  process_ = std::move(connection.process);
  stream_ = kj::mv(connection.stream);
  startStep([&] {
    greet(pid_, left().count() * kj::MILLISECONDS, "the host COM activated");
    if (options.heartbeatInterval.count() > 0) {
      heartbeatStream_ = connectComHeartbeat(runtime_.io(), endpoint, left(), label_);
      heartbeatSettings_ = {options.heartbeatInterval, options.heartbeatTimeout,
                            options.hangTimeout};
    }
  });
}

}  // namespace

std::unique_ptr<HostProcess> activateHostThroughCom(Runtime& runtime, const HostOptions& options,
                                                    Arch arch) {
  requireSocketTransport(options, "COM-activated hosts");
  auto host = std::make_unique<ComActivatedHost>(runtime, arch);
  host->start(options);
  return host;
}

}  // namespace bitbridge
