// The bitbridge cases: null calls through real hosts of either bitness, pipelining, cold
// start and the idle footprint of a host.
//
// Every case talks to the bench component (bench_component.cpp, class "bench-null"), built for
// both bitnesses into <prefix>/lib/<multiarch>/bitbridge-bench/. The harness finds it relative
// to its own executable, so it works the same in a build's stage directory and in a prefix.
//
// Each transport is one small function per direction that builds its HostOptions and reuses
// the measurement, plus one line each in the registry (cases.cpp). The shared-memory cases
// below are the pattern:
//
//   CaseResult bitbridgeShm64to32(const Settings& settings) {
//     HostOptions options = benchHost(settings, Arch::x86);
//     options.transport = Transport::SharedMemory;
//     return nullCallLatency(settings, std::move(options));
//   }
//   {"bitbridge_shm_64to32", "...", Arch::x86_64, bitbridgeShm64to32},
//   {"bitbridge_shm_32to64", "...", Arch::x86, bitbridgeShm32to64},   // runs in bitbridge-bench32
//
// pipelinedCalls(settings, options) works the same way for a pipelined variant. Both check
// that the host reports the transport asked for (HostInfo::transport), so a case named "shm"
// cannot silently measure the socket.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <bitbridge/host.h>
#include <kj/async.h>

#include "bench.capnp.h"
#include "harness.h"

namespace bitbridge::bench {
namespace {

std::string multiarchDirectory(Arch arch) {
  return arch == Arch::x86 ? "i386-linux-gnu" : "x86_64-linux-gnu";
}

/// Path of the bench component built for `hostArch`.
std::string benchComponent(const Settings& settings, Arch hostArch) {
  return settings.prefixDir + "/lib/" + multiarchDirectory(hostArch) +
         "/bitbridge-bench/libbench_component.so";
}

/// Options for a host of `hostArch` with the bench component loaded, over the socketpair (the
/// default transport, named explicitly: it is the "uds" of the case names).
HostOptions benchHost(const Settings& settings, Arch hostArch) {
  HostOptions options;
  options.component = benchComponent(settings, hostArch);
  options.arch = hostArch;
  options.transport = Transport::Socket;
  return options;
}

/// Throws unless `host` runs its RPC over `expected` (as the host itself reports it).
void requireTransport(Host& host, Transport expected) {
  std::string actual = host.info().transport;
  if (actual != transportName(expected)) {
    throw std::runtime_error(std::string("the host reports transport '") + actual + "', not '" +
                             transportName(expected) + "'");
  }
}

/// Sequential null calls (one in flight) through a host started with `options`.
CaseResult nullCallLatency(const Settings& settings, HostOptions options) {
  Runtime runtime;
  Transport transport = options.transport;
  Host host = Host::spawn(runtime, std::move(options));
  requireTransport(host, transport);
  CaseResult result;
  {
    auto null = host.activate<bitbridge_bench::Null>("bench-null");
    auto call = [&] { host.wait(null.pingRequest().send()); };
    uint64_t calls = settings.count(100000, 2000);
    for (uint64_t i = 0, n = Settings::warmup(calls); i < n; ++i) call();
    CpuPerCall cpu(static_cast<int>(host.pid()));
    result = measureCalls(0, calls, call);
    cpu.addTo(result, calls);
  }  // the capability is released before the host goes
  host.shutdown();
  return result;
}

/// Null calls kPipelineDepth at a time through a host started with `options`.
CaseResult pipelinedCalls(const Settings& settings, HostOptions options) {
  Runtime runtime;
  Transport transport = options.transport;
  Host host = Host::spawn(runtime, std::move(options));
  requireTransport(host, transport);
  CaseResult result;
  {
    auto null = host.activate<bitbridge_bench::Null>("bench-null");
    result = measurePipelined(settings, static_cast<int>(host.pid()), [&] {
      auto promises = kj::heapArrayBuilder<kj::Promise<void>>(kPipelineDepth);
      for (unsigned i = 0; i < kPipelineDepth; ++i) {
        promises.add(null.pingRequest().send().ignoreResult());
      }
      host.wait(kj::joinPromises(promises.finish()));
    });
  }
  host.shutdown();
  return result;
}

/// A "Name:   1234 kB" field of /proc/<pid>/status or /proc/<pid>/smaps_rollup, in KiB.
double procField(const std::string& file, const std::string& field) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size() + 1, field + ":") == 0) {
      std::istringstream value(line.substr(field.size() + 1));
      double kib = 0;
      if (value >> kib) return kib;
    }
  }
  throw std::runtime_error("no " + field + " in " + file);
}

