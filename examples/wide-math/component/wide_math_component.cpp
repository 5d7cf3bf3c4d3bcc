// The bitbridge component a 32-bit program offloads to: built 64-bit and loaded by
// bitbridge-host64, so it has the address space the 32-bit client lacks.
//
// Lifetime: one WideMathImpl per activation; it holds no state.
// Threading: created and called on the host's RPC thread only.
#include <unistd.h>  // getpid: POSIX, and mingw-w64's unistd.h has it too

#include <cstdint>
#include <limits>
#include <string>

#include <bitbridge/component.h>
#include <kj/exception.h>
#include <kj/string.h>

#include "address_space.h"
#include "wide_math.capnp.h"

namespace {

constexpr uint8_t kPointerBits = static_cast<uint8_t>(sizeof(void*) * 8);

/// kj::Exception directly, not KJ_EXCEPTION: that macro formats its arguments as
/// "expression = value" debug pairs, and the text here is for people.
template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                        kj::str(kj::fwd<Parts>(parts)...)));
}

}  // namespace

class WideMathImpl final : public wide_math::WideMath::Server {
 protected:
  kj::Promise<void> info(InfoContext context) override {
    auto results = context.getResults();
    results.setPointerBits(kPointerBits);
    results.setHostPid(static_cast<uint32_t>(getpid()));
    return kj::READY_NOW;
  }

  kj::Promise<void> sumOfSquares(SumOfSquaresContext context) override {
    double sum = 0.0;
    for (double value : context.getParams().getValues()) {
      sum += value * value;
    }
    context.getResults().setSum(sum);
    return kj::READY_NOW;
  }

  kj::Promise<void> reserve(ReserveContext context) override {
    uint64_t bytes = context.getParams().getBytes();
    if (bytes == 0) {
      fail("wide-math: reserve needs at least 1 byte");
    }
    // The wire size is UInt64; this process's size_t may be narrower if the component is ever
    // built 32-bit, and a silent truncation would "succeed" with the wrong size.
    if (bytes > std::numeric_limits<size_t>::max()) {
      fail("wide-math: cannot reserve ", bytes, " bytes in a ", kPointerBits, "-bit process");
    }
    // Address space only, no memory committed, so this is cheap and safe to demonstrate with
    // sizes far beyond RAM.
    std::string why = wide_math_example::tryReserveAddressSpace(bytes);
    if (!why.empty()) {
      fail("wide-math: reserving ", bytes, " bytes failed: ", why);
    }
    auto results = context.getResults();
    results.setReserved(bytes);
    results.setPointerBits(kPointerBits);
    return kj::READY_NOW;
  }
};

BITBRIDGE_COMPONENT(bitbridge::serve<WideMathImpl>("wide-math"))
