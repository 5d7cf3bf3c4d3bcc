// One kind of host, as the client reaches it: how it is started (and started again for a
// restart), which process it is, its last words, how its death shows, and how it is let go.
//
// Three kinds, one file each:
//   spawned_host.cpp        a private child process (Host::spawn): the client owns it, watches
//                           its exit and its heartbeat, and kills it when it hangs
//   shared_host_link.cpp    a shared host found by name (Host::connectShared): serves others, so
//                           never killed or stopped by this client; its log file has its words
//   com_activated_host.cpp  a host COM activated (Host::activateCom, or a StartOrder's
//                           fallback): ours like a spawned one, heartbeat and log included
// start_order.cpp picks between the two private kinds (HostOptions::startOrder).
// Host (host.cpp) keeps what every kind shares: RPC over the stream, waits and deadlines, the
// restart policy. Each kind's factory refuses the options it does not support before anything
// starts.
//
// Thread: the Runtime's thread only. Lifetime: owned by Host::Impl; the death report's callbacks
// refer to that Impl, which outlives the HostProcess (it is destroyed first, in Impl::stop).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <kj/async-io.h>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"
#include "bitbridge/host.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

class ChildProcess;

/// What a kind tells its Host when the host's death is seen (on the Runtime's thread).
struct HostDeathReport {
  std::function<void()> exited;                   ///< the process is gone; the channel is cut
  std::function<void(std::string verdict)> hung;  ///< the heartbeat says it stopped answering
};

class HostProcess {
 public:
  virtual ~HostProcess() = default;
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  /// "bitbridge-host32 (pid 123)", "shared bitbridge-host32 'counter' (pid 123)", ...
  const std::string& label() const { return label_; }
  Arch arch() const { return arch_; }
  /// The channel to the host, hello exchanged (and the shared-memory rings set up, if asked).
  /// Host runs RPC over it; called once.
  kj::Own<kj::AsyncIoStream> takeStream() { return kj::mv(stream_); }

  virtual uint32_t pid() const = 0;
  /// The host's last output lines (its stderr, or its log file for a shared host).
  virtual std::string logTail() const = 0;
  /// Why the channel closed, for an error message: exit status and last words. `situation`
  /// (e.g. " while calls were pending") follows the status.
  virtual std::string disconnectContext(const std::string& situation) const = 0;
  /// Whether this client may stop or kill the host (not a shared one: it serves others).
  virtual bool ownedByThisClient() const = 0;
  /// Starts reporting the host's death (exit watch, heartbeat), once RPC runs. Default: none.
  virtual void watch(HostDeathReport) {}
  /// Kills a hung host now and fails every pending call at once. Default: nothing (not ours).
  virtual void kill() {}
  /// Lets go of what keeps the host's end alive or watches it (watchers, the cutter's duplicate
  /// of the channel, a COM object), before Host drops RPC and the stream.
  virtual void release() {}
  /// Once the channel is closed: gives the host time to exit by itself (`graceful`: 2 s, else
  /// 100 ms), then kills it. Default: nothing (not ours).
  virtual void awaitExit(bool /*graceful*/) {}
  /// A fresh host of this same kind (Host::restart).
  virtual std::unique_ptr<HostProcess> startAgain(Runtime& runtime,
                                                  HostOptions& options) const = 0;

 protected:
  HostProcess(Runtime& runtime, Arch arch) : runtime_(runtime), arch_(arch) {}

  /// The hello on the stream within `timeout`: the peer must be process `pid` and of our
  /// architecture, else MalformedPeer saying it is not `expected`.
  void greet(uint32_t pid, kj::Duration timeout, const char* expected);

  /// Watches `process` on the event loop: the moment it exits it is reaped (no zombie, status
  /// known and logged) and `then` runs. Dropping the promise stops the watch.
  kj::Promise<void> whenExited(ChildProcess& process, std::function<void()> then);

  /// Runs a start-up step; if it fails, the host is let go (release, awaitExit) and the failure
  /// thrown as an Error with disconnectContext() as context.
  void startStep(const std::function<void()>& step);

  /// For disconnectContext() of a host whose process is ours to watch: the label and how it
  /// ended (waiting up to 250 ms for its exit status), or that it closed its channel but still
  /// runs; `situation` follows either.
  std::string describeEnd(ChildProcess& process, const std::string& situation) const;

  Runtime& runtime_;
  Arch arch_;
  std::string label_;
  kj::Own<kj::AsyncIoStream> stream_;
};

// The factories choose the host as Host::spawn does (host_selection.h), which makes the paths in
// `options` absolute: Host keeps the options as they leave here.

/// Host::spawn's: a private host, started the way(s) options.startOrder says, spawned or COM
/// activated (start_order.cpp). An order this platform cannot honour, or options the order's
/// ways cannot, are refused (BadConfiguration) before anything starts. Restarts of either
/// private kind come back here, so a restart follows the same order.
std::unique_ptr<HostProcess> startPrivateHost(Runtime& runtime, HostOptions& options);
/// Host::activateCom's: startPrivateHost with StartOrder::ComOnly; refuses another order the
/// caller set (BadConfiguration: activateCom means COM).
std::unique_ptr<HostProcess> startComActivatedHost(Runtime& runtime, HostOptions& options);
/// Host::connectShared's kind: the shared host `options.sharedName`, started if none runs.
std::unique_ptr<HostProcess> connectToSharedHost(Runtime& runtime, HostOptions& options);

/// Thrown by one way of starting a private host (below) when no host process came to run: the
/// executable not found, not a host of that architecture, or refused by the system; the COM
/// class not registered, not startable, or not answering. startPrivateHost then tries the
/// order's next way. Anything that goes wrong once a host runs is an Error as usual: the other
/// way would start the same program, and the failure must be seen, not hidden by a fallback.
struct HostNotStarted {
  Error cause;  ///< why, with its fix
};

/// The ways, for startPrivateHost; `arch` is chosen and the component checked already
/// (selectHostArch), so that no way can fail on what would fail the other one too.
/// A child process of this client (spawned_host.cpp).
std::unique_ptr<HostProcess> spawnHostProcess(Runtime& runtime, const HostOptions& options,
                                              Arch arch);
/// A host COM starts from the registered LocalServer32 (com_activated_host.cpp; Windows).
std::unique_ptr<HostProcess> activateHostThroughCom(Runtime& runtime, const HostOptions& options,
                                                    Arch arch);

/// A host's output line to `logger`, at the level the host logged it, as "[<name> pid <pid>]
/// message" (`pid` may be filled in after the host starts). Called on an output-drain thread.
std::function<void(const std::string&)> forwardHostLine(std::shared_ptr<spdlog::logger> logger,
                                                        std::string name,
                                                        std::shared_ptr<std::atomic<int>> pid);

/// The host's command-line arguments for HostOptions' connection limits: a shared host gets
/// them all (it serves others, and keeps what its starter asked for); a private host only
/// those that differ from the defaults it has anyway.
std::vector<std::string> limitArguments(const HostOptions& options, bool shared);

/// Refuses a transport other than the channel's own for the kinds that have no other (`which`
/// names them in the message).
void requireSocketTransport(const HostOptions& options, const std::string& which);

}  // namespace bitbridge
