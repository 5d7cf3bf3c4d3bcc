// The bitbridge component that wraps the 32-bit legacy_calc library. It is built 32-bit and
// loaded by bitbridge-host32; the 64-bit demo reaches it as a Cap'n Proto capability.
//
// All the wrapping is here: Cap'n Proto types in, C types to the library, status codes turned
// into exceptions whose description is the library's own message (calc_strerror), so that the
// client's bitbridge::Error says what the library said.
//
// Lifetime: one CalcImpl per activation, owning one calc_handle; the handle (and its running
// total) lives exactly as long as the client holds the capability.
// Threading: created and called on the host's RPC thread only, which matches the library's
// one-thread-per-handle rule.
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <vector>

#include <bitbridge/component.h>
#include <kj/exception.h>
#include <kj/string.h>

#include "calc.capnp.h"
#include "legacy_calc.h"

namespace {

/// Throws a FAILED exception for a library status code. FAILED crosses RPC with only the
/// description kept, which the client turns into bitbridge::Error{Remote} with this text.
[[noreturn]] void throwCalcError(const char* function, int32_t code) {
  // kj::Exception directly, not KJ_EXCEPTION: that macro formats its arguments as
  // "expression = value" debug pairs, and the text here is for people.
  kj::throwFatalException(kj::Exception(
      kj::Exception::Type::FAILED, __FILE__, __LINE__,
      kj::str("legacy_calc: ", function, " failed: ", calc_strerror(code), " (code ", code, ")")));
}

void check(const char* function, int32_t code) {
  if (code != CALC_OK) {
    throwCalcError(function, code);
  }
}

std::vector<double> toVector(capnp::List<double>::Reader list) {
  std::vector<double> values;
  values.reserve(list.size());
  for (double value : list) {
    values.push_back(value);
  }
  return values;
}

}  // namespace

class CalcImpl final : public legacy_calc::Calc::Server {
 public:
  CalcImpl() : handle_(nullptr, &calc_close) {
    calc_handle* raw = nullptr;
    check("calc_open", calc_open("legacy-calc", &raw));
    handle_.reset(raw);
  }

 protected:
  kj::Promise<void> add(AddContext context) override {
    auto params = context.getParams();
    int32_t sum = 0;
    check("calc_add", calc_add(handle(), params.getA(), params.getB(), &sum));
    context.getResults().setSum(sum);
    return kj::READY_NOW;
  }

  kj::Promise<void> divide(DivideContext context) override {
    auto params = context.getParams();
    int32_t quotient = 0;
    check("calc_divide", calc_divide(handle(), params.getA(), params.getB(), &quotient));
    context.getResults().setQuotient(quotient);
    return kj::READY_NOW;
  }

  kj::Promise<void> accumulate(AccumulateContext context) override {
    int64_t total = 0;
    check("calc_accumulate", calc_accumulate(handle(), context.getParams().getValue(), &total));
    context.getResults().setTotal(total);
    return kj::READY_NOW;
  }

  kj::Promise<void> total(TotalContext context) override {
    int64_t total = 0;
    check("calc_total", calc_total(handle(), &total));
    context.getResults().setTotal(total);
    return kj::READY_NOW;
  }

  kj::Promise<void> mean(MeanContext context) override {
    // Copied out of the message: the library wants a contiguous double array, and a Cap'n
    // Proto list is only that by accident of layout.
    std::vector<double> values = toVector(context.getParams().getValues());
    double mean = 0.0;
    check("calc_mean", calc_mean(handle(), values.data(), static_cast<uint32_t>(values.size()),
                                 &mean));
    context.getResults().setMean(mean);
    return kj::READY_NOW;
  }

  kj::Promise<void> scale(ScaleContext context) override {
    auto params = context.getParams();
    std::vector<double> values = toVector(params.getValues());
    auto count = static_cast<uint32_t>(values.size());
    // In place (in == out), the library's documented cheap mode.
    check("calc_scale", calc_scale(handle(), values.data(), values.data(), count,
                                   params.getFactor()));
    auto scaled = context.getResults().initScaled(count);
    for (uint32_t i = 0; i < count; ++i) {
      scaled.set(i, values[i]);
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> greet(GreetContext context) override {
    const char* name = context.getParams().getName().cStr();  // Text is NUL-terminated
    // The library's "call twice" protocol: try a typical size, grow to what it asks for.
    std::vector<char> buffer(64);
    uint32_t required = 0;
    int32_t rc = calc_greet(handle(), name, buffer.data(), static_cast<uint32_t>(buffer.size()),
                            &required);
    if (rc == CALC_E_BUFFER && required > buffer.size()) {
      buffer.resize(required);
      rc = calc_greet(handle(), name, buffer.data(), required, &required);
    }
    check("calc_greet", rc);
    context.getResults().setGreeting(buffer.data());
    return kj::READY_NOW;
  }

  kj::Promise<void> libraryInfo(LibraryInfoContext context) override {
    auto results = context.getResults();
    results.setPointerBits(static_cast<uint8_t>(calc_pointer_bits()));
    results.setVersion(calc_version());
    results.setHostPid(static_cast<uint32_t>(getpid()));
    return kj::READY_NOW;
  }

 private:
  calc_handle* handle() { return handle_.get(); }

  std::unique_ptr<calc_handle, void (*)(calc_handle*)> handle_;
};

BITBRIDGE_COMPONENT(bitbridge::serve<CalcImpl>("legacy-calc"))
