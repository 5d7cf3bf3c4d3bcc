// legacy-calc-bind-demo: a 64-bit program calling the 32-bit legacy_calc library with no
// component at all: the schema calc.capnp says how each C function is called, Host::bind does
// the rest in a bitbridge-host32 (picked from the library's ELF or PE header). The same source
// is the Windows demo (legacy-calc-bind-demo.exe binding the 32-bit liblegacy_calc.dll).
//
//   legacy-calc-bind-demo [path/to/liblegacy_calc.so|.dll]
//
// Exits 1 if any answer is wrong, so the test suite runs it as it is.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <bitbridge/host.h>

#include "calc.capnp.h"

#ifndef LEGACY_CALC_LIBRARY
#error "LEGACY_CALC_LIBRARY must be defined (path of the 32-bit liblegacy_calc.so or .dll)"
#endif

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("WRONG: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string library = argc > 1 ? argv[1] : LEGACY_CALC_LIBRARY;
  try {
    bitbridge::Runtime runtime;
    bitbridge::HostOptions options;
    options.legacyLibrary = library;  // its header picks the host: bitbridge-host32
    bitbridge::Host host = bitbridge::Host::spawn(runtime, options);
    {
      auto calc = host.bind<legacy_calc_bind::LegacyCalc>(library);

      auto bits = host.wait(calc.pointerBitsRequest().send()).getResult();
      auto version = host.wait(calc.versionRequest().send());
      std::printf("library: %d-bit legacy_calc %s, bound from its schema in host pid %u\n",
                  int(bits), version.getResult().cStr(), unsigned(host.pid()));
      check(bits == 32, "the library is 32-bit");

      auto open = calc.openRequest();
      open.setName("demo");
      auto opened = host.wait(open.send());
      uint64_t handle = opened.getHandle();  // a token: the host keeps the calc_handle*
      check(opened.getResult() == 0 && handle != 0, "calc_open");

      auto add = calc.addRequest();
      add.setHandle(handle);
      add.setA(2);
      add.setB(40);
      auto sum = host.wait(add.send()).getSum();
      std::printf("add(2, 40) = %d\n", int(sum));
      check(sum == 42, "add");

      auto divide = calc.divideRequest();
      divide.setHandle(handle);
      divide.setA(1);
      divide.setB(0);
      int32_t code = host.wait(divide.send()).getResult();
      auto message = calc.strerrorRequest();
      message.setCode(code);
      std::printf("divide(1, 0) -> error %d: %s\n", int(code),
                  host.wait(message.send()).getResult().cStr());
      check(code == 3, "divide by zero reports CALC_E_DIVZERO");

      auto mean = calc.meanRequest();
      mean.setHandle(handle);
      auto values = mean.initValues(4);
      for (unsigned i = 0; i < 4; ++i) values.set(i, 1.0 + i);  // count is filled by the host
      double average = host.wait(mean.send()).getMean();
      std::printf("mean([1, 2, 3, 4]) = %g\n", average);
      check(average == 2.5, "mean");

      auto scale = calc.scaleRequest();
      scale.setHandle(handle);
      auto input = scale.initInput(3);
      for (unsigned i = 0; i < 3; ++i) input.set(i, 1.5 * i);
      scale.setFactor(2);
      auto scaled = host.wait(scale.send());
      std::printf("scale([0, 1.5, 3], 2) = [%g, %g, %g]\n", scaled.getOutput()[0],
                  scaled.getOutput()[1], scaled.getOutput()[2]);
      check(scaled.getOutput().size() == 3 && scaled.getOutput()[2] == 6.0, "scale");

      // A caller-allocated buffer: too small first (the library says how much it needs).
      auto greet = calc.greetRequest();
      greet.setHandle(handle);
      greet.setName("bitbridge");
      greet.setBufferSize(8);
      auto small = host.wait(greet.send());
      auto again = calc.greetRequest();
      again.setHandle(handle);
      again.setName("bitbridge");
      again.setBufferSize(small.getRequired());
      auto greeting = host.wait(again.send());
      std::printf("greet: %s (needed %u bytes)\n", greeting.getBuffer().cStr(),
                  unsigned(small.getRequired()));
      check(small.getResult() == 6 && greeting.getResult() == 0, "greet");

      auto close = calc.closeRequest();
      close.setHandle(handle);
      host.wait(close.send());
      try {
        auto late = calc.addRequest();
        late.setHandle(handle);
        host.wait(late.send());
        check(false, "a closed handle is refused");
      } catch (const bitbridge::Error& e) {
        std::printf("add after close refused before the library saw it:\n  %s\n", e.what());
      }
    }
    host.shutdown();
  } catch (const bitbridge::Error& e) {
    std::fprintf(stderr, "legacy-calc-bind-demo: %s\n", e.what());
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
