// The host's end of a fast lane (host/bind/lane_thread.h) against a client that writes whatever
// it likes into the slot: bad headers are refused before a thread starts; bad calls (an unknown
// binding or method, too many or no words, garbage params, calls posted faster than answered)
// are each answered with a MalformedPeer error, and the lane serves the next good call. A silent
// client costs nothing and does not hold up the lane's end. Linux (the lane is Linux-only).
#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "bitbridge/host.capnp.h"
#include "common/bulk/bulk_segment.h"
#include "common/transport/lane_wait.h"
#include "host/bind/lane_target.h"
#include "host/bind/lane_thread.h"
#include "wire/lane_layout.h"

namespace bitbridge {
namespace {

constexpr uint32_t kArea = 4096;

// Serves method 0 of host.capnp's Host (info: no params, results (info :HostInfo)): fills in a
// pid, so that an answer can be told from a default.
class FakeTarget final : public LaneTarget {
 public:
  capnp::InterfaceSchema laneSchema() const override {
    return capnp::Schema::from<proto::Host>();
  }
  bool laneCallable(uint16_t index) const override { return index == 0; }
  void laneCall(uint16_t, capnp::DynamicStruct::Reader,
                capnp::DynamicStruct::Builder results) override {
    ++calls;
    results.init("info").as<capnp::DynamicStruct>().set("pid", 4242);
  }
  const std::string& lanePath() const override { return path_; }
  int calls = 0;

