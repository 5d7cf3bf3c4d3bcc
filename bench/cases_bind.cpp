// The bind cases: the same C function called through Host::bind (the schema alone, libffi in the
// host) and through the component a user would write by hand (bind_bench_component.cpp, on the
// host's RPC thread), same host bitness, same transport, same run. Bound twice: as by default
// (calls on the library's own thread) and with $C.calls(host) (on the RPC thread, like the
// component). Reported as ratios (report.cpp: bind_*_vs_component_*): the target, at most 1.1x
// at p50, is for the like-for-like pair (both on the RPC thread); the default's ratio adds one
// thread wake-up per call.
//
// Both run 64-bit client -> bitbridge-host32, the case users meet most (a legacy 32-bit library).
//
// And a 1 GiB array passed by bulk reference (bind_bulk_1gib_64to32): the bound function gets a
// pointer into the client's shared memory and reads its two ends. The 32-bit host maps the
// GiB for each call (more than its window for components' views) and copies nothing, so the
// call should cost about what bind_add_64to32 costs (report.cpp: bind_bulk_1gib_vs_add_p50).
//
// And the fast lane (bind_lane_*): the same bound add, and an array of 1000 doubles in and out
// (bb_scale), through HostOptions::fastLane's shared-memory call slot instead of RPC, in both
// directions; beside them the same add by RPC over the shared-memory transport (bind_shm_add)
// and the same scale by RPC (bind_scale1000). report.cpp: lane_*.
//
// And a callback (bind_callback_64to32): a bound call whose function calls the client's object
// once through a libffi closure; against bind_add_64to32 it shows what one callback round trip
// adds to a call (report.cpp: bind_callback_vs_add_p50).
#include <stdexcept>
#include <string>
#include <vector>

#include <bitbridge/host.h>

#include "bind_bench.capnp.h"
#include "harness.h"