/// Resident KiB of process `pid` per mapping (from /proc/<pid>/smaps), largest first: the top
/// `keep` by name (a library's file name, "[heap]", "[anon]"...), the rest summed as "other".
std::vector<std::pair<std::string, double>> rssByMapping(int pid, size_t keep = 8) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
  std::map<std::string, double> totals;
  std::string line, current = "[anon]";
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string first;
    fields >> first;
    if (first.empty()) continue;
    if (first.back() != ':') {  // a mapping's header: address perms offset dev inode [path]
      std::string perms, offset, device, inode, path;
      fields >> perms >> offset >> device >> inode;
      std::getline(fields, path);
      path.erase(0, path.find_first_not_of(' '));
      current = path.empty() ? "[anon]" : path.substr(path.rfind('/') + 1);
    } else if (first == "Rss:") {
      double kib = 0;
      fields >> kib;
      totals[current] += kib;
    }
  }
  std::vector<std::pair<std::string, double>> sorted(totals.begin(), totals.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (sorted.size() > keep) {
    double other = 0;
    for (size_t i = keep; i < sorted.size(); ++i) other += sorted[i].second;
    sorted.resize(keep);
    sorted.emplace_back("other", other);
  }
  sorted.erase(std::remove_if(sorted.begin(), sorted.end(), [](const auto& e) { return e.second <= 0; }),
               sorted.end());
  return sorted;
}

/// VmRSS of an idle host of `hostArch` that has loaded the bench component and answered a call.
CaseResult idleRss(const Settings& settings, Arch hostArch) {
  Runtime runtime;
  Host host = Host::spawn(runtime, benchHost(settings, hostArch));
  CaseResult result;
  {
    auto null = host.activate<bitbridge_bench::Null>("bench-null");
    host.wait(null.pingRequest().send());
    // Idle: nothing in flight; give the host a moment to settle after the call.
    std::this_thread::sleep_for(std::chrono::milliseconds(settings.quick ? 50 : 300));
    std::string proc = "/proc/" + std::to_string(host.pid());
    result.kib = procField(proc + "/status", "VmRSS");
    result.extra = {{"rss_anon_kib", procField(proc + "/status", "RssAnon")},
                    {"rss_file_kib", procField(proc + "/status", "RssFile")},
                    {"pss_kib", procField(proc + "/smaps_rollup", "Pss")},
                    {"private_dirty_kib", procField(proc + "/smaps_rollup", "Private_Dirty")}};
    result.rssByMapping = rssByMapping(static_cast<int>(host.pid()));
  }
  host.shutdown();
  return result;
}

}  // namespace

CaseResult bitbridgeUds64to32(const Settings& settings) {
  return nullCallLatency(settings, benchHost(settings, Arch::x86));
}

CaseResult bitbridgeUds32to64(const Settings& settings) {
  return nullCallLatency(settings, benchHost(settings, Arch::x86_64));
}

CaseResult pipelined64to32(const Settings& settings) {
  return pipelinedCalls(settings, benchHost(settings, Arch::x86));
}

/// Options for a host of `hostArch` with the bench component, RPC over the shared-memory rings
/// (Transport::SharedMemory, default ShmStreamOptions: 1 MiB rings, 50 us spin).
HostOptions benchHostShm(const Settings& settings, Arch hostArch) {
  HostOptions options = benchHost(settings, hostArch);
  options.transport = Transport::SharedMemory;
  return options;
}

CaseResult bitbridgeShm64to32(const Settings& settings) {
  return nullCallLatency(settings, benchHostShm(settings, Arch::x86));
}

CaseResult bitbridgeShm32to64(const Settings& settings) {
  return nullCallLatency(settings, benchHostShm(settings, Arch::x86_64));
}

CaseResult pipelinedShm64to32(const Settings& settings) {
  return pipelinedCalls(settings, benchHostShm(settings, Arch::x86));
}

CaseResult coldStart(const Settings& settings) {
  Runtime runtime;
  HostOptions options = benchHost(settings, Arch::x86);
  uint64_t starts = settings.starts(30, 5);
  std::vector<int64_t> samples;
  // Two unrecorded starts first, so that the files are in the page cache for every measured one.
  for (uint64_t i = 0; i < starts + 2; ++i) {
    auto t0 = Clock::now();
    Host host = Host::spawn(runtime, options);
    host.info();
    auto elapsed = Clock::now() - t0;
    host.shutdown();  // not timed
    if (i >= 2) {
      samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
    }
  }
  CaseResult result;
  result.calls = starts;
  result.latency = summarize(samples);
  return result;
}

CaseResult idleRssHost32(const Settings& settings) { return idleRss(settings, Arch::x86); }
CaseResult idleRssHost64(const Settings& settings) { return idleRss(settings, Arch::x86_64); }

}  // namespace bitbridge::bench
