// legacy-calc-demo: a 64-bit program calling the 32-bit legacy_calc library.
//
// The library cannot be loaded here (a 64-bit process cannot load a 32-bit .so), so the demo
// spawns a private bitbridge-host32 with the component that wraps it and calls it over
// Cap'n Proto RPC. The component's header (ELF or PE) picks the host; nothing here says "32".
// The same source is the Windows demo (legacy-calc-demo.exe -> liblegacy_calc_component.dll
// in bitbridge-host32.exe).
//
//   legacy-calc-demo [path/to/liblegacy_calc_component.so|.dll]
//
// Default component path: CALC_COMPONENT, the stage path set by CMake. Every answer is
// checked: exits 1 if any is wrong, so the test suite runs it as it is.
#include <unistd.h>  // getpid: POSIX, and mingw-w64's unistd.h has it too

#include <cstdio>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <string>

#include <bitbridge/host.h>

#include "calc.capnp.h"

#ifndef CALC_COMPONENT
#error "CALC_COMPONENT must be defined (path of liblegacy_calc_component.so)"
#endif
#ifndef CALC_LEGACY_LIBRARY_NAME
#error "CALC_LEGACY_LIBRARY_NAME must be defined (liblegacy_calc.so, liblegacy_calc.dll)"
#endif

namespace {

/// The legacy library the component wraps, expected next to it; passing it lets bitbridge
/// check its header too and name it if it has the wrong bitness.
/// Either separator: a Windows path may use '\\' or '/' (and Wine maps Unix paths to Z:).
std::string siblingLegacyLibrary(const std::string& component) {
  auto slash = component.find_last_of("/\\");
  std::string dir = slash == std::string::npos ? std::string(".") : component.substr(0, slash);
  std::string path = dir + "/" + CALC_LEGACY_LIBRARY_NAME;
  return std::ifstream(path, std::ios::binary).good() ? path : std::string();
}

int failures = 0;

/// Prints what was wrong, counts it; main() exits 1 if anything was.
void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("WRONG: %s\n", what);
    ++failures;
  }
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
  check(library.getPointerBits() == 32, "the library is 32-bit");
  check(library.getHostPid() == host.pid(), "the library runs in the spawned host");

  {
    auto request = calc.addRequest();
    request.setA(2);
    request.setB(40);
    auto sum = host.wait(request.send()).getSum();
    std::printf("add(2, 40) = %d\n", int(sum));
    check(sum == 42, "add");
  }
  {
    auto request = calc.divideRequest();
    request.setA(84);
    request.setB(2);
    auto quotient = host.wait(request.send()).getQuotient();
    std::printf("divide(84, 2) = %d\n", int(quotient));
    check(quotient == 42, "divide");
  }
  try {
    auto request = calc.divideRequest();
    request.setA(1);
    request.setB(0);
    auto quotient = host.wait(request.send()).getQuotient();
    std::printf("divide(1, 0) = %d (unexpected: should have failed)\n", int(quotient));
    check(false, "divide by zero fails");
  } catch (const bitbridge::Error& e) {
    // what() already starts with the kind ("bitbridge: remote: ..."); e.kind() is for code.
    std::printf("divide(1, 0) failed as expected: %s\n", e.what());
    // The library's own message (calc_strerror), carried across by the component.
    check(e.kind() == bitbridge::ErrorKind::Remote && std::strstr(e.what(), "calc_divide"),
          "divide by zero is a remote error naming calc_divide");
  }

  std::printf("accumulate:");
  int64_t expected = 0;
  for (int64_t value : {10, 20, 12}) {
    auto request = calc.accumulateRequest();
    request.setValue(value);
    auto running = host.wait(request.send()).getTotal();
    expected += value;
    std::printf(" +%lld -> %lld", static_cast<long long>(value), static_cast<long long>(running));
    check(running == expected, "accumulate keeps a running total in the handle");
  }
  auto total = host.wait(calc.totalRequest().send()).getTotal();
  std::printf("; total() = %lld\n", static_cast<long long>(total));
  check(total == expected, "total");

  {
    auto request = calc.meanRequest();
    auto values = request.initValues(4);
    for (unsigned i = 0; i < 4; ++i) {
      values.set(i, 1.5 + i);
    }
    std::printf("mean(");
    printList(values.asReader());
    auto mean = host.wait(request.send()).getMean();
    std::printf(") = %g\n", mean);
    check(mean == 3.0, "mean");  // (1.5 + 2.5 + 3.5 + 4.5) / 4, exact in binary
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
    auto scaled = response.getScaled();
    printList(scaled);
    std::printf("\n");
    check(scaled.size() == 3 && scaled[0] == 2.5 && scaled[1] == 5.0 && scaled[2] == 7.5,
          "scale");
  }
  {
    auto request = calc.greetRequest();
    request.setName("Ada");
    auto response = host.wait(request.send());
    std::string greeting = response.getGreeting().cStr();
    std::printf("greet(\"Ada\") = \"%s\"\n", greeting.c_str());
    check(greeting.find("Ada") != std::string::npos &&
              greeting.find("(32-bit)") != std::string::npos,
          "greet names the caller and the library's bitness");
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
