// The 64-bit half of bigmem-offload: sorts keys that live in a shared-memory buffer larger
// than a 32-bit process can map. Built 64-bit (libbigmem_component.so on Linux,
// libbigmem_component.dll on Windows) and loaded by bitbridge-host64.
//
// The whole buffer is mapped at once (one view: this process is 64-bit) and sorted in place by
// an LSD radix sort that needs a scratch buffer of the same size, allocated privately here. So
// the host's working set is twice the key array; the 32-bit client only ever maps a window.
//
// Lifetime: one BigMemImpl per activation; it holds no state.
// Threading: called on the host's RPC thread; a sort runs on that thread plus worker threads
// that are joined before the call returns.
#include <unistd.h>  // getpid (mingw-w64 has it too)

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include <bitbridge/bulk.h>
#include <bitbridge/component.h>
#include <kj/exception.h>
#include <kj/string.h>
#include <spdlog/logger.h>

#include "bigmem.capnp.h"
#include "radix_sort.h"
#include "process_memory.h"
#include "scratch_buffer.h"

static_assert(sizeof(void*) == 8, "bigmem_component maps buffers beyond 4 GiB: build it 64-bit");

namespace {

constexpr unsigned kDigitBits = 8;  // 4 passes: the sorted keys end up back in the buffer
using Sorter = bigmem::RadixSorter<kDigitBits>;

/// kj::Exception directly, not KJ_EXCEPTION: that macro formats its arguments as
/// "expression = value" debug pairs, and the text here is for people.
template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                        kj::str(kj::fwd<Parts>(parts)...)));
}

}  // namespace

class BigMemImpl final : public bigmem::BigMem::Server {
 public:
  explicit BigMemImpl(bitbridge::ComponentContext& context) : context_(context) {}

 protected:
  kj::Promise<void> sort(SortContext context) override {
    auto ref = bitbridge::fromWire(context.getParams().getKeys());
    if (ref.offset % sizeof(uint32_t) != 0 || ref.length % sizeof(uint32_t) != 0) {
      fail("bigmem: sort needs whole UInt32 keys at a 4-byte aligned offset (got offset ",
           ref.offset, ", length ", ref.length, ")");
    }
    auto start = std::chrono::steady_clock::now();
    bitbridge::BulkView keys = context_.bulk().view(ref);  // all of it: this process is 64-bit
    bigmem::ScratchBuffer scratch(keys.size());
    unsigned threads = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    Sorter::sort(keys.as<uint32_t>().begin(), scratch.data(), keys.size() / sizeof(uint32_t), threads);
    std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    context_.logger().info("bigmem: sorted {} keys in {:.1f} s", keys.size() / 4, seconds.count());

    auto results = context.getResults();
    results.setSeconds(seconds.count());
    results.setPasses(Sorter::kPasses);
    results.setDigitBits(kDigitBits);
    results.setThreads(threads);
    results.setScratchBytes(keys.size());
    return kj::READY_NOW;
  }

  kj::Promise<void> memory(MemoryContext context) override {
    auto results = context.getResults();
    results.setPid(static_cast<uint32_t>(getpid()));
    results.setPointerBits(static_cast<uint8_t>(sizeof(void*) * 8));
    results.setPeakKiB(bitbridge_examples::peakResidentKiB());
    results.setResidentKiB(bitbridge_examples::residentKiB());
    return kj::READY_NOW;
  }

 private:
  bitbridge::ComponentContext& context_;
};

BITBRIDGE_COMPONENT(bitbridge::serve<BigMemImpl>("bigmem"))
