// The bound-library cases of the Windows bench (winbench.h): bind_bench_lib.dll's bb_add, bound
// from bind_bench.capnp alone (Host::bind) in a host of the other bitness, called by RPC over the
// private named pipe and through the fast lane (HostOptions::fastLane: a call slot in shared
// memory, spin then a named event; docs/architecture.md). The same call both ways, so that the
// ratio is what the lane saves.
#include <windows.h>

#include <bitbridge/host.h>

#include "bind_bench.capnp.h"
#include "winbench.h"

namespace bitbridge::bench::win {

CaseResult boundAdd(const Settings& settings, Arch hostArch, bool fastLane) {
  Runtime runtime;
  HostOptions options;
  options.legacyLibrary = bindBenchLibrary(hostArch);
  options.arch = hostArch;
  options.fastLane = fastLane;
  Host host = Host::spawn(runtime, options);
  CaseResult result;
  {
    auto lib = host.bind<bitbridge_bench::BindBench>(options.legacyLibrary);
    // The lane answers in microseconds: more calls for the same run time.
    uint64_t calls = fastLane ? settings.count(200000, 2000) : settings.count(20000, 300);
    int32_t a = 0;
    result = measureCalls(Settings::warmup(calls), calls, [&] {
      auto request = lib.addRequest();
      request.setA(a++);
      request.setB(1);
      host.wait(request.send());
    });
  }  // the capability is released before the host goes
  host.shutdown();
  return result;
}

}  // namespace bitbridge::bench::win
