// The bitbridge cases of the Windows bench (winbench.h): a null call (bench.capnp's ping,
// served by the bench component in a host of the other bitness) over the private named pipe,
// and spawn-to-first-reply (Host::spawn, activate, first ping returned).
#include <windows.h>

#include <bitbridge/host.h>

#include "bench.capnp.h"
#include "winbench.h"

namespace bitbridge::bench::win {
namespace {

HostOptions benchHost(Arch host) {
  HostOptions options;
  options.component = benchComponent(host);
  options.arch = host;
  return options;
}

}  // namespace

CaseResult bitbridgeCall(const Settings& settings, Arch hostArch) {
  Runtime runtime;
  Host host = Host::spawn(runtime, benchHost(hostArch));
  CaseResult result;
  {
    auto null = host.activate<bitbridge_bench::Null>("bench-null");
    uint64_t calls = settings.count(20000, 300);
    result = measureCalls(Settings::warmup(calls), calls,
                          [&] { host.wait(null.pingRequest().send()); });
  }  // the capability is released before the host goes
  host.shutdown();
  return result;
}

CaseResult bitbridgeColdStart(const Settings& settings, Arch hostArch) {
  uint64_t starts = settings.starts(10, 2);
  std::vector<int64_t> samples;
  Runtime runtime;
  for (uint64_t i = 0; i < starts + 1; ++i) {  // +1: the first start warms Wine's caches
    auto t0 = Clock::now();
    Host host = Host::spawn(runtime, benchHost(hostArch));
    {
      auto null = host.activate<bitbridge_bench::Null>("bench-null");
      host.wait(null.pingRequest().send());
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    host.shutdown();
    if (i > 0) samples.push_back(elapsed);
  }
  CaseResult result;
  result.calls = samples.size();
  result.latency = summarize(samples);
  return result;
}

}  // namespace bitbridge::bench::win
