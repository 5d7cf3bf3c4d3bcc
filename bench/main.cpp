// bitbridge-bench64 / bitbridge-bench32: one measurement run of bitbridge against its floors
// and baselines. A measurement tool, not a test: it asserts no timing.
//
//   bitbridge-bench64 [--quick] [--calls N] [--rounds R] [--case NAME[,NAME]]... [--pin-cpu N]
//                     [--json FILE|-] [--list]
//
// The 64-bit binary is the driver. Cases whose client must be 32-bit (bitbridge_*_32to64)
// are run by `bitbridge-bench32 --case NAME --json - --no-delegate` next to it, and its JSON is
// merged, so one run of the driver covers both directions.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kj/exception.h>

#include "harness.h"
#include "json.h"
#include "report.h"

extern char** environ;

namespace bitbridge::bench {
namespace {

constexpr int kUsageExit = 64;

struct Options {
  Settings settings;
  std::vector<std::string> cases;  // empty: all
  std::string json;                // empty: none; "-": stdout
  bool list = false;
  bool noDelegate = false;
  int serveEzRpcFd = -1;           // internal: be the EzRpc server of a capnp_ezrpc_* case
  int pinCpu = -1;                 // --pin-cpu N: this process and every child on CPU N
  bool oneRound = false;           // internal (--round-of R): one of R rounds, for a driver
};

void usage(std::FILE* out, const char* argv0) {
  std::fprintf(out,
               "usage: %s [--quick] [--calls N] [--rounds R] [--case NAME[,NAME...]]... [--pin-cpu N]\n"
               "          [--json FILE|-] [--list]\n"
               "\n"
               "Measures bitbridge null calls, pipelining, cold start and idle host memory against\n"
               "the floors (spin, socketpair, fork+exec) and plain Cap'n Proto, prints a table and\n"
               "the ratios the project's targets are stated in.\n"
               "\n"
               "  --quick         small counts: a few seconds in all\n"
               "  --calls N       measured calls per latency case (default: sized for < 60 s in all)\n"
               "  --case NAME     run only these cases (repeatable or comma-separated)\n"
               "  --rounds R      run the case list R times, interleaved, with 1/R of the calls\n"
               "                  each; report per case the median of the rounds (max: the max)\n"
               "  --json FILE     also write the results as JSON ('-': stdout, table on stderr)\n"
               "  --list          print the cases and what each one measures\n"
               "  --pin-cpu N     run this process and all it starts (servers, hosts) on CPU N:\n"
               "                  no cross-CPU wake-ups, so latency is the CPU path alone\n"
               "  --no-delegate   never run a case in the sibling binary of the other bitness\n"
               "  --round-of R    (internal) run one round of R, as a driver's delegate\n"
               "  --serve-ezrpc-fd N  (internal) serve the capnp_ezrpc_* cases' server on socket N\n",
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
      std::string text = value(i);
      char* end = nullptr;
      options.settings.calls = std::strtoull(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || options.settings.calls == 0) {
        std::fprintf(stderr, "%s: --calls needs a positive number, not '%s'\n", argv[0], text.c_str());
        std::exit(kUsageExit);
      }
    } else if (arg == "--case") {
      std::string names = value(i);
      size_t start = 0;
      while (start <= names.size()) {
        size_t comma = names.find(',', start);
        if (comma == std::string::npos) comma = names.size();
        if (comma > start) options.cases.push_back(names.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (arg == "--rounds" || arg == "--round-of") {
      std::string text = value(i);
      char* end = nullptr;
      unsigned long rounds = std::strtoul(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || rounds == 0 || rounds > 1000) {
        std::fprintf(stderr, "%s: %s needs a number from 1 to 1000, not '%s'\n", argv[0],
                     arg.c_str(), text.c_str());
        std::exit(kUsageExit);
      }
      options.settings.rounds = static_cast<unsigned>(rounds);
      options.oneRound = arg == "--round-of";
    } else if (arg == "--json") {
      options.json = value(i);
    } else if (arg == "--list") {
      options.list = true;
    } else if (arg == "--no-delegate") {
      options.noDelegate = true;
    } else if (arg == "--pin-cpu") {
      std::string text = value(i);
      char* end = nullptr;
      long cpu = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || cpu < 0 || cpu >= CPU_SETSIZE) {
        std::fprintf(stderr, "%s: --pin-cpu needs a CPU number, not '%s'\n", argv[0], text.c_str());
        std::exit(kUsageExit);
      }
      options.pinCpu = static_cast<int>(cpu);
    } else if (arg == "--serve-ezrpc-fd") {
      options.serveEzRpcFd = std::atoi(value(i).c_str());
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout, argv[0]);
      std::exit(0);
    } else {
      std::fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], arg.c_str());
      usage(stderr, argv[0]);
      std::exit(kUsageExit);
    }
  }
  return options;
}

