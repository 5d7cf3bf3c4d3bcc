// bitbridge-winbench64 / bitbridge-winbench32 (winbench.h): the Windows cases of the benchmark,
// measured under Wine. A measurement tool, not a test: it asserts no timing.
//
//   bitbridge-winbench64 [--quick] [--calls N] [--rounds R] [--case NAME[,NAME]]... [--json FILE]
//                        [--list]
//
// The 64-bit binary is the driver: cases whose client must be 32-bit run in
// bin\x86\bitbridge-winbench32.exe (--no-delegate --json <temporary file>), and their results are
// merged, so one run gives both directions and the ratios between cases of the same run.
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <kj/exception.h>

#include "../json.h"
#include "../report.h"
#include "winbench.h"

namespace bitbridge::bench::win {

const std::vector<Case>& windowsCases() {
  // Baselines first, then bitbridge, each direction after the other; spawn cases last (they
  // start ten processes each and would otherwise be in the other cases' warm-up).
  static const std::vector<Case> cases = {
      {"win_pipe_raw_64to32", "raw named-pipe round trip, 80 bytes each way, blocking I/O, "
       "64-bit client -> 32-bit bitbridge-pipe-echo.exe (floor)", Arch::x86_64,
       [](const Settings& s) { return pipeRaw(s, Arch::x86); }},
      {"win_pipe_raw_32to64", "the same, 32-bit client -> 64-bit echo peer", Arch::x86,
       [](const Settings& s) { return pipeRaw(s, Arch::x86_64); }},
      {"win_pipe_iocp_64to32", "raw named-pipe round trip with overlapped I/O through an I/O "
       "completion port on the client side (as KJ does), 64-bit -> 32-bit echo peer",
       Arch::x86_64, [](const Settings& s) { return pipeIocp(s, Arch::x86); }},
      {"win_com_invoke_64to32", "IDispatch::Invoke (property get) on an out-of-process COM "
       "object in bitbridge-host32.exe -Embedding, 64-bit client (COM baseline)", Arch::x86_64,
       [](const Settings& s) { return comInvoke(s, Arch::x86); }},
      {"win_com_invoke_32to64", "the same, 32-bit client -> bitbridge-host64.exe", Arch::x86,
       [](const Settings& s) { return comInvoke(s, Arch::x86_64); }},
      {"win_bitbridge_64to32", "bitbridge null call, 64-bit client -> bitbridge-host32.exe over "
       "its private named pipe", Arch::x86_64,
       [](const Settings& s) { return bitbridgeCall(s, Arch::x86, Transport::Socket); }},
      {"win_bitbridge_32to64", "bitbridge null call, 32-bit client -> bitbridge-host64.exe",
       Arch::x86,
       [](const Settings& s) { return bitbridgeCall(s, Arch::x86_64, Transport::Socket); }},
      {"win_bitbridge_shm_64to32", "bitbridge null call, 64-bit client -> bitbridge-host32.exe "
       "over the shared-memory rings (Transport::SharedMemory)", Arch::x86_64,
       [](const Settings& s) { return bitbridgeCall(s, Arch::x86, Transport::SharedMemory); }},
      {"win_bitbridge_shm_32to64", "the same, 32-bit client -> bitbridge-host64.exe",
       Arch::x86,
       [](const Settings& s) { return bitbridgeCall(s, Arch::x86_64, Transport::SharedMemory); }},
      {"win_bind_rpc_64to32", "bb_add of bind_bench_lib.dll bound from its schema "
       "(Host::bind), by RPC, 64-bit client -> bitbridge-host32.exe (baseline of the lane)",
       Arch::x86_64, [](const Settings& s) { return boundAdd(s, Arch::x86, false); }},
      {"win_bind_lane_64to32", "the same call through the fast lane (HostOptions::fastLane)",
       Arch::x86_64, [](const Settings& s) { return boundAdd(s, Arch::x86, true); }},
      {"win_bind_lane_32to64", "the same, 32-bit client -> bitbridge-host64.exe", Arch::x86,
       [](const Settings& s) { return boundAdd(s, Arch::x86_64, true); }},
      {"win_spawn_echo_64to32", "CreateProcess of the 32-bit echo peer -> pipe connected -> "
       "first reply (baseline of win_cold_start_64to32)", Arch::x86_64,
       [](const Settings& s) { return spawnEcho(s, Arch::x86); }},
      {"win_cold_start_64to32", "Host::spawn of bitbridge-host32.exe -> activate the bench "
       "component -> first null call returned", Arch::x86_64,
       [](const Settings& s) { return bitbridgeColdStart(s, Arch::x86); }},
  };
  return cases;
}

namespace {

constexpr int kUsageExit = 64;

struct Options {
  Settings settings;
  std::vector<std::string> cases;  // empty: all
  std::string json;
  bool list = false;
  bool noDelegate = false;
  bool quiet = false;  // internal (--quiet): a delegate; no table, no progress
  bool oneRound = false;  // internal (--round-of R): one pass with 1/R of the counts
};

void usage(std::FILE* out, const char* argv0) {
  std::fprintf(out,
               "usage: %s [--quick] [--calls N] [--case NAME[,NAME...]]... [--json FILE] [--list]\n"
               "\n"
               "Measures a bitbridge null call across bitness under Wine against a raw named-pipe\n"
               "round trip and an out-of-process COM Invoke in the same run, and spawn-to-first-\n"
               "reply against spawning a bare peer .exe; prints a table and the ratios.\n"
               "\n"
               "  --quick         small counts: a smoke run\n"
               "  --calls N       measured calls per latency case\n"
               "  --rounds R      run the case list R times, interleaved, with 1/R of the calls\n"
               "                  each; report per case the median of the rounds (max: the max)\n"
               "  --case NAME     run only these cases (repeatable or comma-separated)\n"
               "  --json FILE     also write the results as JSON\n"
               "  --list          print the cases and what each one measures\n"
               "  --no-delegate   never run a case in the sibling binary of the other bitness\n"
               "  --quiet         (internal) no table: a driver's delegate\n",
               argv0);
}

Options parseArguments(int argc, char** argv) {
  Options options;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n", argv[0], argv[i]);
      std::exit(kUsageExit);
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      options.settings.quick = true;
    } else if (arg == "--calls") {
      options.settings.calls = std::strtoull(value(i).c_str(), nullptr, 10);
    } else if (arg == "--rounds") {
      options.settings.rounds = static_cast<unsigned>(std::strtoul(value(i).c_str(), nullptr, 10));
      if (options.settings.rounds == 0) options.settings.rounds = 1;
    } else if (arg == "--case") {
      std::stringstream list(value(i));
      std::string name;
      while (std::getline(list, name, ',')) {
        if (!name.empty()) options.cases.push_back(name);
      }
    } else if (arg == "--json") {
      options.json = value(i);
    } else if (arg == "--list") {
      options.list = true;
    } else if (arg == "--no-delegate") {
      options.noDelegate = true;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else if (arg == "--round-of") {
      // One round of a driver's R: counts divided by R, one pass.
      options.settings.rounds = static_cast<unsigned>(std::strtoul(value(i).c_str(), nullptr, 10));
      if (options.settings.rounds == 0) options.settings.rounds = 1;
      options.oneRound = true;
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout, argv[0]);
      std::exit(0);
    } else {
      std::fprintf(stderr, "%s: unknown argument %s\n", argv[0], arg.c_str());
      usage(stderr, argv[0]);
      std::exit(kUsageExit);
    }
  }
  return options;
}