namespace bitbridge::bench {
namespace {

std::string benchLibraryDir(const Settings& settings, Arch arch) {
  return settings.prefixDir + "/lib/" + (arch == Arch::x86 ? "i386-linux-gnu" : "x86_64-linux-gnu") +
         "/bitbridge-bench/";
}

constexpr uint32_t kSumElements = 1000;

enum class Served { Component, Bound, BoundOnHostThread };

// `call(client, host)` timed sequentially against interface I served as `served` says.
template <typename I, typename Call>
CaseResult measure(const Settings& settings, Served served, Call&& call) {
  Runtime runtime;
  HostOptions options;
  options.arch = Arch::x86;
  options.transport = Transport::Socket;
  std::string library = benchLibraryDir(settings, Arch::x86) + "libbind_bench_lib.so";
  if (served == Served::Component) {
    options.component = benchLibraryDir(settings, Arch::x86) + "libbind_bench_component.so";
  } else {
    options.legacyLibrary = library;
  }
  Host host = Host::spawn(runtime, std::move(options));
  CaseResult result;
  {
    auto client = served == Served::Component ? host.activate<I>("bind-bench")
                                              : host.bind<I>(library);
    uint64_t calls = settings.count(50000, 1000);
    auto once = [&] { call(client, host); };
    for (uint64_t i = 0, n = Settings::warmup(calls); i < n; ++i) once();
    CpuPerCall cpu(static_cast<int>(host.pid()));
    result = measureCalls(0, calls, once);
    cpu.addTo(result, calls);
  }
  host.shutdown();
  return result;
}

template <typename Client>
void add(Client& client, Host& host) {
  auto request = client.addRequest();
  request.setA(40);
  request.setB(2);
  if (host.wait(request.send()).getResult() != 42) throw std::runtime_error("bb_add: wrong sum");
}

template <typename Client>
void sum1000(Client& client, Host& host) {
  auto request = client.sumRequest();
  auto xs = request.initXs(kSumElements);
  for (uint32_t i = 0; i < kSumElements; ++i) xs.set(i, 1.0);
  if (host.wait(request.send()).getResult() != double(kSumElements)) {
    throw std::runtime_error("bb_sum: wrong sum");
  }
}

using bitbridge_bench::BindBench;
using bitbridge_bench::BindBenchBulk;
using bitbridge_bench::BindBenchCallback;
using bitbridge_bench::BindBenchOnHostThread;

// The client's side of bb_apply's function pointer: served by this thread's event loop while
// it waits for the call.
class Double final : public bitbridge_bench::BenchUnary::Server {
 public:
  kj::Promise<void> apply(ApplyContext context) override {
    context.getResults().setResult(context.getParams().getX() * 2);
    return kj::READY_NOW;
  }
};

constexpr uint64_t kBulkBytes = uint64_t{1} << 30;

// The fast lane (HostOptions::fastLane) and its RPC counterparts: a 64-bit client with
// bitbridge-host32 or a 32-bit client with bitbridge-host64 (`hostArch`), bound library.
template <typename Call>
CaseResult measureBound(const Settings& settings, Arch hostArch, bool fastLane,
                        Transport transport, Call&& call) {
  Runtime runtime;
  HostOptions options;
  options.arch = hostArch;
  options.transport = transport;
  options.fastLane = fastLane;
  options.legacyLibrary = benchLibraryDir(settings, hostArch) + "libbind_bench_lib.so";
  Host host = Host::spawn(runtime, options);
  CaseResult result;
  {
    auto client = host.bind<BindBench>(options.legacyLibrary);
    uint64_t calls = settings.count(fastLane ? 200000 : 50000, 1000);
    auto once = [&] { call(client, host); };
    for (uint64_t i = 0, n = Settings::warmup(calls); i < n; ++i) once();
    CpuPerCall cpu(static_cast<int>(host.pid()));
    result = measureCalls(0, calls, once);
    cpu.addTo(result, calls);
  }
  host.shutdown();
  return result;
}

void scale1000(BindBench::Client& client, Host& host) {
  auto request = client.scaleRequest();
  request.setK(2);
  auto xs = request.initXin(kSumElements);
  for (uint32_t i = 0; i < kSumElements; ++i) xs.set(i, i);
  auto response = host.wait(request.send());
  auto out = response.getXout();
  if (out.size() != kSumElements || out[kSumElements - 1] != 2.0 * (kSumElements - 1)) {
    throw std::runtime_error("bb_scale: wrong results");
  }
}

}  // namespace

CaseResult bindLaneAdd64to32(const Settings& settings) {
  return measureBound(settings, Arch::x86, true, Transport::Socket, add<BindBench::Client>);
}
CaseResult bindLaneAdd32to64(const Settings& settings) {
  return measureBound(settings, Arch::x86_64, true, Transport::Socket, add<BindBench::Client>);
}
CaseResult bindLaneScale64to32(const Settings& settings) {
  return measureBound(settings, Arch::x86, true, Transport::Socket, scale1000);
}
CaseResult bindLaneScale32to64(const Settings& settings) {
  return measureBound(settings, Arch::x86_64, true, Transport::Socket, scale1000);
}
CaseResult bindShmAdd64to32(const Settings& settings) {
  return measureBound(settings, Arch::x86, false, Transport::SharedMemory, add<BindBench::Client>);
}
CaseResult bindScale64to32(const Settings& settings) {
  return measureBound(settings, Arch::x86, false, Transport::Socket, scale1000);
}

CaseResult componentAdd64to32(const Settings& settings) {
  return measure<BindBench>(settings, Served::Component, add<BindBench::Client>);
}
CaseResult bindAdd64to32(const Settings& settings) {
  return measure<BindBench>(settings, Served::Bound, add<BindBench::Client>);
}
CaseResult bindHostThreadAdd64to32(const Settings& settings) {
  return measure<BindBenchOnHostThread>(settings, Served::BoundOnHostThread,
                                        add<BindBenchOnHostThread::Client>);
}
CaseResult componentSum64to32(const Settings& settings) {
  return measure<BindBench>(settings, Served::Component, sum1000<BindBench::Client>);
}
CaseResult bindSum64to32(const Settings& settings) {
  return measure<BindBench>(settings, Served::Bound, sum1000<BindBench::Client>);
}
CaseResult bindBulk1GiB64to32(const Settings& settings) {
  Runtime runtime;
  HostOptions options;
  options.arch = Arch::x86;
  options.transport = Transport::Socket;
  options.legacyLibrary = benchLibraryDir(settings, Arch::x86) + "libbind_bench_lib.so";
  Host host = Host::spawn(runtime, options);
  CaseResult result;
  {
    auto client = host.bind<BindBenchBulk>(options.legacyLibrary);
    // Allocated once: what is measured is the call, not the allocation (bulk_bench measures
    // that). Only the two ends are written, so only their pages are touched.
    BulkBuffer buffer = host.allocate(kBulkBytes);
    buffer.view(0, sizeof(double)).as<double>()[0] = 1;
    buffer.view(kBulkBytes - sizeof(double), sizeof(double)).as<double>()[0] = 2;
    BulkRef all = buffer.ref();
    auto once = [&] {
      auto request = client.endsRequest();
      toWire(all, request.initXs());
      if (host.wait(request.send()).getResult() != 3.0) {
        throw std::runtime_error("bb_ends: wrong ends of the 1 GiB array");
      }
    };
    uint64_t calls = settings.count(20000, 500);
    for (uint64_t i = 0, n = Settings::warmup(calls); i < n; ++i) once();
    CpuPerCall cpu(static_cast<int>(host.pid()));
    result = measureCalls(0, calls, once);
    cpu.addTo(result, calls);
  }
  host.shutdown();
  return result;
}

CaseResult bindCallback64to32(const Settings& settings) {
  Runtime runtime;
  HostOptions options;
  options.arch = Arch::x86;
  options.transport = Transport::Socket;
  options.legacyLibrary = benchLibraryDir(settings, Arch::x86) + "libbind_bench_lib.so";
  Host host = Host::spawn(runtime, options);
  CaseResult result;
  {
    auto client = host.bind<BindBenchCallback>(options.legacyLibrary);
    bitbridge_bench::BenchUnary::Client doubler = kj::heap<Double>();
    auto once = [&] {
      auto request = client.applyRequest();
      request.setX(21);
      request.setF(doubler);
      if (host.wait(request.send()).getResult() != 42) {
        throw std::runtime_error("bb_apply: wrong answer through the callback");
      }
    };
    uint64_t calls = settings.count(20000, 500);
    for (uint64_t i = 0, n = Settings::warmup(calls); i < n; ++i) once();
    CpuPerCall cpu(static_cast<int>(host.pid()));
    result = measureCalls(0, calls, once);
    cpu.addTo(result, calls);
  }
  host.shutdown();
  return result;
}

CaseResult bindHostThreadSum64to32(const Settings& settings) {
  return measure<BindBenchOnHostThread>(settings, Served::BoundOnHostThread,
                                        sum1000<BindBenchOnHostThread::Client>);
}

}  // namespace bitbridge::bench
