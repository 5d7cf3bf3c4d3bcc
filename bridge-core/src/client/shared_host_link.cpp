// A shared host (Host::connectShared): found by name in the user's runtime directory and started
// if none runs (shared_client.h). It serves other clients too, so this client never stops,
// kills or watches it as its own: it is not our child, and its log file has its last words.
#include "bitbridge/error.h"
#include "client/host_process.h"
#include "client/host_selection.h"
#include "client/shared_client.h"
#include "common/transport/shared_endpoint.h"

namespace bitbridge {
namespace {

// How much of a shared host's log a disconnection message looks through for the host's own last
// words (at most 12 lines are quoted: trimLogTailForError).
constexpr size_t kSharedLogScan = 64 * 1024;
// How much of a shared host's log logTail() shows.
constexpr size_t kSharedLogTail = 4096;

class SharedHostLink final : public HostProcess {
 public:
  SharedHostLink(Runtime& runtime, Arch arch, SharedHostConnection connection)
      : HostProcess(runtime, arch), pid_(connection.pid), log_(std::move(connection.logPath)) {
    label_ = std::move(connection.label);
    stream_ = kj::mv(connection.stream);
  }

  uint32_t pid() const override { return pid_; }
  std::string logTail() const override { return readFileTail(log_, kSharedLogTail); }
  bool ownedByThisClient() const override { return false; }

  // Other clients' comings and goings are left out: they would crowd out the host's last words
  // about this connection.
  std::string disconnectContext(const std::string& situation) const override {
    std::string context = label_ + " closed the connection" + situation;
    std::string tail = trimLogTailForError(readFileTail(log_, kSharedLogScan));
    if (!tail.empty()) context += "; last lines of " + log_ + ":\n" + tail;
    return context;
  }

  // Found by name again, and started anew if it is gone.
  std::unique_ptr<HostProcess> startAgain(Runtime& runtime,
                                          HostOptions& options) const override {
    return connectToSharedHost(runtime, options);
  }

 private:
  uint32_t pid_;
  std::string log_;
};

}  // namespace

std::unique_ptr<HostProcess> connectToSharedHost(Runtime& runtime, HostOptions& options) {
  if (options.sharedName.empty()) {
    throw Error(ErrorKind::BadConfiguration, "Host::connectShared needs HostOptions::sharedName",
                "give the name all clients of that shared host use (e.g. \"counter\"), or "
                "use Host::spawn for a private host");
  }
  requireSocketTransport(options, "shared hosts");
  if (options.onCallTimeout == OnCallTimeout::KillHost) {
    throw Error(ErrorKind::BadConfiguration,
                "a shared host serves other clients and cannot be killed when a call of this "
                "client times out (HostOptions::onCallTimeout = OnCallTimeout::KillHost)",
                "leave HostOptions::onCallTimeout at OnCallTimeout::LeaveHostRunning for shared "
                "hosts, or use a private host (Host::spawn)");
  }
  HostSelection selection = selectHost(options);  // the same choice as spawn's
  SharedHostRequest request;
  request.name = options.sharedName;
  request.arch = selection.arch;
  request.executable = selection.executable;
  request.idleTimeout = options.idleTimeout;
  request.startTimeout = options.startTimeout;
  request.limitArguments = limitArguments(options, /*shared=*/true);
  return std::make_unique<SharedHostLink>(runtime, selection.arch,
                                          connectSharedHost(runtime, request));
}

}  // namespace bitbridge