// Runs `name` in the sibling binary of `arch` and reads its result from the JSON it prints.
CaseResult runInSibling(const Settings& settings, const std::string& name, Arch arch) {
  CaseResult failed;
  std::string exe = siblingExecutable(settings, arch);
  if (::access(exe.c_str(), X_OK) != 0) {
    failed.error = exe + " is missing: the case needs a " + std::to_string(pointerBits(arch)) +
                   "-bit client; build the " + std::string(archName(arch)) + " platform too";
    return failed;
  }
  std::vector<std::string> args = {exe, "--case", name, "--json", "-", "--no-delegate",
                                   "--round-of", std::to_string(settings.rounds)};
  if (settings.quick) args.push_back("--quick");
  if (settings.calls > 0) args.insert(args.end(), {"--calls", std::to_string(settings.calls)});
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    failed.error = std::string("pipe2: ") + std::strerror(errno);
    return failed;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);  // stderr stays ours
  std::fflush(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    failed.error = "posix_spawn " + exe + ": " + std::strerror(rc);
    return failed;
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(out[0], buffer, sizeof(buffer));
    if (n > 0) {
      text.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  try {
    JsonValue document = parseJson(text);
    const JsonValue* cases = document.find("cases");
    const JsonValue* result = cases ? cases->find(name) : nullptr;
    if (result) return caseFromJson(*result);
    failed.error = exe + " reported no result for " + name;
  } catch (const std::exception& e) {
    failed.error = exe + " (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                   ") wrote no valid JSON: " + e.what();
  }
  return failed;
}

