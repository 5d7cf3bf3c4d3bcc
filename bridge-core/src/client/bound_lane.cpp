// bound_lane.h
#include "client/bound_lane.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/debug.h>

#include "bitbridge/error.h"
#include "common/bulk/bulk_segment.h"
#include "common/process/child_process.h"
#include "common/transport/lane_wait.h"

namespace bitbridge {
namespace {

// Spinning gives the core away (sched_yield) after this long, so that a host sharing the core
// can run; before it, a null call is answered without a system call on either side.
constexpr auto kYieldAfter = std::chrono::microseconds(10);
// The waiter looks at the slot and the host's fate at least this often.
constexpr auto kWaiterSlice = std::chrono::microseconds(100000);

}  // namespace

ClientLane::ClientLane(std::shared_ptr<BulkSegment> segment, uint32_t areaBytes,
                       std::string hostLabel)
    : segment_(std::move(segment)), hostLabel_(std::move(hostLabel)), areaBytes_(areaBytes) {
  uint64_t bytes = segmentBytes(areaBytes);
  view_ = segment_->mapView(0, bytes, bytes, "the fast lane's slot");
  auto* slot = reinterpret_cast<LaneSlotLayout*>(view_.data());
  LaneHeader header{};
  std::memcpy(header.magic, kLaneMagic, sizeof kLaneMagic);
  header.version = kLaneVersion;
  header.areasOffset = kLaneAreasOffset;
  header.paramBytes = areaBytes;
  header.resultBytes = areaBytes;
  header.creatorPid = currentProcessId();
  header.creatorPointerBits = static_cast<uint8_t>(sizeof(void*) * 8);
  std::memcpy(&slot->header, &header, sizeof header);  // the rest of the segment is zero
  control_ = &slot->control;
  // Before the host sees the segment (Host::bind sends its id later): it opens these.
  requestBell_ = std::make_unique<LaneDoorbell>(control_->request, segment_->name(), "request",
                                                LaneDoorbell::End::Client);
  replyBell_ = std::make_unique<LaneDoorbell>(control_->reply, segment_->name(), "reply",
                                              LaneDoorbell::End::Client);
  paramArea_ = reinterpret_cast<capnp::word*>(view_.data() + kLaneAreasOffset);
  resultArea_ = view_.data() + kLaneAreasOffset + areaBytes;
}

ClientLane::~ClientLane() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  replyBell_->wake();
  if (waiter_.joinable()) waiter_.join();
}

kj::Exception ClientLane::goneException() const {
  return kj::Exception(kj::Exception::Type::DISCONNECTED, __FILE__, __LINE__,
                       kj::str(hostLabel_.c_str(), " is gone (fast lane)"));
}

bool ClientLane::arrived() const {
  return control_->reply.load(std::memory_order_acquire) == seq_;
}

kj::Promise<void> ClientLane::whenIdle() {
  if (!outstanding_) return kj::READY_NOW;
  uint32_t seq = seq_;
  return answered().then([this, seq]() -> kj::Promise<void> {
    // The caller of that call gave up on it (or took it meanwhile): nothing to read. Another
    // call may have been posted since (the loop ran): wait for that one too.
    if (outstanding_ && seq_ == seq && arrived()) {
      outstanding_ = false;
      arrival_ = nullptr;
    }
    return whenIdle();
  });
}

bool ClientLane::post(uint32_t binding, uint16_t method, capnp::AnyPointer::Reader params) {
  KJ_REQUIRE(!outstanding_, "fast lane: a call is outstanding");
  if (gone_.load()) kj::throwFatalException(goneException());
  if (leased_) return false;
  auto size = params.targetSize();
  if (size.capCount != 0) return false;
  uint64_t words = size.wordCount + 1;  // the root pointer
  if (words * sizeof(capnp::word) > areaBytes_) return false;
  // Built in place, into zeroed words, as one segment (FlatMessageBuilder throws rather than
  // grow past them: then it goes by RPC).
  std::memset(paramArea_, 0, words * sizeof(capnp::word));
  dirtyWords_ = std::max<size_t>(dirtyWords_, words);
  try {
    capnp::FlatMessageBuilder builder(kj::arrayPtr(paramArea_, static_cast<size_t>(words)));
    builder.getRoot<capnp::AnyPointer>().set(params);
    words = builder.getSegmentsForOutput()[0].size();
  } catch (const kj::Exception&) {
    return false;
  }
  publish(binding, method, static_cast<uint32_t>(words));
  return true;
}

kj::ArrayPtr<capnp::word> ClientLane::leaseParams() {
  if (outstanding_ || leased_ || gone_.load(std::memory_order_relaxed)) return nullptr;
  // Zeroed now, not after each call: the host may still be copying the last params until its
  // answer is there, and idle() says it is. A builder needs zeroed words.
  std::memset(paramArea_, 0, dirtyWords_ * sizeof(capnp::word));
  dirtyWords_ = 0;
  leased_ = true;
  return kj::arrayPtr(paramArea_, areaBytes_ / sizeof(capnp::word));
}

