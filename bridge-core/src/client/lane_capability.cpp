// lane_capability.h
#include "client/lane_capability.h"

#include <cstring>
#include <optional>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/vector.h>

#include "client/bound_lane.h"
#include "client/lane_params_builder.h"

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

  /// No call of this object is waiting for its turn or its answer.
  bool quiet() const { return inFlight_ == 0; }

  /// Counts a lane call posted elsewhere (LaneClient's send) as in flight until `answer`
  /// settles, so that later calls wait for it.
  kj::Promise<void> trackLane(kj::Promise<void> answer) { return track(kj::mv(answer), true); }

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

// A fast-lane answer, copied out of the slot: the Response the application reads.
class LaneResponse final : public capnp::ResponseHook {
 public:
  explicit LaneResponse(kj::Array<capnp::word> words)
      : words_(kj::mv(words)), reader_(words_) {}
  capnp::AnyPointer::Reader root() { return reader_.getRoot<capnp::AnyPointer>(); }

 private:
  kj::Array<capnp::word> words_;
  capnp::FlatArrayMessageReader reader_;
};

capnp::Response<capnp::AnyPointer> laneResponse(kj::ArrayPtr<const capnp::word> answer) {
  // By memcpy: capnp::word has no copy constructor (in some builds it is deleted).
  auto words = kj::heapArray<capnp::word>(answer.size());
  std::memcpy(words.begin(), answer.begin(), answer.size() * sizeof(capnp::word));
  auto hook = kj::heap<LaneResponse>(kj::mv(words));
  auto root = hook->root();
  return capnp::Response<capnp::AnyPointer>(root, kj::mv(hook));
}

// Lane methods return no capabilities (LaneTarget::laneCallable), so there is nothing to
// pipeline on; asking for a capability in their results gets a broken one that says why.
class NoCapsPipeline final : public capnp::PipelineHook, public kj::Refcounted {
 public:
  kj::Own<capnp::PipelineHook> addRef() override { return kj::addRef(*this); }
  kj::Own<capnp::ClientHook> getPipelinedCap(kj::ArrayPtr<const capnp::PipelineOp>) override {
    return capnp::newBrokenCap("a fast-lane call's results hold no capabilities");
  }
};

class LaneClient;

// A request for a lane method. Its params are built right in the slot's parameters area when
// the lane lends it (nothing before this call, the slot idle: the likely fast path), so that
// posting copies nothing (lane_params_builder.h); otherwise in a message of its own, small by
// default (a bound function's params are a few words). Either way handed to LaneClient.
class LaneRequest final : public capnp::RequestHook {
 public:
  LaneRequest(kj::Own<LaneClient> client, uint16_t methodId, kj::Maybe<capnp::MessageSize> hint,
              kj::ArrayPtr<capnp::word> leasedArea);
  ~LaneRequest() noexcept(false);
  capnp::AnyPointer::Builder root() { return message_->getRoot<capnp::AnyPointer>(); }
  capnp::RemotePromise<capnp::AnyPointer> send() override;
  kj::Promise<void> sendStreaming() override;
  const void* getBrand() override { return nullptr; }

 private:
  static unsigned firstSegmentWords(kj::Maybe<capnp::MessageSize> hint) {
    KJ_IF_MAYBE(size, hint) { return static_cast<unsigned>(size->wordCount + 1); }
    return 64;
  }
  kj::Own<LaneClient> client_;
  uint16_t methodId_;
  std::optional<LaneParamsBuilder> inSlot_;         // built in the leased area, or
  std::optional<capnp::MallocMessageBuilder> own_;  // in a message of its own
  capnp::MessageBuilder* message_;                  // whichever of the two
  bool leaseHeld_ = false;  // inSlot_'s lease has not been ended (sent or released) yet
};

// Any other request: the RPC path's own request (params built in place), counted while it is
// on its way to LaneCapability (see LaneClient).
class ForwardedRequest final : public capnp::RequestHook {
 public:
  ForwardedRequest(kj::Own<LaneClient> client, kj::Own<capnp::RequestHook> inner)
      : client_(kj::mv(client)), inner_(kj::mv(inner)) {}
  capnp::RemotePromise<capnp::AnyPointer> send() override;
  kj::Promise<void> sendStreaming() override;
  const void* getBrand() override { return inner_->getBrand(); }

 private:
  kj::Own<LaneClient> client_;
  kj::Own<capnp::RequestHook> inner_;
};

