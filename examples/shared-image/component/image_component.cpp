// The 32-bit half of shared-image: processes an image that lives in a shared-memory buffer the
// 64-bit client allocated. Built 32-bit and loaded by bitbridge-host32, like a component that
// wraps a 32-bit imaging library would be.
//
// A 32-bit process cannot map a large buffer at once (the default window is 256 MiB), so it
// streams through it with forEachWindow: each window is mapped, processed in place, unmapped.
// The host's own memory stays about one window, whatever the size of the image.
//
// Lifetime: one ImageImpl per activation; it holds no state.
// Threading: created and called on the host's RPC thread only.
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include <bitbridge/bulk.h>
#include <bitbridge/component.h>
#include <kj/exception.h>
#include <kj/string.h>

#include "image.capnp.h"
#include "process_memory.h"

namespace {

/// kj::Exception directly, not KJ_EXCEPTION: that macro formats its arguments as
/// "expression = value" debug pairs, and the text here is for people.
template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                        kj::str(kj::fwd<Parts>(parts)...)));
}


/// RGBA bytes in memory are R | G << 8 | B << 16 | A << 24 as a little-endian UInt32.
constexpr uint32_t kColourBits = 0x00FFFFFFu;

void invertPixels(kj::ArrayPtr<uint32_t> pixels) {
  for (uint32_t& pixel : pixels) pixel ^= kColourBits;
}

}  // namespace

class ImageImpl final : public shared_image::Image::Server {
 public:
  explicit ImageImpl(bitbridge::ComponentContext& context) : context_(context) {}

 protected:
  kj::Promise<void> invert(InvertContext context) override {
    auto params = context.getParams();
    auto ref = bitbridge::fromWire(params.getPixels());
    uint64_t expected = uint64_t{params.getWidth()} * params.getHeight() * 4;
    if (ref.length != expected) {
      fail("image: a ", params.getWidth(), "x", params.getHeight(), " RGBA image is ", expected,
           " bytes, but the reference covers ", ref.length);
    }
    if (ref.offset % 4 != 0) {
      fail("image: pixels must start at a 4-byte aligned offset, not ", ref.offset);
    }
    auto start = std::chrono::steady_clock::now();
    uint32_t windows = 0;
    uint64_t largest = 0;
    // Window sizes are multiples of the page size, so every window holds whole pixels.
    context_.bulk().forEachWindow(ref, 0, [&](bitbridge::BulkView& window, uint64_t) {
      invertPixels(window.as<uint32_t>());
      ++windows;
      if (window.size() > largest) largest = window.size();
    });
    std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    auto results = context.getResults();
    results.setWindows(windows);
    results.setWindowBytes(largest);
    results.setSeconds(seconds.count());
    results.setPeakKiB(bitbridge_examples::peakResidentKiB());
    return kj::READY_NOW;
  }

 private:
  bitbridge::ComponentContext& context_;
};

BITBRIDGE_COMPONENT(bitbridge::serve<ImageImpl>("image"))
