// wide-math-demo: a 32-bit program offloading memory-hungry work to a 64-bit host.
//
// The 32-bit client keeps running as it is and moves just the piece that needs more than
// 4 GiB of address space into the wide_math component, which the component's ELF header sends
// to a private bitbridge-host64.
//
//   wide-math-demo [path/to/libwide_math_component.so]
//
// Default component path: WIDE_MATH_COMPONENT, the stage path set by CMake.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include <bitbridge/host.h>

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
  void* region = mmap(nullptr, static_cast<size_t>(bytes), PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) {
    return std::string("failed: mmap: ") + std::strerror(errno);
  }
  munmap(region, static_cast<size_t>(bytes));
  return "ok";
}

void exercise(bitbridge::Host& host, wide_math::WideMath::Client math) {
  auto component = host.wait(math.infoRequest().send());
  std::printf("component: %u-bit in host pid %u\n", unsigned(component.getPointerBits()),
              unsigned(component.getHostPid()));

  // 3 GiB is a real mmap that a 32-bit process cannot satisfy; 6 GiB cannot even be asked for.
  for (uint64_t gib : {uint64_t{3}, uint64_t{6}}) {
    std::printf("client: reserve %llu GiB here: %s\n", static_cast<unsigned long long>(gib),
                reserveHere(gib * kGiB).c_str());
  }
  auto request = math.reserveRequest();
  request.setBytes(6 * kGiB);
  auto reserved = host.wait(request.send());
  std::printf("host: reserve 6 GiB there: ok (%llu bytes in a %u-bit process)\n",
              static_cast<unsigned long long>(reserved.getReserved()),
              unsigned(reserved.getPointerBits()));

  auto sum = math.sumOfSquaresRequest();
  constexpr unsigned kCount = 1000;
  auto values = sum.initValues(kCount);
  for (unsigned i = 0; i < kCount; ++i) {
    values.set(i, i + 1.0);
  }
  std::printf("host: sumOfSquares(1..%u) = %.0f\n", kCount,
              host.wait(sum.send()).getSum());
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
    return 0;
  } catch (const std::exception& e) {  // bitbridge::Error too: its what() names cause and fix
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const kj::Exception& e) {  // not expected (Host::wait translates); never uncaught
    std::fprintf(stderr, "error: %s\n", e.getDescription().cStr());
    return 1;
  }
}