 private:
  std::string path_ = "fake";
};

class LaneThreadTest : public ::testing::Test {
 protected:
  LaneThreadTest() {
    segment = BulkSegment::create(laneSlotBytes(kArea, kArea), BulkOptions{});
    segment->removeName();
    view = segment->view(0, laneSlotBytes(kArea, kArea), "test");
    slot = reinterpret_cast<LaneSlotLayout*>(view.data());
    writeHeader(kArea, kArea);
    requestBell = std::make_unique<LaneDoorbell>(slot->control.request, segment->name(),
                                                 "request", LaneDoorbell::End::Client);
  }
  void writeHeader(uint32_t paramBytes, uint32_t resultBytes) {
    LaneHeader header{};
    std::memcpy(header.magic, kLaneMagic, 8);
    header.version = kLaneVersion;
    header.areasOffset = kLaneAreasOffset;
    header.paramBytes = paramBytes;
    header.resultBytes = resultBytes;
    std::memcpy(&slot->header, &header, sizeof header);
  }
  capnp::word* params() { return reinterpret_cast<capnp::word*>(view.data() + kLaneAreasOffset); }
  std::string answerText() {
    return std::string(reinterpret_cast<const char*>(view.data() + kLaneAreasOffset + kArea),
                       slot->control.resultBytes);
  }
  // Posts a call as a client would and waits (at most 5 s) for its answer.
  bool call(uint32_t binding, uint16_t method, uint32_t words) {
    auto& control = slot->control;
    control.binding = binding;
    control.method = method;
    control.paramWords = words;
    uint32_t seq = ++seq_;
    control.request.store(seq, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (control.hostParked.load() != 0) requestBell->wake();
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (control.reply.load(std::memory_order_acquire) != seq) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::yield();
    }
    return true;
  }
  bool goodCall() {
    std::memset(static_cast<void*>(params()), 0, 8);  // one word: a null root pointer, an empty params struct
    return call(binding, 0, 1);
  }
  void expectRefused(const char* what) {
    EXPECT_EQ(slot->control.status, static_cast<uint32_t>(LaneStatus::Failed)) << what;
    std::string text = answerText();
    EXPECT_NE(text.find("malformed-peer"), std::string::npos) << what << ": " << text;
  }
  void expectAnswered() {
    EXPECT_EQ(slot->control.status, static_cast<uint32_t>(LaneStatus::Ok));
    EXPECT_GT(slot->control.resultBytes, 0u);
  }
  std::unique_ptr<LaneThread> startLane() {
    auto lane = std::make_unique<LaneThread>(segment, logger);
    binding = lane->add(capnp::Capability::Client(nullptr), target);
    return lane;
  }

  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>("lane-test");
  std::shared_ptr<BulkSegment> segment;
  std::unique_ptr<LaneDoorbell> requestBell;  // the client's end, as ClientLane has it
  BulkView view;
  LaneSlotLayout* slot;
  FakeTarget target;
  uint32_t binding = 0;
  uint32_t seq_ = 0;
};

TEST_F(LaneThreadTest, AnswersAGoodCall) {
  auto lane = startLane();
  ASSERT_TRUE(goodCall());
  expectAnswered();
  EXPECT_EQ(target.calls, 1);
}

TEST_F(LaneThreadTest, RefusesBadCallsAndServesOn) {
  auto lane = startLane();
  ASSERT_TRUE(call(binding + 7, 0, 1));
  expectRefused("unknown binding");
  ASSERT_TRUE(call(0, 0, 1));
  expectRefused("binding 0");
  ASSERT_TRUE(call(binding, 5, 1));
  expectRefused("method that is not a lane method");
  ASSERT_TRUE(call(binding, 0, 0));
  expectRefused("no words");
  ASSERT_TRUE(call(binding, 0, kArea / 8 + 1));
  expectRefused("more words than the area");
  ASSERT_TRUE(call(binding, 0, 0xFFFFFFFFu));
  expectRefused("2^32 - 1 words");
  // Garbage params: a far pointer into a segment that does not exist, then random words.
  std::memset(static_cast<void*>(params()), 0xFF, 64 * 8);
  ASSERT_TRUE(call(binding, 0, 64));
  expectRefused("garbage params");
  EXPECT_EQ(target.calls, 0);  // nothing bad reached the library
  ASSERT_TRUE(goodCall());
  expectAnswered();
  EXPECT_EQ(target.calls, 1);
}

TEST_F(LaneThreadTest, CallsPostedFasterThanAnsweredDoNotHurtIt) {
  auto lane = startLane();
  auto& control = slot->control;
  std::memset(static_cast<void*>(params()), 0, 8);
  control.binding = binding;
  control.method = 0;
  control.paramWords = 1;
  for (int i = 0; i < 10000; ++i) {
    control.request.store(++seq_, std::memory_order_release);
    if (control.hostParked.load() != 0) requestBell->wake();
  }
  ASSERT_TRUE(goodCall());  // the lane answers the latest call it sees
  expectAnswered();
}

TEST_F(LaneThreadTest, ASilentClientCostsNothingAndTheLaneStopsPromptly) {
  auto lane = startLane();
  // Asleep on the futex, not spinning, once its 50 us of polling are over (on a loaded machine
  // the thread may take a while to be scheduled at all: up to 2 s).
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (slot->control.hostParked.load() == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(slot->control.hostParked.load(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(slot->control.hostParked.load(), 1u);  // and stays asleep
  auto began = std::chrono::steady_clock::now();
  EXPECT_FALSE(lane->stopOrAbandon());
  lane.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(500));
}

TEST_F(LaneThreadTest, RefusesBadHeaders) {
  auto refused = [&](const char* what) {
    try {
      LaneThread lane(segment, logger);
      ADD_FAILURE() << what << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::MalformedPeer) << what << ": " << e.what();
    }
  };
  slot->header.magic[0] = 'X';
  refused("a bad magic");
  writeHeader(kArea, kArea);
  slot->header.version = 99;
  refused("another version");
  writeHeader(kArea * 2, kArea);
  refused("areas larger than the segment");
  writeHeader(kArea + 4, kArea - 4);
  refused("areas that are not whole words");
  writeHeader(1024, kArea);
  refused("an area below the minimum");
  writeHeader(0xFFFFFFF8u, 0xFFFFFFF8u);
  refused("areas whose sum wraps around 32 bits");
}

}  // namespace
}  // namespace bitbridge
