// A host started by COM (Host::activateCom): COM's service control manager starts the
// registered LocalServer32 (bitbridge-host32/64.exe -Embedding); the client reaches it through
// the private pipe its activated object names (com_activation.h). It is ours like a spawned
// host: watched through its process handle where the platform allows, killed when it hangs, and
// on a restart activated again through COM (not spawned).
#include <algorithm>
#include <chrono>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "client/com_activation.h"
#include "client/host_process.h"
#include "client/host_selection.h"
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
    return describeEnd(*process_, situation);
  }

  // Seen at once, with its exit status, where the platform lets us open the process.
  void watch(HostDeathReport report) override {
    if (!process_) return;
    exitWatch_ = whenExited(*process_, report.exited);  // (its pipe fails by itself)
  }

  void kill() override {
    if (process_) process_->kill();  // (its pipe fails by itself when it dies)
  }

  // The object goes while the host still serves: the host exits once the pipe closes, and a
  // release arriving as it exits would only meet a dying process.
  void release() override {
    exitWatch_ = nullptr;
    comObject_ = nullptr;
  }

  void awaitExit(bool) override {
    if (process_ && !process_->waitFor(std::chrono::milliseconds(kComExitGrace))) {
      runtime_.logger()->warn("{} did not exit; killing it", label_);
      process_->kill();
    }
  }

  std::unique_ptr<HostProcess> startAgain(Runtime& runtime,
                                          HostOptions& options) const override {
    return activateHostThroughCom(runtime, options);
  }

 private:
  uint32_t pid_ = 0;
  std::unique_ptr<ChildProcess> process_;  // null where the process cannot be opened
  // The activated object, released just before the pipe is closed; the pipe, not this object,
  // is what keeps the host alive.
  std::shared_ptr<void> comObject_;
  kj::Promise<void> exitWatch_ = nullptr;
};

void ComActivatedHost::start(const HostOptions& options) {
  // Activation and pipe (com_activation.h), then the hello, all within the start timeout.
  const auto started = std::chrono::steady_clock::now();
  ComHostConnection connection = connectComHost(runtime_.io(), arch_, options.startTimeout);
  label_ = connection.label;
  pid_ = connection.endpoint.pid;
  process_ = ChildProcess::open(static_cast<int>(pid_));
  comObject_ = std::move(connection.endpoint.keepAlive);
  stream_ = kj::mv(connection.stream);
  startStep([&] {
    auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                             options.startTimeout - (std::chrono::steady_clock::now() - started)),
                         std::chrono::milliseconds(100));
    greet(pid_, left.count() * kj::MILLISECONDS, "the host COM activated");
  });
}

}  // namespace

std::unique_ptr<HostProcess> activateHostThroughCom(Runtime& runtime, HostOptions& options) {
  requireSocketTransport(options, "COM-activated hosts");
  // The same choice as spawn's; COM knows the executable.
  auto host = std::make_unique<ComActivatedHost>(runtime, selectHostArch(options));
  host->start(options);
  return host;
}

}  // namespace bitbridge