// Runs `name` in the sibling binary of `arch` and reads its result back from a temporary JSON.
CaseResult delegate(const Options& options, const std::string& name, Arch arch) {
  CaseResult failed;
  char directory[MAX_PATH];
  char file[MAX_PATH];
  if (::GetTempPathA(MAX_PATH, directory) == 0 ||
      ::GetTempFileNameA(directory, "wbn", 0, file) == 0) {
    failed.error = "cannot make a temporary file for the sibling's JSON";
    return failed;
  }
  std::string arguments = "--no-delegate --quiet --case " + name + " --json \"" + file + "\"";
  if (options.settings.quick) arguments += " --quick";
  if (options.settings.calls > 0) arguments += " --calls " + std::to_string(options.settings.calls);
  // One round of R: the sibling does 1/R of the calls (--round-of), the driver merges rounds.
  if (options.settings.rounds > 1) {
    arguments += " --round-of " + std::to_string(options.settings.rounds);
  }
  try {
    Child sibling(winbenchExecutable(arch), arguments);
    int status = sibling.wait(600000);
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    ::DeleteFileA(file);
    if (status < 0) {
      failed.error = "the sibling did not finish within 10 minutes";
      return failed;
    }
    JsonValue document = parseJson(text.str());
    const JsonValue* cases = document.find("cases");
    const JsonValue* result = cases != nullptr ? cases->find(name) : nullptr;
    if (result == nullptr) {
      failed.error = "the sibling (exit status " + std::to_string(status) + ") reported no " + name;
      return failed;
    }
    return caseFromJson(*result);
  } catch (const std::exception& e) {
    ::DeleteFileA(file);
    failed.error = std::string("running the sibling: ") + e.what();
    return failed;
  }
}