CaseResult runCase(const Options& options, const Case& c) {
  if (c.clientArch && *c.clientArch != currentArch()) {
    if (!options.noDelegate) return runInSibling(options.settings, c.name, *c.clientArch);
    CaseResult wrong;
    wrong.error = c.name + " needs a " + std::to_string(pointerBits(*c.clientArch)) +
                  "-bit client; run it from bitbridge-bench" +
                  std::to_string(pointerBits(*c.clientArch));
    return wrong;
  }
  CaseResult result;
  try {
    result = c.run(options.settings);
  } catch (const kj::Exception& e) {
    result.error = e.getDescription().cStr();
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// One result from a case's rounds: the median of each figure over the rounds (max: the max;
// calls: the sum). A round that failed makes the case fail.
CaseResult mergeRounds(const std::vector<CaseResult>& rounds) {
  if (rounds.size() == 1) return rounds.front();
  for (const auto& r : rounds) {
    if (!r.error.empty()) return r;
  }
  auto collect = [&](auto get) {
    std::vector<double> values;
    for (const auto& r : rounds) {
      if (auto v = get(r)) values.push_back(*v);
    }
    return values;
  };
  auto medianOf = [&](auto get) -> std::optional<double> {
    auto values = collect(get);
    if (values.empty()) return std::nullopt;
    return median(values);
  };
  CaseResult merged;
  for (const auto& r : rounds) merged.calls += r.calls;
  if (rounds.front().latency) {
    Latency l;
    auto lat = [&](double Latency::*field) {
      return medianOf([field](const CaseResult& r) -> std::optional<double> {
        return r.latency ? std::optional<double>((*r.latency).*field) : std::nullopt;
      }).value_or(0);
    };
    l.p50 = lat(&Latency::p50);
    l.p99 = lat(&Latency::p99);
    l.p999 = lat(&Latency::p999);
    for (const auto& r : rounds) {
      l.max = std::max(l.max, r.latency ? r.latency->max : 0.0);
      if (r.latency) merged.p50ByRound.push_back(r.latency->p50);
    }
    merged.latency = l;
  }
  merged.callsPerSecond = medianOf([](const CaseResult& r) { return r.callsPerSecond; });
  merged.kib = medianOf([](const CaseResult& r) { return r.kib; });
  for (const auto& [key, unused] : rounds.front().extra) {
    (void)unused;
    auto value = medianOf([&key = key](const CaseResult& r) -> std::optional<double> {
      for (const auto& [k, v] : r.extra) {
        if (k == key) return v;
      }
      return std::nullopt;
    });
    if (value) merged.extra.emplace_back(key, *value);
  }
  merged.rssByMapping = rounds.back().rssByMapping;  // one round's snapshot
  return merged;
}

int run(int argc, char** argv) {
  Options options = parseArguments(argc, argv);
  options.settings.binDir = executableDirectory();
  options.settings.prefixDir = options.settings.binDir + "/..";
  if (options.serveEzRpcFd >= 0) serveEzRpc(options.serveEzRpcFd);
  if (options.pinCpu >= 0) {
    // Inherited by every process started from here on: forked servers, hosts, bench32.
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(options.pinCpu, &set);
    if (::sched_setaffinity(0, sizeof(set), &set) != 0) {
      std::fprintf(stderr, "%s: --pin-cpu %d: %s\n", argv[0], options.pinCpu, std::strerror(errno));
      return 1;
    }
  }
  const auto& cases = allCases();

  if (options.list) {
    for (const auto& c : cases) std::printf("%-22s %s\n", c.name.c_str(), c.description.c_str());
    return 0;
  }
  std::set<std::string> known;
  for (const auto& c : cases) known.insert(c.name);
  for (const auto& name : options.cases) {
    if (!known.count(name)) {
      std::fprintf(stderr, "%s: unknown case '%s' (see --list)\n", argv[0], name.c_str());
      return kUsageExit;
    }
  }
  std::set<std::string> selected(options.cases.begin(), options.cases.end());
  // With --json -, stdout carries only the JSON document.
  std::FILE* table = options.json == "-" ? stderr : stdout;
  auto machine = machineInfo();  // before the run, so load_average is what the run started with
  if (options.pinCpu >= 0) machine.emplace_back("pinned_cpu", std::to_string(options.pinCpu));

  // Progress lines name the binary, so a delegated run's lines are told apart.
  const std::string tag = "bench" + std::to_string(pointerBits(currentArch()));
  std::vector<const Case*> runList;
  for (const auto& c : cases) {
    if (selected.empty() || selected.count(c.name)) runList.push_back(&c);
  }
  // Rounds interleave the cases, so that a slow drift of the machine (other work starting or
  // stopping) moves every case alike instead of whichever happened to run at the time.
  unsigned loops = options.oneRound ? 1 : options.settings.rounds;
  std::vector<std::vector<CaseResult>> rounds(runList.size());
  for (unsigned round = 0; round < loops; ++round) {
    for (size_t i = 0; i < runList.size(); ++i) {
      const Case& c = *runList[i];
      std::string where = loops > 1 ? "round " + std::to_string(round + 1) + "/" +
                                          std::to_string(loops) + ", "
                                    : "";
      std::fprintf(stderr, "%s: [%s%zu/%zu] %s ...\n", tag.c_str(), where.c_str(), i + 1,
                   runList.size(), c.name.c_str());
      auto start = Clock::now();
      CaseResult result = runCase(options, c);
      double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (!result.error.empty()) {
        std::fprintf(stderr, "%s: %s FAILED: %s\n", tag.c_str(), c.name.c_str(), result.error.c_str());
      } else {
        std::fprintf(stderr, "%s: %s done in %.1f s\n", tag.c_str(), c.name.c_str(), seconds);
      }
      rounds[i].push_back(std::move(result));
    }
  }
  std::vector<NamedResult> results;
  for (size_t i = 0; i < runList.size(); ++i) {
    results.push_back({runList[i]->name, mergeRounds(rounds[i])});
  }
  if (loops > 1) machine.emplace_back("rounds", std::to_string(loops));

  auto ratios = computeRatios(results);
  // A delegated run (the driver reads our JSON) keeps its table to itself: the driver prints one.
  if (!(options.noDelegate && options.json == "-")) {
    std::fprintf(table, "\n");
    printTable(table, results);
    printRatios(table, ratios);
  }

  if (!options.json.empty()) {
    std::string document = toJson(results, ratios, machine);
    if (options.json == "-") {
      std::fwrite(document.data(), 1, document.size(), stdout);
      std::fflush(stdout);
    } else {
      std::FILE* file = std::fopen(options.json.c_str(), "w");
      if (file == nullptr ||
          std::fwrite(document.data(), 1, document.size(), file) != document.size() ||
          std::fclose(file) != 0) {
        std::fprintf(stderr, "%s: cannot write %s: %s\n", argv[0], options.json.c_str(),
                     std::strerror(errno));
        return 1;
      }
      std::fprintf(stderr, "%s: wrote %s\n", tag.c_str(), options.json.c_str());
    }
  }
  for (const auto& entry : results) {
    if (!entry.result.error.empty()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace bitbridge::bench

int main(int argc, char** argv) {
  try {
    return bitbridge::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitbridge-bench: %s\n", e.what());
    return 1;
  }
}
