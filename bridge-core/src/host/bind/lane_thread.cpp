// lane_thread.h
#include "host/bind/lane_thread.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/debug.h>

#include "bitbridge/error.h"
#include "common/bulk/bulk_segment.h"
#include "common/transport/lane_wait.h"
#include "host/bind/lane_target.h"

namespace bitbridge {
namespace {

// Spinning gives the core away (sched_yield) after this long, so that a client sharing it can
// run; a null call is answered well before it.
constexpr auto kYieldAfter = std::chrono::microseconds(10);
// A sleeping lane thread looks at its stop flag at least this often (belt and braces: the
// destructor wakes it anyway).
constexpr auto kSleepSlice = std::chrono::microseconds(1000000);
// The results' reused first segment, at most this big (and no bigger than the results area):
// 64 KiB holds a scalar's results and an array of 8000 doubles without an allocation (and the
// zeroing calloc does); larger results spill into segments of their own.
constexpr size_t kResultScratchMaxWords = (64u << 10) / sizeof(capnp::word);

// `words` zeroed words in new memory (`backing`) that start at the same offset within a cache
// line as `like`, the slot memory they are copied from or to: memcpy between buffers aligned
// differently takes a slower path (i386 glibc shifts every 16 bytes with palignr), which made
// the copy of an array's results into the slot the host's costliest step.
kj::ArrayPtr<capnp::word> alignedLike(kj::Array<capnp::word>& backing, size_t words,
                                      const void* like) {
  constexpr size_t kLine = 64;
  constexpr size_t kSlack = kLine / sizeof(capnp::word);
  backing = kj::heapArray<capnp::word>(words + kSlack);
  std::memset(backing.begin(), 0, backing.size() * sizeof(capnp::word));
  uintptr_t want = reinterpret_cast<uintptr_t>(like) % kLine;
  size_t skip = 0;
  // Both are word-aligned, so one of the first kSlack words matches.
  while (skip < kSlack && reinterpret_cast<uintptr_t>(backing.begin() + skip) % kLine != want) {
    ++skip;
  }
  if (skip == kSlack) skip = 0;  // `like` not word-aligned: nothing to match
  return backing.slice(skip, skip + words);
}

Error badSlot(const std::string& what) {
  return Error(ErrorKind::MalformedPeer, "fast lane: " + what,
               "the client wrote a call slot that is not bitbridge's; update both sides to the "
               "same bitbridge version");
}

}  // namespace

LaneThread::LaneThread(std::shared_ptr<BulkSegment> segment,
                       std::shared_ptr<spdlog::logger> logger)
    : segment_(std::move(segment)), segmentId_(segment_->id()), logger_(std::move(logger)) {
  uint64_t size = segment_->dataBytes();
  if (size < kLaneAreasOffset) {
    throw badSlot("segment of " + std::to_string(size) + " bytes is too small for a lane");
  }
  // The header, once, from a private copy: the client could change it afterwards.
  LaneHeader header{};
  {
    BulkView head = segment_->view(0, sizeof(LaneHeader), "the fast lane's header");
    std::memcpy(&header, head.data(), sizeof header);
  }
  if (std::memcmp(header.magic, kLaneMagic, sizeof kLaneMagic) != 0) throw badSlot("bad magic");
  if (header.version != kLaneVersion) {
    throw badSlot("version " + std::to_string(header.version) + ", expected " +
                  std::to_string(kLaneVersion));
  }
  auto areaOk = [](uint32_t bytes) {
    return bytes >= kLaneMinAreaBytes && bytes <= kLaneMaxAreaBytes && bytes % 8 == 0;
  };
  if (header.areasOffset != kLaneAreasOffset || !areaOk(header.paramBytes) ||
      !areaOk(header.resultBytes) ||
      laneSlotBytes(header.paramBytes, header.resultBytes) > size) {
    throw badSlot("areas of " + std::to_string(header.paramBytes) + " + " +
                  std::to_string(header.resultBytes) + " bytes at " +
                  std::to_string(header.areasOffset) + " do not fit a segment of " +
                  std::to_string(size) + " bytes");
  }
  paramBytes_ = header.paramBytes;
  resultBytes_ = header.resultBytes;
  // Mapped whole for the lane's life (at most 128 MiB and change: fits a 32-bit host's window
  // limit, which mapView lifts for this one range).
  uint64_t slotBytes = laneSlotBytes(paramBytes_, resultBytes_);
  view_ = segment_->mapView(0, slotBytes, slotBytes, "the fast lane's slot");
  auto* slot = reinterpret_cast<LaneSlotLayout*>(view_.data());
  control_ = &slot->control;
  requestBell_ = std::make_unique<LaneDoorbell>(control_->request, segment_->name(), "request",
                                                LaneDoorbell::End::Host);
  replyBell_ = std::make_unique<LaneDoorbell>(control_->reply, segment_->name(), "reply",
                                              LaneDoorbell::End::Host);
  paramArea_ = view_.data() + kLaneAreasOffset;
  resultArea_ = paramArea_ + paramBytes_;
  params_ = alignedLike(paramsMemory_, paramBytes_ / sizeof(capnp::word), paramArea_);
  // The first segment lands in the results area after a one-word segment table (serve()).
  resultScratch_ = alignedLike(
      resultMemory_, std::min<size_t>(kResultScratchMaxWords, resultBytes_ / sizeof(capnp::word)),
      resultArea_ + sizeof(capnp::word));
  // What was last answered, read here rather than on the thread: a call posted before the
  // thread runs must count as new.
  uint32_t answered = control_->reply.load(std::memory_order_acquire);
  thread_ = std::thread([this, answered] { loop(answered); });
}

LaneThread::~LaneThread() {
  stopping_.store(true);
  requestBell_->wake();
  if (thread_.joinable()) thread_.join();
}

bool LaneThread::stopOrAbandon() {
  stopping_.store(true);
  requestBell_->wake();
  if (!busy_.load()) return false;
  thread_.detach();  // stuck in a legacy call: joining would hang the connection's end
  return true;
}

uint32_t LaneThread::add(capnp::Capability::Client keep, LaneTarget& target) {
  std::lock_guard<std::mutex> lock(bindingsMutex_);
  auto methods = target.laneSchema().getMethods();
  std::vector<capnp::InterfaceSchema::Method> table;
  for (auto method : methods) table.push_back(method);
  bindings_.push_back(Entry{kj::mv(keep), &target, std::move(table)});
  return static_cast<uint32_t>(bindings_.size());
}

void LaneThread::loop(uint32_t answered) {
  uint32_t seen = answered;
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    auto spinUntil = start + kSpin;
    uint32_t now = seen;
    for (;;) {
      if (stopping_.load(std::memory_order_relaxed)) return;
      now = control_->request.load(std::memory_order_acquire);
      if (now != seen) break;
      auto t = std::chrono::steady_clock::now();
      if (t >= spinUntil) {
        // Park: raise the flag, fence, re-check (the client stores `request`, fences, then
        // reads the flag), then sleep on the word.
        control_->hostParked.store(1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        now = control_->request.load(std::memory_order_acquire);
        if (now == seen && !stopping_.load()) requestBell_->sleep(seen, kSleepSlice);
        control_->hostParked.store(0, std::memory_order_relaxed);
        now = control_->request.load(std::memory_order_acquire);
        if (now != seen) break;
        spinUntil = std::chrono::steady_clock::now() + kSpin;
        continue;
      }
      laneSpinPause(t - start > kYieldAfter);
    }
    seen = now;
    busy_.store(true);
    serve();
    busy_.store(false);
    // Answer: the results are written; publish, fence, then wake the client if it sleeps.
    control_->reply.store(seen, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (control_->clientParked.load(std::memory_order_relaxed) != 0) replyBell_->wake();
  }
}

void LaneThread::answer(LaneStatus status, const void* bytes, uint32_t size) {
  std::memcpy(resultArea_, bytes, size);
  control_->status = static_cast<uint32_t>(status);
  control_->resultBytes = size;
}

void LaneThread::fail(const std::string& encodedError) {
  // Cut to the area (a huge message from a library is still an error, shortened).
  uint32_t size = static_cast<uint32_t>(std::min<size_t>(encodedError.size(), resultBytes_));
  answer(LaneStatus::Failed, encodedError.data(), size);
}

void LaneThread::serve() {
  // Plain fields of the client's line, read once each, after the acquire of `request`.
  uint32_t binding = control_->binding;
  uint16_t method = control_->method;
  uint32_t words = control_->paramWords;
  try {
    if (words == 0 || words > paramBytes_ / sizeof(capnp::word)) {
      throw badSlot("a call claims " + std::to_string(words) + " words of parameters; the area " +
                    "holds " + std::to_string(paramBytes_ / sizeof(capnp::word)));
    }
    LaneTarget* target = nullptr;
    std::optional<capnp::InterfaceSchema::Method> schemaMethod;  // a copy: small, no lifetime
    {
      std::lock_guard<std::mutex> lock(bindingsMutex_);
      if (binding == 0 || binding > bindings_.size()) {
        throw badSlot("no library is bound to this lane under id " + std::to_string(binding));
      }
      target = bindings_[binding - 1].target;
      if (method < bindings_[binding - 1].methods.size()) {
        schemaMethod = bindings_[binding - 1].methods[method];
      }
    }
    if (!schemaMethod || !target->laneCallable(method)) {
      throw badSlot("method " + std::to_string(method) + " of " + target->lanePath() +
                    " cannot be called through the lane");
    }
    // Copied out first: the client could change the slot while the host reads it.
    std::memcpy(params_.begin(), paramArea_, size_t{words} * sizeof(capnp::word));
    kj::ArrayPtr<const capnp::word> segments[1] = {params_.slice(0, words).asConst()};
    capnp::ReaderOptions options;
    options.traversalLimitInWords = words * 2 + 64;  // the message itself, plus a little slack
    capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1), options);
    auto params = reader.getRoot<capnp::DynamicStruct>(schemaMethod->getParamType());
    capnp::MallocMessageBuilder results(resultScratch_);
    target->laneCall(method, params,
                     results.initRoot<capnp::DynamicStruct>(schemaMethod->getResultType()));

    auto output = results.getSegmentsForOutput();
    size_t tableWords = output.size() / 2 + 1;
    size_t totalWords = tableWords;
    for (auto segment : output) totalWords += segment.size();
    if (totalWords * sizeof(capnp::word) > resultBytes_) {
      throw Error(ErrorKind::Overloaded,
                  "fast lane: the results of method " + std::string(schemaMethod->getProto().getName()) +
                      " take " + std::to_string(totalWords * sizeof(capnp::word)) +
                      " bytes; the lane's results area holds " + std::to_string(resultBytes_) +
                      " (the call itself was made)",
                  "raise HostOptions::fastLaneAreaBytes, or pass large arrays as Bulk.BulkRef "
                  "buffers (Host::allocate), which go by RPC and are not copied");
    }
    // The standard flat form (segment table, then segments): FlatArrayMessageReader reads it.
    auto* table = reinterpret_cast<uint32_t*>(resultArea_);
    std::memset(table, 0, tableWords * sizeof(capnp::word));
    table[0] = static_cast<uint32_t>(output.size() - 1);
    for (size_t i = 0; i < output.size(); ++i) table[i + 1] = static_cast<uint32_t>(output[i].size());
    kj::byte* out = resultArea_ + tableWords * sizeof(capnp::word);
    for (auto segment : output) {
      std::memcpy(out, segment.begin(), segment.size() * sizeof(capnp::word));
      out += segment.size() * sizeof(capnp::word);
    }
    control_->status = static_cast<uint32_t>(LaneStatus::Ok);
    control_->resultBytes = static_cast<uint32_t>(totalWords * sizeof(capnp::word));
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::MalformedPeer) logger_->warn("{}", error.what());
    fail(toWireDescription(error));
  } catch (const kj::Exception& exception) {
    // Thrown through throwAsKj (already encoded), or Cap'n Proto refusing the params message.
    std::string text = exception.getDescription().cStr();
    if (text.rfind("bitbridge:", 0) == 0) {
      fail(text);
    } else {
      Error error = badSlot("the parameters are not a valid message: " + text);
      logger_->warn("{}", error.what());
      fail(toWireDescription(error));
    }
  } catch (const std::exception& exception) {
    fail(toWireDescription(Error(ErrorKind::Remote, exception.what())));
  }
}

}  // namespace bitbridge
