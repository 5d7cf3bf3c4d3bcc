// The bulk bench component (class "bulk-bench"), built 32-bit for bitbridge-bulk-bench: the
// host side of handing a buffer over by reference (touch) and by copy (put/get).
//
// Threading: created and called on the host's RPC thread only.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include <bitbridge/bulk.h>
#include <bitbridge/component.h>
#include <kj/exception.h>
#include <kj/string.h>

#include "bulk_bench.capnp.h"

namespace {

template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                        kj::str(kj::fwd<Parts>(parts)...)));
}

class BulkBenchImpl final : public bitbridge_bulk_bench::BulkBench::Server {
 public:
  explicit BulkBenchImpl(bitbridge::ComponentContext& context) : context_(context) {}

 protected:
  kj::Promise<void> touch(TouchContext context) override {
    auto ref = bitbridge::fromWire(context.getParams().getData());
    uint64_t sum = 0;
    uint32_t windows = 0;
    context_.bulk().forEachWindow(ref, 0, [&](bitbridge::BulkView& window, uint64_t) {
      const volatile kj::byte* bytes = window.data();
      sum += bytes[0];
      sum += bytes[window.size() - 1];
      ++windows;
    });
    context.getResults().setSum(sum);
    context.getResults().setWindows(windows);
    return kj::READY_NOW;
  }

  kj::Promise<void> reserve(ReserveContext context) override {
    uint64_t bytes = context.getParams().getBytes();
    uint32_t chunk = context.getParams().getChunkBytes();
    if (chunk == 0) fail("bulk-bench: reserve needs a chunk size");
    chunks_.clear();
    chunkBytes_ = chunk;
    for (uint64_t done = 0; done < bytes; done += chunk) {
      // Touched now, so that the timed puts measure copies, not first-touch page faults.
      chunks_.emplace_back(static_cast<size_t>(std::min<uint64_t>(chunk, bytes - done)), kj::byte{0});
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> put(PutContext context) override {
    auto data = context.getParams().getData();
    std::vector<kj::byte>& chunk = chunkAt(context.getParams().getOffset(), data.size());
    std::memcpy(chunk.data(), data.begin(), data.size());
    return kj::READY_NOW;
  }

  kj::Promise<void> get(GetContext context) override {
    uint32_t length = context.getParams().getLength();
    std::vector<kj::byte>& chunk = chunkAt(context.getParams().getOffset(), length);
    auto data = context.getResults().initData(length);
    std::memcpy(data.begin(), chunk.data(), length);
    return kj::READY_NOW;
  }

  kj::Promise<void> release(ReleaseContext) override {
    chunks_.clear();
    chunks_.shrink_to_fit();
    return kj::READY_NOW;
  }

 private:
  std::vector<kj::byte>& chunkAt(uint64_t offset, size_t length) {
    uint64_t index = chunkBytes_ == 0 ? 0 : offset / chunkBytes_;
    if (chunkBytes_ == 0 || offset % chunkBytes_ != 0 || index >= chunks_.size() ||
        length > chunks_[index].size()) {
      fail("bulk-bench: ", length, " bytes at ", offset, " are not one chunk of the reserved buffer");
    }
    return chunks_[static_cast<size_t>(index)];
  }

  bitbridge::ComponentContext& context_;
  uint32_t chunkBytes_ = 0;
  std::vector<std::vector<kj::byte>> chunks_;
};

}  // namespace

BITBRIDGE_COMPONENT(bitbridge::serve<BulkBenchImpl>("bulk-bench"))