// What the application's Client holds. A lane call with nothing of this object before it (no
// call in LaneCapability, none on its way there) and the slot idle is made right in send():
// posted, spun for, and answered with a ready promise, without LocalClient's deferred dispatch,
// call context, pipeline and response message (about a microsecond of client CPU per call).
// Everything else goes through `inner_` (LocalClient over LaneCapability), which keeps the
// order; calls on their way there are counted (`forwarded_`) so that a fast-path call never
// overtakes one.
class LaneClient final : public capnp::ClientHook, public kj::Refcounted {
 public:
  LaneClient(kj::Own<capnp::ClientHook> inner, LaneCapability& server, uint64_t interfaceId,
             std::shared_ptr<ClientLane> lane, uint32_t binding, std::vector<bool> laneMethods)
      : inner_(kj::mv(inner)),
        server_(server),
        interfaceId_(interfaceId),
        lane_(std::move(lane)),
        binding_(binding),
        laneMethods_(std::move(laneMethods)),
        noCaps_(kj::refcounted<NoCapsPipeline>()) {}

  capnp::Request<capnp::AnyPointer, capnp::AnyPointer> newCall(
      uint64_t interfaceId, uint16_t methodId, kj::Maybe<capnp::MessageSize> hint) override {
    if (interfaceId == interfaceId_ && methodId < laneMethods_.size() && laneMethods_[methodId]) {
      // Built in the slot only when it will likely be posted from there (sendInSlot).
      kj::ArrayPtr<capnp::word> area;
      if (forwarded_ == 0 && server_.quiet()) area = lane_->leaseParams();
      auto request = kj::heap<LaneRequest>(kj::addRef(*this), methodId, hint, area);
      auto root = request->root();
      return capnp::Request<capnp::AnyPointer, capnp::AnyPointer>(root, kj::mv(request));
    }
    auto inner = inner_->newCall(interfaceId, methodId, hint);
    capnp::AnyPointer::Builder root = inner;
    return capnp::Request<capnp::AnyPointer, capnp::AnyPointer>(
        root, kj::heap<ForwardedRequest>(kj::addRef(*this),
                                         capnp::RequestHook::from(kj::mv(inner))));
  }

  VoidPromiseAndPipeline call(uint64_t interfaceId, uint16_t methodId,
                              kj::Own<capnp::CallContextHook>&& context) override {
    auto result = inner_->call(interfaceId, methodId, kj::mv(context));
    result.promise = counted(kj::mv(result.promise));
    return result;
  }

  kj::Maybe<ClientHook&> getResolved() override { return nullptr; }
  kj::Maybe<kj::Promise<kj::Own<ClientHook>>> whenMoreResolved() override { return nullptr; }
  kj::Own<ClientHook> addRef() override { return kj::addRef(*this); }
  const void* getBrand() override { return &kBrand; }
  kj::Maybe<int> getFd() override { return nullptr; }

  // LaneRequest::send: the fast path, or the params copied into a forwarded request.
  capnp::RemotePromise<capnp::AnyPointer> sendLane(uint16_t methodId,
                                                   capnp::AnyPointer::Reader params) {
    if (forwarded_ == 0 && server_.quiet() && lane_->idle()) {
      try {
        if (lane_->post(binding_, methodId, params)) return answer();
      } catch (kj::Exception& e) {
        return {kj::Promise<capnp::Response<capnp::AnyPointer>>(kj::mv(e)), pipeline()};
      }
    }
    auto inner = inner_->newCall(interfaceId_, methodId, params.targetSize());
    inner.set(params);
    return forward(capnp::RequestHook::from(kj::mv(inner))->send());
  }

  // LaneRequest::send for params built in the slot's leased area: posted as they are when
  // nothing of this object is before them and they are one segment without capabilities;
  // otherwise copied into a forwarded request (which keeps the order) and the lease ended.
  capnp::RemotePromise<capnp::AnyPointer> sendInSlot(uint16_t methodId, LaneParamsBuilder& built) {
    auto params = built.getRoot<capnp::AnyPointer>().asReader();
    if (forwarded_ == 0 && server_.quiet() && built.inArea() &&
        params.targetSize().capCount == 0) {
      try {
        lane_->postInPlace(binding_, methodId,
                           static_cast<uint32_t>(built.getSegmentsForOutput()[0].size()));
      } catch (kj::Exception& e) {
        return {kj::Promise<capnp::Response<capnp::AnyPointer>>(kj::mv(e)), pipeline()};
      }
      return answer();
    }
    // While the lease holds, post() refuses: sendLane forwards a copy of the params, and the
    // lease ends once that copy is made (or failed).
    KJ_DEFER(lane_->releaseParams(built.areaWordsUsed()));
    return sendLane(methodId, params);
  }

  ClientLane& lane() { return *lane_; }

