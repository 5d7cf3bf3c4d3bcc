#include "client/heartbeat_monitor.h"

#include <kj/debug.h>

#include "common/fresh_timer.h"

namespace bitbridge {
namespace {

// After the timeout, how long a read may still complete: covers a client whose own thread was
// busy (not on the event loop) when the answer arrived, so it is not mistaken for a frozen host.
constexpr auto kGrace = 100 * kj::MILLISECONDS;

kj::Duration toKj(std::chrono::milliseconds ms) { return ms.count() * kj::MILLISECONDS; }

}  // namespace

HeartbeatMonitor::HeartbeatMonitor(kj::Own<kj::AsyncIoStream> stream, kj::Timer& timer,
                                   HeartbeatSettings settings,
                                   std::function<void(std::string)> onVerdict)
    : stream_(kj::mv(stream)), timer_(timer), settings_(settings), onVerdict_(kj::mv(onVerdict)) {
  task_ = afterDelayFromNow(timer_, toKj(settings_.interval))
              .then([this]() { return cycle(); })
              .eagerlyEvaluate([this](kj::Exception&& e) {
                // A write failure means the host is gone: its death is reported by the channel.
                if (e.getType() != kj::Exception::Type::DISCONNECTED) {
                  onVerdict_(std::string("broke its heartbeat: ") + e.getDescription().cStr());
                }
              });
}

kj::Promise<void> HeartbeatMonitor::cycle() {
  ping_.sequence = ++sequence_;
  return stream_->write(&ping_, sizeof(ping_)).then([this]() { return readPongWithin(); });
}

kj::Promise<void> HeartbeatMonitor::readPongWithin() {
  auto read = stream_->tryRead(&pong_, sizeof(pong_), sizeof(pong_)).fork();
  auto late = read.addBranch();
  return read.addBranch()
      .exclusiveJoin(deadlineFromNow(timer_, toKj(settings_.timeout))
                         .then([this, late = kj::mv(late)]() mutable {
                           return late.exclusiveJoin(afterDelayFromNow(timer_, kGrace).then(
                               [this]() -> size_t {
                                 onVerdict_("did not answer its heartbeat within " +
                                            std::to_string(settings_.timeout.count()) +
                                            " ms (stopped, frozen or overloaded)");
                                 return 0;
                               }));
                         }))
      .then([this](size_t bytes) { return check(bytes); });
}

kj::Promise<void> HeartbeatMonitor::check(size_t bytes) {
  if (bytes < sizeof(pong_)) return kj::READY_NOW;  // EOF or verdict given: stop
  if (pong_.sequence != sequence_) {
    onVerdict_("answered heartbeat " + std::to_string(sequence_) + " with " +
               std::to_string(pong_.sequence) + " (not bitbridge protocol)");
    return kj::READY_NOW;
  }
  auto hang = static_cast<uint64_t>(settings_.hangLimit.count());
  if (hang > 0 && pong_.loopStalledMs >= hang) {
    onVerdict_("has been stuck in one call for " + std::to_string(pong_.loopStalledMs) +
               " ms (hang limit " + std::to_string(hang) + " ms)");
    return kj::READY_NOW;
  }
  return afterDelayFromNow(timer_, toKj(settings_.interval)).then([this]() { return cycle(); });
}

}  // namespace bitbridge
