// bitbridge-bench: what a case is, what it reports, and the timing helpers cases share.
//
// A case is one function `CaseResult (const Settings&)` plus a line in the registry
// (cases.cpp). A case that must run in a client of a given bitness names it in
// Case::clientArch; the driver runs it in-process when it is already that bitness and otherwise
// delegates it to the sibling binary (bitbridge-bench32 / -bench64) and merges its JSON.
//
// Thread and process assumptions: cases run one after another on the main thread. Each case
// creates and destroys its own Cap'n Proto event loop (at most one per thread), so cases that
// fork() do so while no event loop or host exists in this process.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <bitbridge/arch.h>

namespace bitbridge::bench {

/// Command-line settings, shared by every case.
struct Settings {
  bool quick = false;          ///< --quick: a few seconds in all
  uint64_t calls = 0;          ///< --calls N: overrides every case's call count (0: defaults)
  /// --rounds R: the driver runs the case list R times, interleaved, and each case does 1/R of
  /// its calls per round (so a run takes as long as with R = 1). See main.cpp.
  unsigned rounds = 1;
  std::string binDir;          ///< directory of this executable (the stage's or prefix's bin/)
  std::string prefixDir;       ///< binDir/.. : components are under lib/<multiarch>/ there

  /// Measured calls for one round: --calls if given, else `quick` or `full` per --quick,
  /// divided among the rounds. The cases' `full` counts are sized so that a whole run stays
  /// well under 60 s on the reference machine (2-core VM, 30-70 µs per blocking round trip):
  /// 100k RPC calls per latency case.
  uint64_t count(uint64_t full, uint64_t quick) const;
  /// The same for counts that --calls does not set (process starts).
  uint64_t starts(uint64_t full, uint64_t quick) const;
  /// Warm-up calls before measuring `measured` calls.
  static uint64_t warmup(uint64_t measured);
};

/// Percentiles of per-call durations, in microseconds.
struct Latency {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
};

/// What a case measured. Fields that do not apply stay empty and are omitted from the output.
struct CaseResult {
  uint64_t calls = 0;                    ///< measured operations (0: not a call count)
  std::optional<Latency> latency;
  std::optional<double> callsPerSecond;
  std::optional<double> kib;
  /// Further numbers worth keeping (e.g. rss_anon_kib), written to JSON under these names.
  std::vector<std::pair<std::string, double>> extra;
  /// Resident KiB per mapping (library file name, "[heap]", "[anon]"...), largest first;
  /// written to JSON as the object "rss_by_mapping_kib".
  std::vector<std::pair<std::string, double>> rssByMapping;
  /// With --rounds: each round's p50 (µs), in round order; JSON "p50_by_round_us".
  std::vector<double> p50ByRound;
  std::string error;                     ///< non-empty: the case failed, with this message
};

struct Case {
  std::string name;
  std::string description;
  /// The client side must be this bitness (delegated to the sibling binary otherwise).
  std::optional<Arch> clientArch;
  std::function<CaseResult(const Settings&)> run;
};

/// Every case, in the order they run and are reported.
const std::vector<Case>& allCases();

using Clock = std::chrono::steady_clock;

/// Latency percentiles (nearest rank) of `samplesNs`, which it sorts.
Latency summarize(std::vector<int64_t>& samplesNs);

/// Runs `call` `warmup` times unrecorded, then `calls` times, timing each one with
/// steady_clock. calls/s is measured over the whole recorded loop.
template <typename Call>
CaseResult measureCalls(uint64_t warmup, uint64_t calls, Call&& call) {
  for (uint64_t i = 0; i < warmup; ++i) call();
  std::vector<int64_t> samples(static_cast<size_t>(calls));
  auto start = Clock::now();
  for (uint64_t i = 0; i < calls; ++i) {
    auto t0 = Clock::now();
    call();
    samples[static_cast<size_t>(i)] =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  CaseResult result;
  result.calls = calls;
  result.latency = summarize(samples);
  if (seconds > 0) result.callsPerSecond = static_cast<double>(calls) / seconds;
  return result;
}

/// CPU time the client (this process, all threads) and its peer process spend per call over a
/// measured stretch, added to a result as client_cpu_us_per_call / peer_cpu_us_per_call. Once
/// wake-ups overlap (pipelining), this, not the wall time per call, bounds the throughput.
class CpuPerCall {
 public:
  /// Starts measuring; `peerPid` is the server or host process.
  explicit CpuPerCall(int peerPid);
  void addTo(CaseResult& result, uint64_t calls) const;

 private:
  int peerPid_;
  double client_, peer_;
};

/// Calls in flight in the pipelined cases.
constexpr unsigned kPipelineDepth = 128;

/// Throughput with kPipelineDepth calls in flight: `round()` sends kPipelineDepth calls, then
/// waits for all of them. Reports calls/s and CPU per call (no latency: calls overlap).
template <typename Round>
CaseResult measurePipelined(const Settings& settings, int peerPid, Round&& round) {
  uint64_t rounds = std::max<uint64_t>(
      1, settings.count(800 * kPipelineDepth, 20 * kPipelineDepth) / kPipelineDepth);
  for (int i = 0; i < 5; ++i) round();
  CpuPerCall cpu(peerPid);
  auto start = Clock::now();
  for (uint64_t i = 0; i < rounds; ++i) round();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  CaseResult result;
  result.calls = rounds * kPipelineDepth;
  if (seconds > 0) result.callsPerSecond = static_cast<double>(result.calls) / seconds;
  cpu.addTo(result, result.calls);
  return result;
}

/// The directory of `/proc/self/exe`.
std::string executableDirectory();
/// bitbridge-bench32 / bitbridge-bench64 next to this executable.
std::string siblingExecutable(const Settings& settings, Arch arch);

/// Serves the Null interface with EzRpcServer on the listening socket `listener` until killed
/// (the server side of the capnp_ezrpc_* cases; `--serve-ezrpc-fd N` runs it). Never returns.
[[noreturn]] void serveEzRpc(int listener);

/// Starts a child with fork() that runs `body` and then _exit(0)s (exit status 1 if it throws).
/// The child dies with its parent (PR_SET_PDEATHSIG), so an aborted run leaves no process.
int forkChild(const std::function<void()>& body);
/// Kills (SIGKILL) and reaps a child started by forkChild; no-op for pid <= 0.
void killChild(int pid);

// --- the cases (cases_floor.cpp, cases_capnp.cpp, cases_bitbridge.cpp) ---
CaseResult floorSpin(const Settings& settings);
CaseResult floorSpinCopy1000(const Settings& settings);
CaseResult floorSocketpair(const Settings& settings);
CaseResult execTrue(const Settings& settings);
CaseResult capnpEzRpcUds(const Settings& settings);
CaseResult capnpEzRpcUds64to32(const Settings& settings);
CaseResult capnpEzRpcPipelined(const Settings& settings);
CaseResult bitbridgeUds64to32(const Settings& settings);
CaseResult bitbridgeUds32to64(const Settings& settings);
CaseResult pipelined64to32(const Settings& settings);
CaseResult bitbridgeShm64to32(const Settings& settings);
CaseResult bitbridgeShm32to64(const Settings& settings);
CaseResult pipelinedShm64to32(const Settings& settings);
CaseResult coldStart(const Settings& settings);
// cases_bind.cpp
CaseResult componentAdd64to32(const Settings& settings);
CaseResult bindAdd64to32(const Settings& settings);
CaseResult bindHostThreadAdd64to32(const Settings& settings);
CaseResult componentSum64to32(const Settings& settings);
CaseResult bindSum64to32(const Settings& settings);
CaseResult bindHostThreadSum64to32(const Settings& settings);
CaseResult bindBulk1GiB64to32(const Settings& settings);
CaseResult bindCallback64to32(const Settings& settings);
CaseResult bindLaneAdd64to32(const Settings& settings);
CaseResult bindLaneAdd32to64(const Settings& settings);
CaseResult bindLaneScale64to32(const Settings& settings);
CaseResult bindLaneScale32to64(const Settings& settings);
CaseResult bindShmAdd64to32(const Settings& settings);
CaseResult bindScale64to32(const Settings& settings);
CaseResult idleRssHost32(const Settings& settings);
CaseResult idleRssHost64(const Settings& settings);

}  // namespace bitbridge::bench
