// The bitbridge cases of the Windows bench (winbench.h): a null call (bench.capnp's ping,
// served by the bench component in a host of the other bitness) over the private named pipe or
// over the shared-memory rings, with the client's CPU per call, and spawn-to-first-reply
// (Host::spawn, activate, first ping returned).
#include <windows.h>

#include <bitbridge/host.h>

#include "bench.capnp.h"
#include "winbench.h"

namespace bitbridge::bench::win {
namespace {

HostOptions benchHost(Arch host, Transport transport = Transport::Socket) {
  HostOptions options;
  options.component = benchComponent(host);
  options.arch = host;
  options.transport = transport;
  return options;
}

// User + kernel CPU time of `process` so far, in µs (0 if it cannot be read).
double cpuMicros(HANDLE process) {
  FILETIME created, exited, kernel, user;
  if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return 0;
  auto ticks = [](const FILETIME& t) {
    return (static_cast<uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
  };
  return static_cast<double>(ticks(kernel) + ticks(user)) / 10.0;  // 100 ns ticks
}

}  // namespace

CaseResult bitbridgeCall(const Settings& settings, Arch hostArch, Transport transport) {
  Runtime runtime;
  Host host = Host::spawn(runtime, benchHost(hostArch, transport));
  CaseResult result;
  {
    auto null = host.activate<bitbridge_bench::Null>("bench-null");
    uint64_t calls = settings.count(20000, 300);
    uint64_t warmup = Settings::warmup(calls);
    for (uint64_t i = 0; i < warmup; ++i) host.wait(null.pingRequest().send());
    // The client's CPU over the measured calls (spinning included). Not the host's: under
    // Wine 8.0, GetProcessTimes of the host process gave the caller's own figures.
    double client0 = cpuMicros(::GetCurrentProcess());
    result = measureCalls(0, calls, [&] { host.wait(null.pingRequest().send()); });
    double clientCpu = cpuMicros(::GetCurrentProcess()) - client0;
    if (clientCpu > 0) result.extra.push_back({"client_cpu_us_per_call", clientCpu / calls});
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
