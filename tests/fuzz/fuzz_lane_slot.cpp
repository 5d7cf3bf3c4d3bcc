// Fuzz target: a fast lane's call slot as a hostile client writes it (host/bind/lane_thread.h,
// wire/lane_layout.h): the header the host validates once, then calls posted one after another
// with whatever binding, method, word count and parameter bytes the client likes, each served by
// the real lane thread against a stand-in library (host.capnp's Host interface as its schema,
// whose laneCall reads every field of the params it is given).
//
// Input layout (little-endian; missing bytes read as zero):
//   [0, 64)       the LaneHeader as the client wrote it (the segment has 4 KiB areas)
//   [64, 4160)    the parameters area's bytes, as the client left them
//   [4160, ...)   calls of 12 bytes each: binding (u32), method (u16), unused (u16),
//                 paramWords (u32); at most 64 calls
// A header the host refuses must be an Error; every call must be answered (within 5 s) with a
// status of Ok (results a readable message inside the area) or Failed (an encoded error inside
// the area). Anything else (a crash, an access outside the mapping, a hang, a bad answer:
// abort) is a finding. Linux only, as the lane is.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <capnp/serialize.h>
#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "bitbridge/host.capnp.h"
#include "common/bulk/bulk_segment.h"
#include "common/transport/lane_wait.h"
#include "host/bind/lane_target.h"
#include "host/bind/lane_thread.h"
#include "wire/lane_layout.h"

namespace {

using namespace bitbridge;

constexpr uint32_t kArea = 4096;
constexpr size_t kCallsAt = 64 + kArea;
constexpr size_t kCallBytes = 12;
constexpr size_t kMaxCalls = 64;

uint64_t readLe(const uint8_t* input, size_t size, size_t offset, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    uint64_t byte = offset + i < size ? input[offset + i] : 0;
    value |= byte << (8 * i);
  }
  return value;
}

[[noreturn]] void violated(const char* what, uint64_t a) {
  std::fprintf(stderr, "fuzz_lane_slot: %s (%llu)\n", what, static_cast<unsigned long long>(a));
  std::abort();
}

// Reads everything in the params it is handed (text, lists, nested structs), as a conversion
// would, and answers method 0 with a value.
class ReadingTarget final : public LaneTarget {
 public:
  capnp::InterfaceSchema laneSchema() const override {
    return capnp::Schema::from<proto::Host>();
  }
  bool laneCallable(uint16_t index) const override {
    return index < capnp::Schema::from<proto::Host>().getMethods().size();
  }
  void laneCall(uint16_t index, capnp::DynamicStruct::Reader params,
                capnp::DynamicStruct::Builder results) override {
    auto text = kj::str(params);  // walks every field
    if (index == 0) {
      results.init("info").as<capnp::DynamicStruct>().set("pid", static_cast<uint32_t>(text.size()));
    }
  }
  const std::string& lanePath() const override { return path_; }

 private:
  std::string path_ = "fuzz";
};

std::shared_ptr<spdlog::logger> quietLogger() {
  static auto logger = std::make_shared<spdlog::logger>("fuzz-lane");  // no sinks
  return logger;
}

void run(const uint8_t* input, size_t size) {
  auto segment = BulkSegment::create(laneSlotBytes(kArea, kArea), BulkOptions{});
  segment->removeName();
  BulkView view = segment->view(0, laneSlotBytes(kArea, kArea), "fuzz");
  std::memcpy(view.data(), input, size < 64 ? size : 64);
  if (size > 64) {
    size_t area = size - 64 < kArea ? size - 64 : kArea;
    std::memcpy(view.data() + kLaneAreasOffset, input + 64, area);
  }
  auto* control = &reinterpret_cast<LaneSlotLayout*>(view.data())->control;
  LaneDoorbell requestBell(control->request, segment->name(), "request",
                           LaneDoorbell::End::Client);
  ReadingTarget target;
  std::unique_ptr<LaneThread> lane;
  try {
    lane = std::make_unique<LaneThread>(segment, quietLogger());
  } catch (const Error&) {
    return;  // a header the host refuses: fine
  }
  lane->add(capnp::Capability::Client(nullptr), target);
  size_t calls = size > kCallsAt ? (size - kCallsAt) / kCallBytes : 0;
  if (calls > kMaxCalls) calls = kMaxCalls;
  for (size_t i = 0; i < calls; ++i) {
    size_t at = kCallsAt + i * kCallBytes;
    control->binding = static_cast<uint32_t>(readLe(input, size, at, 4));
    control->method = static_cast<uint16_t>(readLe(input, size, at + 4, 2));
    control->paramWords = static_cast<uint32_t>(readLe(input, size, at + 8, 4));
    uint32_t seq = static_cast<uint32_t>(i + 1);
    control->request.store(seq, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (control->hostParked.load() != 0) requestBell.wake();
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (control->reply.load(std::memory_order_acquire) != seq) {
      if (std::chrono::steady_clock::now() > until) violated("the lane stopped answering", seq);
      std::this_thread::yield();
    }
    uint32_t bytes = control->resultBytes;
    if (bytes > kArea) violated("answer larger than the results area", bytes);
    const kj::byte* results = view.data() + kLaneAreasOffset + kArea;
    if (control->status == static_cast<uint32_t>(LaneStatus::Ok)) {
      if (bytes % 8 != 0 || bytes == 0) violated("results that are not whole words", bytes);
      capnp::FlatArrayMessageReader reader(
          kj::arrayPtr(reinterpret_cast<const capnp::word*>(results), bytes / 8));
      (void)reader.getRoot<capnp::AnyPointer>().targetSize();
    } else if (control->status == static_cast<uint32_t>(LaneStatus::Failed)) {
      if (std::string(reinterpret_cast<const char*>(results), bytes).rfind("bitbridge:", 0) != 0) {
        violated("a failure that is not an encoded error", bytes);
      }
    } else {
      violated("an unknown status", control->status);
    }
  }
  if (lane->stopOrAbandon()) violated("the lane was still inside a call at the end", 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run(data, size);
  return 0;
}
