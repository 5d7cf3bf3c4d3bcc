// The connections of one shared host (shared_host.h), whatever they arrive on: admission by
// count, the hello, RPC with a HostService per connection over the host's one component
// registry, bulk registry and shared instances, closing, and the idle timer. What a connection
// arrives on and who may connect (a Unix socket and SO_PEERCRED, named pipe instances and the
// client's token) and what an idle host does before it exits are the platform host's
// (shared_host-posix.cpp, shared_host-win32.cpp).
//
// Lifetime: owned by the platform host and declared after everything its idle callback uses,
// so that its tasks (which refer to the connections and call that callback) go first.
// Thread assumption: everything runs on the event loop of the thread that made it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <kj/async-io.h>

#include "host/bulk_registry.h"
#include "host/components/component_loader.h"
#include "host/host_service.h"
#include "host/shared_host.h"
#include "wire/hello.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

struct SharedConnection;

class SharedConnections final : private kj::TaskSet::ErrorHandler {
 public:
  /// What the platform host says when the host has had no connection for the idle timeout:
  /// Exit (it has arranged its exit) or NotNow (a client is arriving: looked at again shortly).
  enum class IdleAnswer { Exit, NotNow };

  /// `peerAuthority` names who vouches for a connection's pid in the error a lying hello gets
  /// ("the kernel", "Windows"). `onIdle` is called on this loop, possibly many times.
  SharedConnections(kj::AsyncIoContext& io, const SharedHostConfig& config,
                    std::shared_ptr<spdlog::logger> logger, std::string peerAuthority,
                    std::function<IdleAnswer()> onIdle);
  ~SharedConnections();

  /// Logs the host's limits, naming `where` it serves, and arms the idle timer (a host nobody
  /// connects to leaves too). Once, before the accept loop runs.
  void start(const std::string& where);

  /// The refusal hello for one more connection of client `pid`, if a count limit (total, per
  /// client) forbids it; each reason is logged once until it no longer holds.
  std::optional<WireHello> refusalFor(uint32_t pid);
  /// Serves `stream`, whose peer the platform host has checked to be client `pid` of this user
  /// and for which refusalFor(pid) said nothing, until it disconnects or fails (logged).
  void admit(kj::Own<kj::AsyncIoStream> stream, uint32_t pid);

  size_t size() const { return connections_.size(); }
  BulkRegistry& bulk() { return bulk_; }
  /// Runs `task` with this object's tasks (a failure is logged), destroyed with them.
  void addTask(kj::Promise<void> task) { tasks_.add(kj::mv(task)); }

 private:
  void taskFailed(kj::Exception&& exception) override;
  kj::Timer& timer() { return io_.provider->getTimer(); }
  kj::Promise<void> serve(SharedConnection& connection);
  kj::Promise<void> silentAfterHello(SharedConnection& connection);
  void close(uint64_t id);
  void armIdleTimer();
  kj::Promise<void> idleCheck(uint64_t generation);

  kj::AsyncIoContext& io_;
  SharedHostConfig config_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string peerAuthority_;
  std::function<IdleAnswer()> onIdle_;
  // Shared by every connection and outliving them all (see host_service.h); the instances are
  // destroyed before the registry whose component code they live in.
  ComponentRegistry registry_;
  BulkRegistry bulk_;
  ComponentThreads threads_;
  SharedInstances instances_;
  bool refusedForTotal_ = false;            // the total limit's refusal is logged
  std::set<uint32_t> refusedClients_;       // client pids whose refusal is logged
  std::map<uint32_t, uint32_t> perClient_;  // connections by client pid
  std::map<uint64_t, kj::Own<SharedConnection>> connections_;
  uint64_t nextId_ = 1;
  uint64_t idleGeneration_ = 0;
  kj::TaskSet tasks_;  // last: its tasks refer to the connections, so it goes first
};

}  // namespace bitbridge
