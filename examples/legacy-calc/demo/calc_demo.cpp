// legacy-calc-demo: a 64-bit program calling the 32-bit legacy_calc library.
//
// The library cannot be loaded here (a 64-bit process cannot load a 32-bit .so), so the demo
// spawns a private bitbridge-host32 with the component that wraps it and calls it over
// Cap'n Proto RPC. The component's ELF header picks the host; nothing here says "32".
//
//   legacy-calc-demo [path/to/liblegacy_calc_component.so]
//
// Default component path: CALC_COMPONENT, the stage path set by CMake.
#include <unistd.h>

#include <cstdio>
#include <cstdint>
#include <initializer_list>
#include <string>

#include <bitbridge/host.h>

#include "calc.capnp.h"

#ifndef CALC_COMPONENT
#error "CALC_COMPONENT must be defined (path of liblegacy_calc_component.so)"
#endif

namespace {

/// The legacy library the component wraps, expected next to it; passing it lets bitbridge
/// check its header too and name it if it has the wrong bitness.
std::string siblingLegacyLibrary(const std::string& component) {
  auto slash = component.find_last_of('/');
  std::string dir = slash == std::string::npos ? std::string(".") : component.substr(0, slash);
  std::string path = dir + "/liblegacy_calc.so";
  return access(path.c_str(), R_OK) == 0 ? path : std::string();
}

void printList(capnp::List<double>::Reader list) {
  std::printf("[");
  for (unsigned i = 0; i < list.size(); ++i) {
    std::printf(i == 0 ? "%g" : ", %g", list[i]);
  }
  std::printf("]");
}

/// Every library function once. `calc` is released before the host is shut down.
void exercise(bitbridge::Host& host, legacy_calc::Calc::Client calc) {
  auto library = host.wait(calc.libraryInfoRequest().send());
  std::printf("library: %u-bit legacy_calc %s in host pid %u\n",
              unsigned(library.getPointerBits()), library.getVersion().cStr(),
              unsigned(library.getHostPid()));

  {
    auto request = calc.addRequest();
    request.setA(2);
    request.setB(40);
    std::printf("add(2, 40) = %d\n", int(host.wait(request.send()).getSum()));
  }
  {
    auto request = calc.divideRequest();
    request.setA(84);
    request.setB(2);
    std::printf("divide(84, 2) = %d\n", int(host.wait(request.send()).getQuotient()));
  }
  try {
    auto request = calc.divideRequest();
    request.setA(1);
    request.setB(0);
    auto quotient = host.wait(request.send()).getQuotient();
    std::printf("divide(1, 0) = %d (unexpected: should have failed)\n", int(quotient));
  } catch (const bitbridge::Error& e) {
    // what() already starts with the kind ("bitbridge: remote: ..."); e.kind() is for code.
    std::printf("divide(1, 0) failed as expected: %s\n", e.what());
  }

  std::printf("accumulate:");
  for (int64_t value : {10, 20, 12}) {
    auto request = calc.accumulateRequest();
    request.setValue(value);
    std::printf(" +%lld -> %lld", static_cast<long long>(value),
                static_cast<long long>(host.wait(request.send()).getTotal()));
  }
  std::printf("; total() = %lld\n",
              static_cast<long long>(host.wait(calc.totalRequest().send()).getTotal()));

  {
    auto request = calc.meanRequest();
    auto values = request.initValues(4);
    for (unsigned i = 0; i < 4; ++i) {
      values.set(i, 1.5 + i);
    }
    std::printf("mean(");
    printList(values.asReader());
    std::printf(") = %g\n", host.wait(request.send()).getMean());
  }
  {
    auto request = calc.scaleRequest();
    auto values = request.initValues(3);
    for (unsigned i = 0; i < 3; ++i) {
      values.set(i, 1.0 + i);
    }
    request.setFactor(2.5);
    std::printf("scale(");
    printList(values.asReader());
    std::printf(", 2.5) = ");
    auto response = host.wait(request.send());
    printList(response.getScaled());
    std::printf("\n");
  }
  {
    auto request = calc.greetRequest();
    request.setName("Ada");
    std::printf("greet(\"Ada\") = \"%s\"\n", host.wait(request.send()).getGreeting().cStr());
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    bitbridge::Runtime runtime;
    bitbridge::HostOptions options;
    options.component = argc > 1 ? argv[1] : CALC_COMPONENT;
    options.legacyLibrary = siblingLegacyLibrary(options.component);

    std::printf("client: %u-bit pid %u\n", unsigned(sizeof(void*) * 8), unsigned(getpid()));
    auto host = bitbridge::Host::spawn(runtime, options);
    auto info = host.info();
    std::printf("host: %u-bit pid %u (%s, %s)\n", info.pointerBits, unsigned(info.pid),
                std::string(bitbridge::archName(info.arch)).c_str(), info.os.c_str());

    exercise(host, host.activate<legacy_calc::Calc>("legacy-calc"));

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