  capnp::RemotePromise<capnp::AnyPointer> forward(capnp::RemotePromise<capnp::AnyPointer>&& sent) {
    kj::Promise<capnp::Response<capnp::AnyPointer>>& promise = sent;
    capnp::AnyPointer::Pipeline& pipelined = sent;
    return {counted(kj::mv(promise)), kj::mv(pipelined)};
  }

  template <typename T>
  kj::Promise<T> counted(kj::Promise<T>&& promise) {
    ++forwarded_;
    return promise.attach(kj::defer([self = kj::addRef(*this)]() mutable { --self->forwarded_; }));
  }

 private:
  // The call is posted: its answer, ready if it came within the spin.
  capnp::RemotePromise<capnp::AnyPointer> answer() {
    if (lane_->spin()) {
      try {
        return {kj::Promise<capnp::Response<capnp::AnyPointer>>(laneResponse(lane_->takeAnswer())),
                pipeline()};
      } catch (kj::Exception& e) {
        return {kj::Promise<capnp::Response<capnp::AnyPointer>>(kj::mv(e)), pipeline()};
      }
    }
    // A longer call: the event loop runs until the answer is there (bound_lane.h), counted by
    // LaneCapability meanwhile. The box outlives whichever of the two promises goes first.
    auto box = std::make_shared<kj::Maybe<capnp::Response<capnp::AnyPointer>>>();
    auto taken = server_.trackLane(lane_->answered().then([lane = lane_, box]() {
      *box = laneResponse(lane->takeAnswer());
    }));
    auto response = taken.then([box]() { return kj::mv(KJ_ASSERT_NONNULL(*box)); })
                        .attach(kj::addRef(*this));
    return {kj::mv(response), pipeline()};
  }

  capnp::AnyPointer::Pipeline pipeline() { return capnp::AnyPointer::Pipeline(noCaps_->addRef()); }

  static const unsigned kBrand;

  kj::Own<capnp::ClientHook> inner_;  // LocalClient over server_, which it owns
  LaneCapability& server_;
  uint64_t interfaceId_;
  std::shared_ptr<ClientLane> lane_;
  uint32_t binding_;
  std::vector<bool> laneMethods_;
  kj::Own<capnp::PipelineHook> noCaps_;
  unsigned forwarded_ = 0;  // requests sent through inner_ whose promise still exists
};

const unsigned LaneClient::kBrand = 0;

LaneRequest::LaneRequest(kj::Own<LaneClient> client, uint16_t methodId,
                         kj::Maybe<capnp::MessageSize> hint, kj::ArrayPtr<capnp::word> leasedArea)
    : client_(kj::mv(client)), methodId_(methodId) {
  if (leasedArea.size() > 0) {
    message_ = &inSlot_.emplace(leasedArea);
    leaseHeld_ = true;
  } else {
    message_ = &own_.emplace(firstSegmentWords(hint));
  }
}

LaneRequest::~LaneRequest() noexcept(false) {
  // Dropped unsent: the area is free again (what was written, zeroed before its next use).
  if (leaseHeld_) client_->lane().releaseParams(inSlot_->areaWordsUsed());
}

capnp::RemotePromise<capnp::AnyPointer> LaneRequest::send() {
  if (leaseHeld_) {
    leaseHeld_ = false;  // sendInSlot ends the lease, whatever it does
    return client_->sendInSlot(methodId_, *inSlot_);
  }
  return client_->sendLane(methodId_, root().asReader());
}

kj::Promise<void> LaneRequest::sendStreaming() {
  // Bound functions are never streaming methods; answered like send() if one is asked for.
  return send().ignoreResult();
}

capnp::RemotePromise<capnp::AnyPointer> ForwardedRequest::send() {
  return client_->forward(inner_->send());
}

kj::Promise<void> ForwardedRequest::sendStreaming() {
  return client_->counted(inner_->sendStreaming());
}

}  // namespace

capnp::Capability::Client laneCapability(capnp::Capability::Client rpc, uint64_t interfaceId,
                                         std::shared_ptr<ClientLane> lane, uint32_t binding,
                                         std::vector<bool> laneMethods) {
  auto server = kj::heap<LaneCapability>(kj::mv(rpc), interfaceId, lane, binding, laneMethods);
  LaneCapability& serverRef = *server;
  capnp::Capability::Client local(kj::mv(server));
  return capnp::Capability::Client(kj::refcounted<LaneClient>(
      capnp::ClientHook::from(kj::mv(local)), serverRef, interfaceId, std::move(lane), binding,
      std::move(laneMethods)));
}

}  // namespace bitbridge
