// lane_capability.h
#include "client/lane_capability.h"

#include <kj/vector.h>

#include "client/bound_lane.h"

namespace bitbridge {
namespace {

class LaneCapability final : public capnp::Capability::Server {
 public:
  LaneCapability(capnp::Capability::Client rpc, uint64_t interfaceId,
                 std::shared_ptr<ClientLane> lane, uint32_t binding, std::vector<bool> laneMethods)
      : rpc_(kj::mv(rpc)),
        interfaceId_(interfaceId),
        lane_(std::move(lane)),
        binding_(binding),
        laneMethods_(std::move(laneMethods)) {}

  DispatchCallResult dispatchCall(uint64_t interfaceId, uint16_t methodId,
                                  capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context)
      override {
    bool viaLane = interfaceId == interfaceId_ && methodId < laneMethods_.size() &&
                   laneMethods_[methodId];
    if (!viaLane) {
      if (laneInFlight_ == 0) return {track(rpcNow(interfaceId, methodId, context), false), false};
      return {track(allDone_.addBranch().then([this, interfaceId, methodId, context]() mutable {
                      return rpcNow(interfaceId, methodId, context);
                    }),
                    false),
              false};
    }
    if (inFlight_ == 0 && lane_->idle()) {
      // The fast path: nothing before it, the slot free.
      return {laneNow(methodId, context), false};
    }
    return {track(allDone_.addBranch().then([this, methodId, context]() mutable {
                    return laneNow(methodId, context);
                  }),
                  true),
            false};
  }

 private:
  // Posts the call on the lane once it is idle, or sends it by RPC if its params do not fit.
  kj::Promise<void> laneNow(uint16_t methodId,
                            capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context) {
    if (!lane_->idle()) {
      return lane_->whenIdle().then([this, methodId, context]() mutable {
        return laneNow(methodId, context);
      });
    }
    if (!lane_->post(binding_, methodId, context.getParams())) {
      return rpcNow(interfaceId_, methodId, context);
    }
    context.releaseParams();
    if (lane_->spin()) {
      lane_->take(context.getResults());
      return kj::READY_NOW;
    }
    // A longer call: the event loop runs until the answer is there (bound_lane.h). Tracked, so
    // that a call sent meanwhile waits for it.
    return track(lane_->answered().then([this, context]() mutable {
                   lane_->take(context.getResults());
                 }),
                 true);
  }

  kj::Promise<void> rpcNow(uint64_t interfaceId, uint16_t methodId,
                           capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context) {
    auto params = context.getParams();
    auto request = rpc_.typelessRequest(interfaceId, methodId, params.targetSize());
    request.set(params);
    context.releaseParams();
    return request.send().then([context](capnp::Response<capnp::AnyPointer>&& response) mutable {
      context.getResults(response.targetSize()).set(response);
    });
  }

  // Counts `call` in flight until it settles; allDone_ then also waits for it.
  kj::Promise<void> track(kj::Promise<void> call, bool lane) {
    ++inFlight_;
    if (lane) ++laneInFlight_;
    auto settled = call.then(
        [this, lane]() { settle(lane); },
        [this, lane](kj::Exception&& e) -> void {
          settle(lane);
          kj::throwFatalException(kj::mv(e));
        });
    auto forked = settled.fork();
    kj::Vector<kj::Promise<void>> both;
    both.add(allDone_.addBranch());
    both.add(forked.addBranch().catch_([](kj::Exception&&) {}));
    allDone_ = kj::joinPromises(both.releaseAsArray()).fork();
    return forked.addBranch();
  }

  void settle(bool lane) {
    --inFlight_;
    if (lane) --laneInFlight_;
  }

  capnp::Capability::Client rpc_;
  uint64_t interfaceId_;
  std::shared_ptr<ClientLane> lane_;
  uint32_t binding_;
  std::vector<bool> laneMethods_;
  unsigned inFlight_ = 0;      // calls of this object started and not yet settled
  unsigned laneInFlight_ = 0;  // of which lane calls (waiting for their turn or their answer)
  kj::ForkedPromise<void> allDone_ = kj::Promise<void>(kj::READY_NOW).fork();
};

}  // namespace

capnp::Capability::Client laneCapability(capnp::Capability::Client rpc, uint64_t interfaceId,
                                         std::shared_ptr<ClientLane> lane, uint32_t binding,
                                         std::vector<bool> laneMethods) {
  return capnp::Capability::Client(kj::heap<LaneCapability>(
      kj::mv(rpc), interfaceId, std::move(lane), binding, std::move(laneMethods)));
}

}  // namespace bitbridge
