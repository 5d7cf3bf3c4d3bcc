// wide-math-demo: a 32-bit program offloading memory-hungry work to a 64-bit host.
//
// The 32-bit client keeps running as it is and moves just the piece that needs more than
// 4 GiB of address space into the wide_math component, which the component's header (ELF or
// PE) sends to a private bitbridge-host64. The same source is the Windows demo
// (wide-math-demo.exe -> libwide_math_component.dll in bitbridge-host64.exe).
//
//   wide-math-demo [path/to/libwide_math_component.so|.dll]
//
// Default component path: WIDE_MATH_COMPONENT, the stage path set by CMake. The answers that
// do not depend on the machine are checked: exits 1 if any is wrong, so the test suite runs
// it as it is.
#include <unistd.h>  // getpid: POSIX, and mingw-w64's unistd.h has it too

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include <bitbridge/host.h>

#include "address_space.h"
#include "wide_math.capnp.h"

#ifndef WIDE_MATH_COMPONENT
#error "WIDE_MATH_COMPONENT must be defined (path of libwide_math_component.so)"
#endif

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

/// The component's reserve, tried in this process: "ok" or why not.
std::string reserveHere(uint64_t bytes) {
  if (bytes > std::numeric_limits<size_t>::max()) {
    return "impossible: " + std::to_string(bytes) + " bytes do not fit a " +
           std::to_string(sizeof(size_t) * 8) + "-bit size_t";
  }
  std::string why = wide_math_example::tryReserveAddressSpace(bytes);
  return why.empty() ? std::string("ok") : "failed: " + why;
}

int failures = 0;

/// Prints what was wrong, counts it; main() exits 1 if anything was.
void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("WRONG: %s\n", what);
    ++failures;
  }
}

void exercise(bitbridge::Host& host, wide_math::WideMath::Client math) {
  auto component = host.wait(math.infoRequest().send());
  std::printf("component: %u-bit in host pid %u\n", unsigned(component.getPointerBits()),
              unsigned(component.getHostPid()));
  check(component.getPointerBits() == 64, "the component is 64-bit");
  check(component.getHostPid() == host.pid(), "the component runs in the spawned host");

  // 3 GiB is a real reservation that a 32-bit process cannot satisfy (not checked: how much a
  // 32-bit process gets depends on the OS); 6 GiB cannot even be asked for.
  for (uint64_t gib : {uint64_t{3}, uint64_t{6}}) {
    std::string here = reserveHere(gib * kGiB);
    std::printf("client: reserve %llu GiB here: %s\n", static_cast<unsigned long long>(gib),
                here.c_str());
    if (gib == 6 && sizeof(size_t) == 4) {
      check(here.compare(0, 10, "impossible") == 0, "6 GiB do not fit a 32-bit size_t");
    }
  }
  auto request = math.reserveRequest();
  request.setBytes(6 * kGiB);
  auto reserved = host.wait(request.send());
  std::printf("host: reserve 6 GiB there: ok (%llu bytes in a %u-bit process)\n",
              static_cast<unsigned long long>(reserved.getReserved()),
              unsigned(reserved.getPointerBits()));
  check(reserved.getReserved() == 6 * kGiB && reserved.getPointerBits() == 64,
        "the host reserved 6 GiB in a 64-bit process");

  auto sum = math.sumOfSquaresRequest();
  constexpr unsigned kCount = 1000;
  auto values = sum.initValues(kCount);
  for (unsigned i = 0; i < kCount; ++i) {
    values.set(i, i + 1.0);
  }
  double result = host.wait(sum.send()).getSum();
  std::printf("host: sumOfSquares(1..%u) = %.0f\n", kCount, result);
  // n(n + 1)(2n + 1) / 6, exact in a double at this size.
  check(result == double(kCount) * (kCount + 1) * (2 * kCount + 1) / 6, "sumOfSquares");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    bitbridge::Runtime runtime;
    bitbridge::HostOptions options;
    options.component = argc > 1 ? argv[1] : WIDE_MATH_COMPONENT;

    std::printf("client: %u-bit pid %u\n", unsigned(sizeof(void*) * 8), unsigned(getpid()));
    auto host = bitbridge::Host::spawn(runtime, options);
    auto info = host.info();
    std::printf("host: %u-bit pid %u (%s, %s)\n", info.pointerBits, unsigned(info.pid),
                std::string(bitbridge::archName(info.arch)).c_str(), info.os.c_str());

    exercise(host, host.activate<wide_math::WideMath>("wide-math"));

    host.shutdown();
    std::printf("host shut down\n");
    if (failures != 0) {
      std::printf("%d wrong answer(s)\n", failures);
      return 1;
    }
    std::printf("all answers right\n");
    return 0;
  } catch (const std::exception& e) {  // bitbridge::Error too: its what() names cause and fix
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const kj::Exception& e) {  // not expected (Host::wait translates); never uncaught
    std::fprintf(stderr, "error: %s\n", e.getDescription().cStr());
    return 1;
  }
}