const CaseResult* findCase(const std::vector<NamedResult>& results, const char* name) {
  for (const auto& entry : results) {
    if (entry.name == name && entry.result.error.empty()) return &entry.result;
  }
  return nullptr;
}

std::vector<Ratio> windowsRatios(const std::vector<NamedResult>& results) {
  auto p50 = [&](const char* name) -> std::optional<double> {
    const CaseResult* r = findCase(results, name);
    if (r && r->latency && r->latency->p50 > 0) return r->latency->p50;
    return std::nullopt;
  };
  auto quotient = [](std::optional<double> a, std::optional<double> b) -> std::optional<double> {
    if (a && b) return *a / *b;
    return std::nullopt;
  };
  std::vector<Ratio> ratios;
  // The target of issue 13 item 8: a call within 2x the raw pipe round trip, same run.
  ratios.push_back({"win_bitbridge_vs_pipe_p50", "win_bitbridge_64to32 p50 / win_pipe_raw_64to32 p50",
                    quotient(p50("win_bitbridge_64to32"), p50("win_pipe_raw_64to32")), "x", "<=", 2});
  ratios.push_back({"win_bitbridge_vs_pipe_32to64_p50",
                    "win_bitbridge_32to64 p50 / win_pipe_raw_32to64 p50",
                    quotient(p50("win_bitbridge_32to64"), p50("win_pipe_raw_32to64")), "x", "<=", 2});
  ratios.push_back({"win_pipe_vs_shm_p50",
                    "win_bitbridge_64to32 p50 / win_bitbridge_shm_64to32 p50 (pipe vs shm)",
                    quotient(p50("win_bitbridge_64to32"), p50("win_bitbridge_shm_64to32")), "x",
                    "", 0});
  ratios.push_back({"win_pipe_vs_shm_32to64_p50",
                    "win_bitbridge_32to64 p50 / win_bitbridge_shm_32to64 p50 (pipe vs shm)",
                    quotient(p50("win_bitbridge_32to64"), p50("win_bitbridge_shm_32to64")), "x",
                    "", 0});
  ratios.push_back({"win_bitbridge_shm_vs_pipe_raw_p50",
                    "win_bitbridge_shm_64to32 p50 / win_pipe_raw_64to32 p50",
                    quotient(p50("win_bitbridge_shm_64to32"), p50("win_pipe_raw_64to32")), "x",
                    "", 0});
  ratios.push_back({"win_bitbridge_vs_com_p50", "win_bitbridge_64to32 p50 / win_com_invoke_64to32 p50",
                    quotient(p50("win_bitbridge_64to32"), p50("win_com_invoke_64to32")), "x", "", 0});
  ratios.push_back({"win_bitbridge_vs_com_32to64_p50",
                    "win_bitbridge_32to64 p50 / win_com_invoke_32to64 p50",
                    quotient(p50("win_bitbridge_32to64"), p50("win_com_invoke_32to64")), "x", "", 0});
  ratios.push_back({"win_com_vs_pipe_p50", "win_com_invoke_64to32 p50 / win_pipe_raw_64to32 p50",
                    quotient(p50("win_com_invoke_64to32"), p50("win_pipe_raw_64to32")), "x", "", 0});
  ratios.push_back({"win_pipe_iocp_vs_raw_p50", "win_pipe_iocp_64to32 p50 / win_pipe_raw_64to32 p50",
                    quotient(p50("win_pipe_iocp_64to32"), p50("win_pipe_raw_64to32")), "x", "", 0});
  // The fast lane against the same bound call by RPC and against the raw pipe (issue 19).
  ratios.push_back({"win_lane_vs_rpc_p50", "win_bind_lane_64to32 p50 / win_bind_rpc_64to32 p50",
                    quotient(p50("win_bind_lane_64to32"), p50("win_bind_rpc_64to32")), "x", "", 0});
  ratios.push_back({"win_lane_vs_pipe_p50", "win_bind_lane_64to32 p50 / win_pipe_raw_64to32 p50",
                    quotient(p50("win_bind_lane_64to32"), p50("win_pipe_raw_64to32")), "x", "", 0});
  ratios.push_back({"win_lane_vs_pipe_32to64_p50",
                    "win_bind_lane_32to64 p50 / win_pipe_raw_32to64 p50",
                    quotient(p50("win_bind_lane_32to64"), p50("win_pipe_raw_32to64")), "x", "", 0});
  auto cold = p50("win_cold_start_64to32");
  ratios.push_back({"win_cold_start_p50_ms", "win_cold_start_64to32 p50",
                    cold ? std::optional<double>(*cold / 1000.0) : std::nullopt, "ms", "", 0});
  ratios.push_back({"win_cold_start_vs_spawn_p50",
                    "win_cold_start_64to32 p50 / win_spawn_echo_64to32 p50",
                    quotient(cold, p50("win_spawn_echo_64to32")), "x", "", 0});
  return ratios;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The rounds of one case as one result: latency percentiles, calls/s and extras are the medians
// of the rounds (max: the max), calls the sum; each round's p50 is kept. A failed round fails it.
CaseResult mergeRounds(const std::vector<CaseResult>& rounds) {
  if (rounds.size() == 1) return rounds.front();
  CaseResult merged;
  std::vector<double> p50, p99, p999, rate;
  double max = 0;
  for (const auto& r : rounds) {
    if (!r.error.empty()) return r;
    merged.calls += r.calls;
    if (r.latency) {
      p50.push_back(r.latency->p50);
      p99.push_back(r.latency->p99);
      p999.push_back(r.latency->p999);
      max = std::max(max, r.latency->max);
    }
    if (r.callsPerSecond) rate.push_back(*r.callsPerSecond);
  }
  if (!p50.empty()) {
    merged.latency = Latency{median(p50), median(p99), median(p999), max};
    merged.p50ByRound = p50;
  }
  if (!rate.empty()) merged.callsPerSecond = median(rate);
  for (size_t i = 0; i < rounds.front().extra.size(); ++i) {
    std::vector<double> values;
    for (const auto& r : rounds) {
      if (i < r.extra.size()) values.push_back(r.extra[i].second);
    }
    merged.extra.emplace_back(rounds.front().extra[i].first, median(values));
  }
  return merged;
}

int run(const Options& options) {
  const Arch self = currentArch();
  std::set<std::string> wanted(options.cases.begin(), options.cases.end());
  for (const auto& name : wanted) {
    bool known = false;
    for (const auto& c : windowsCases()) known = known || c.name == name;
    if (!known) {
      std::fprintf(stderr, "unknown case %s (--list shows them)\n", name.c_str());
      return kUsageExit;
    }
  }
  // Rounds interleave the cases, so that a drift of this shared machine during the run moves
  // every case alike and the ratios between cases of the same run stay meaningful.
  const unsigned rounds = options.oneRound ? 1 : options.settings.rounds;
  std::vector<const Case*> selected;
  for (const auto& c : windowsCases()) {
    if (!wanted.empty() && wanted.count(c.name) == 0) continue;
    if (c.clientArch && *c.clientArch != self && options.noDelegate) continue;
    selected.push_back(&c);
  }
  std::vector<std::vector<CaseResult>> byCase(selected.size());
  for (unsigned round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < selected.size(); ++i) {
      const Case& c = *selected[i];
      if (!options.quiet) {
        std::fprintf(stderr, "winbench: %s (round %u of %u)\n", c.name.c_str(), round + 1, rounds);
      }
      CaseResult result;
      if (c.clientArch && *c.clientArch != self) {
        result = delegate(options, c.name, *c.clientArch);
      } else {
        try {
          result = c.run(options.settings);
        } catch (const std::exception& e) {
          result.error = e.what();
        } catch (const kj::Exception& e) {
          result.error = e.getDescription().cStr();
        }
      }
      byCase[i].push_back(std::move(result));
    }
  }
  std::vector<NamedResult> results;
  for (size_t i = 0; i < selected.size(); ++i) {
    results.push_back({selected[i]->name, mergeRounds(byCase[i])});
  }
  auto ratios = windowsRatios(results);
  if (!options.quiet) {
    printTable(stdout, results);
    printRatios(stdout, ratios);
    std::fflush(stdout);
  }
  if (!options.json.empty()) {
    std::ofstream out(options.json, std::ios::binary);
    out << toJson(results, ratios, machineInfo());
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", options.json.c_str());
      return 1;
    }
  }
  for (const auto& entry : results) {
    if (!entry.result.error.empty()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace bitbridge::bench::win

int main(int argc, char** argv) {
  using namespace bitbridge::bench::win;
  Options options = parseArguments(argc, argv);
  if (options.list) {
    for (const auto& c : windowsCases()) {
      std::printf("%-24s %s\n", c.name.c_str(), c.description.c_str());
    }
    return 0;
  }
  return run(options);
}