void ClientLane::releaseParams(size_t usedWords) {
  KJ_REQUIRE(leased_, "fast lane: the parameters area is not lent");
  leased_ = false;
  dirtyWords_ = std::max(dirtyWords_, usedWords);
}

void ClientLane::postInPlace(uint32_t binding, uint16_t method, uint32_t words) {
  releaseParams(words);
  KJ_REQUIRE(!outstanding_, "fast lane: a call is outstanding");
  KJ_REQUIRE(words > 0 && words <= areaBytes_ / sizeof(capnp::word), "fast lane: bad params size");
  if (gone_.load()) kj::throwFatalException(goneException());
  publish(binding, method, words);
}

void ClientLane::publish(uint32_t binding, uint16_t method, uint32_t words) {
  control_->binding = binding;
  control_->method = method;
  control_->paramWords = words;
  ++seq_;
  if (seq_ == 0) ++seq_;  // 0 is "nothing yet"; after 2^32 calls, skip it
  outstanding_ = true;
  arrival_ = nullptr;
  // Publish, fence, then wake the host's lane thread if it sleeps (lane_layout.h).
  control_->request.store(seq_, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (control_->hostParked.load(std::memory_order_relaxed) != 0) requestBell_->wake();
}

bool ClientLane::spin() {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (arrived()) return true;
    auto elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed >= kSpin || gone_.load(std::memory_order_relaxed)) return arrived();
    laneSpinPause(elapsed > kYieldAfter);
  }
}

kj::Promise<void> ClientLane::answered() {
  if (arrived()) return kj::READY_NOW;
  KJ_IF_MAYBE(arrival, arrival_) { return arrival->addBranch(); }
  if (gone_.load()) return goneException();
  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wait_ = Wait{seq_, kj::mv(paf.fulfiller)};
    if (!waiter_.joinable()) waiter_ = std::thread([this] { waiterLoop(); });
  }
  wake_.notify_one();
  auto forked = paf.promise.fork();
  auto branch = forked.addBranch();
  arrival_ = kj::mv(forked);
  return branch;
}

kj::ArrayPtr<const capnp::word> ClientLane::takeAnswer() {
  KJ_REQUIRE(outstanding_ && arrived(), "fast lane: no answer to take");
  outstanding_ = false;
  arrival_ = nullptr;
  uint32_t status = control_->status;
  uint32_t bytes = control_->resultBytes;
  if (bytes > areaBytes_ || (status == static_cast<uint32_t>(LaneStatus::Ok) && bytes % 8 != 0)) {
    throwAsKj(Error(ErrorKind::MalformedPeer,
                    hostLabel_ + " answered a fast-lane call with " + std::to_string(bytes) +
                        " bytes; the results area holds " + std::to_string(areaBytes_)));
  }
  if (status == static_cast<uint32_t>(LaneStatus::Failed)) {
    std::string text(reinterpret_cast<const char*>(resultArea_), bytes);
    kj::throwFatalException(
        kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__, kj::str(text.c_str())));
  }
  if (status != static_cast<uint32_t>(LaneStatus::Ok)) {
    throwAsKj(Error(ErrorKind::MalformedPeer, hostLabel_ + " answered a fast-lane call with "
                                                  "status " + std::to_string(status)));
  }
  return kj::arrayPtr(reinterpret_cast<const capnp::word*>(resultArea_), bytes / 8);
}

void ClientLane::take(capnp::AnyPointer::Builder results) {
  capnp::FlatArrayMessageReader reader(takeAnswer());
  results.set(reader.getRoot<capnp::AnyPointer>());
}

void ClientLane::hostGone() {
  gone_.store(true);
  replyBell_->wake();
  { std::lock_guard<std::mutex> lock(mutex_); }  // orders gone_ before the waiter's check
  wake_.notify_one();
}

void ClientLane::waiterLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || wait_.has_value(); });
    if (stopping_ && !wait_) return;
    Wait wait = kj::mv(*wait_);
    wait_.reset();
    lock.unlock();
    for (;;) {
      uint32_t now = control_->reply.load(std::memory_order_acquire);
      if (now == wait.seq) {
        wait.fulfiller->fulfill();
        break;
      }
      bool stopping;
      {
        std::lock_guard<std::mutex> check(mutex_);
        stopping = stopping_;
      }
      if (gone_.load() || stopping) {
        wait.fulfiller->reject(goneException());
        break;
      }
      // Park: raise the flag, fence, re-check, sleep (the host stores `reply`, fences, then
      // reads the flag: lane_layout.h).
      control_->clientParked.store(1, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (control_->reply.load(std::memory_order_acquire) == now && !gone_.load()) {
        replyBell_->sleep(now, kWaiterSlice);
      }
      control_->clientParked.store(0, std::memory_order_relaxed);
    }
    lock.lock();
  }
}

}  // namespace bitbridge
