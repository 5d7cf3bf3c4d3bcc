// bitbridge-bulk-bench: what it costs to hand a buffer to a host and back, for 1 MiB, 64 MiB
// and 1 GiB, three ways (the common case: a 64-bit program, a 32-bit host):
//
//   bulk    The buffer is in shared memory, allocated once (Host::allocate, not timed). Timed:
//           one call carrying a BulkRef to the whole buffer; the host maps it window by window
//           (forEachWindow with its default window, 256 MiB: one view for 1 and 64 MiB, four
//           successive views for 1 GiB, as a 32-bit host cannot map 1 GiB at once) and reads
//           the first and the last byte of every window, then returns.
//   data    The copying baseline through Cap'n Proto: the bytes are sent to the host in Data
//           chunks of 8 MiB (under the 64 MiB message limit), one call at a time, copied into
//           a host-side buffer (allocated and touched before timing), then fetched back the
//           same way into a second client buffer.
//   memcpy  The in-process baseline: memcpy there and back (buffer to buffer, twice).
//
// Each case runs once untimed (warm-up, and a check of the bytes), then 20 times (5 for
// 1 GiB); the table reports medians. It asserts no timing.
//
//   bitbridge-bulk-bench [--quick] [--json FILE] [--component PATH]
//
// --quick: 1 MiB and 64 MiB only (the smoke test). Default component: BULK_BENCH_COMPONENT.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <bitbridge/host.h>

#include "bulk_bench.capnp.h"

#ifndef BULK_BENCH_COMPONENT
#error "BULK_BENCH_COMPONENT must be defined (path of libbulk_bench_component.so)"
#endif
#ifndef BITBRIDGE_BENCH_BUILD_TYPE
#define BITBRIDGE_BENCH_BUILD_TYPE ""
#endif

namespace {

using BulkBench = bitbridge_bulk_bench::BulkBench;
constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint32_t kChunkBytes = 8 << 20;  // Data case: bytes per message

struct Size {
  const char* name;
  uint64_t bytes;
  unsigned reps;
};

struct Stats {
  unsigned reps = 0;
  double p50 = 0, min = 0, max = 0;  // microseconds
};

Stats measure(unsigned reps, const std::function<void()>& once) {
  once();  // warm-up, not timed
  std::vector<double> us;
  for (unsigned i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    once();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(us.begin(), us.end());
  Stats stats;
  stats.reps = reps;
  size_t mid = us.size() / 2;
  stats.p50 = us.size() % 2 ? us[mid] : (us[mid - 1] + us[mid]) / 2;
  stats.min = us.front();
  stats.max = us.back();
  return stats;
}

kj::byte patternByte(uint64_t offset) { return static_cast<kj::byte>((offset * 131 + 7) >> 3); }

void fillPattern(kj::byte* data, uint64_t bytes) {
  for (uint64_t i = 0; i < bytes; ++i) data[i] = patternByte(i);
}

/// Case (a): the buffer by reference.
Stats benchBulk(bitbridge::Host& host, BulkBench::Client& bench, const Size& size, uint32_t* windowsOut) {
  bitbridge::BulkBuffer buffer = host.allocate(size.bytes);
  bitbridge::BulkView view = buffer.view();  // a 64-bit client maps it whole
  fillPattern(view.data(), size.bytes);
  uint64_t sum = 0;
  uint32_t windows = 0;
  Stats stats = measure(size.reps, [&] {
    auto request = bench.touchRequest();
    toWire(buffer.ref(), request.initData());
    auto response = host.wait(request.send());
    sum = response.getSum();
    windows = response.getWindows();
  });
  // The host read the first and last byte of each window: check it read the right ones.
  uint64_t window = windows <= 1 ? size.bytes : bitbridge::BulkOptions{}.windowBytes;
  uint64_t expected = 0;
  for (uint64_t at = 0; at < size.bytes; at += window) {
    expected += patternByte(at) + patternByte(std::min(at + window, size.bytes) - 1);
  }
  if (sum != expected) {
    throw std::runtime_error(std::string("bulk ") + size.name + ": the host read " + std::to_string(sum) +
                             ", expected " + std::to_string(expected));
  }
  *windowsOut = windows;
  return stats;
}

/// Case (b): the bytes copied into messages, there and back.
Stats benchData(bitbridge::Host& host, BulkBench::Client& bench, const Size& size,
                std::vector<kj::byte>& source, std::vector<kj::byte>& target) {
  uint32_t chunk = static_cast<uint32_t>(std::min<uint64_t>(kChunkBytes, size.bytes));
  {
    auto request = bench.reserveRequest();
    request.setBytes(size.bytes);
    request.setChunkBytes(chunk);
    host.wait(request.send());
  }
  Stats stats = measure(size.reps, [&] {
    for (uint64_t at = 0; at < size.bytes; at += chunk) {
      size_t length = static_cast<size_t>(std::min<uint64_t>(chunk, size.bytes - at));
      auto request = bench.putRequest();
      request.setOffset(at);
      std::memcpy(request.initData(static_cast<unsigned>(length)).begin(), source.data() + at, length);
      host.wait(request.send());
    }
    for (uint64_t at = 0; at < size.bytes; at += chunk) {
      size_t length = static_cast<size_t>(std::min<uint64_t>(chunk, size.bytes - at));
      auto request = bench.getRequest();
      request.setOffset(at);
      request.setLength(static_cast<uint32_t>(length));
      auto response = host.wait(request.send());
      std::memcpy(target.data() + at, response.getData().begin(), length);
    }
  });
  host.wait(bench.releaseRequest().send());
  if (std::memcmp(source.data(), target.data(), static_cast<size_t>(size.bytes)) != 0) {
    throw std::runtime_error(std::string("data ") + size.name + ": the bytes fetched back differ");
  }
  return stats;
}

/// Case (c): in-process memcpy there and back.
Stats benchMemcpy(const Size& size, std::vector<kj::byte>& source, std::vector<kj::byte>& target) {
  return measure(size.reps, [&] {
    std::memcpy(target.data(), source.data(), static_cast<size_t>(size.bytes));
    asm volatile("" ::: "memory");  // keep both copies
    std::memcpy(source.data(), target.data(), static_cast<size_t>(size.bytes));
    asm volatile("" ::: "memory");
  });
}

std::string jsonQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", unsigned(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// A ratio for the table: whole numbers when large, two significant digits when small.
std::string ratioText(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), value >= 100 ? "%.0fx" : value >= 0.1 ? "%.2fx" : "%.2gx", value);
  return text;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", value);
  return text;
}

std::string cpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

std::string memoryKiB() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key, value;
  while (meminfo >> key >> value) {
    if (key == "MemTotal:") return value;
    meminfo.ignore(256, '\n');
  }
  return "0";
}

struct Options {
  bool quick = false;
  std::string json;
  std::string component = BULK_BENCH_COMPONENT;
};

Options parseOptions(int argc, char** argv) {
  const std::string usage = "usage: bitbridge-bulk-bench [--quick] [--json FILE] [--component PATH]";
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      options.quick = true;
    } else if ((arg == "--json" || arg == "--component") && i + 1 < argc) {
      (arg == "--json" ? options.json : options.component) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::printf("%s\n", usage.c_str());
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown or incomplete argument '" + arg + "' (" + usage + ")");
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options options = parseOptions(argc, argv);
    // Recorded with the results: what the machine was doing when the run started, and when.
    std::string loadAverage;
    {
      std::ifstream loadavg("/proc/loadavg");
      std::string one, five, fifteen;
      if (loadavg >> one >> five >> fifteen) loadAverage = one + " " + five + " " + fifteen;
    }
    char startDate[64];
    std::time_t now = std::time(nullptr);
    std::strftime(startDate, sizeof(startDate), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::vector<Size> sizes = {{"1MiB", kMiB, 20}, {"64MiB", 64 * kMiB, 20}};
    if (!options.quick) sizes.push_back({"1GiB", 1024 * kMiB, 5});

    bitbridge::Runtime runtime;
    bitbridge::HostOptions hostOptions;
    hostOptions.component = options.component;
    bitbridge::Host host = bitbridge::Host::spawn(runtime, hostOptions);
    bitbridge::HostInfo info = host.info();
    auto bench = host.activate<BulkBench>("bulk-bench");
    std::printf("bitbridge-bulk-bench: %u-bit client pid %u -> %u-bit host pid %u (%s)\n",
                unsigned(sizeof(void*) * 8), unsigned(getpid()), info.pointerBits, unsigned(info.pid),
                info.transport.c_str());
    std::printf("  bulk:   one call with a BulkRef; the host maps it window by window (default window\n"
                "          %llu MiB) and reads the first and last byte of each window\n"
                "  data:   the bytes sent in %u MiB Data chunks and fetched back, one call at a time\n"
                "  memcpy: in-process memcpy there and back\n\n",
                static_cast<unsigned long long>(bitbridge::BulkOptions{}.windowBytes >> 20), kChunkBytes >> 20);
    std::printf("%-7s %5s %8s %12s %12s %12s %10s %12s\n", "size", "reps", "windows", "bulk ms", "data ms",
                "memcpy ms", "data/bulk", "bulk/memcpy");

    std::map<std::string, Stats> cases;
    std::map<std::string, uint32_t> windowsOf;  // bulk cases: windows the host mapped per call
    std::vector<std::string> order;
    for (const Size& size : sizes) {
      uint32_t windows = 0;
      Stats bulk = benchBulk(host, bench, size, &windows);
      std::vector<kj::byte> source(static_cast<size_t>(size.bytes));
      std::vector<kj::byte> target(static_cast<size_t>(size.bytes));
      fillPattern(source.data(), size.bytes);
      Stats data = benchData(host, bench, size, source, target);
      Stats copy = benchMemcpy(size, source, target);
      std::printf("%-7s %5u %8u %12.3f %12.3f %12.3f %10s %12s\n", size.name, size.reps, windows,
                  bulk.p50 / 1e3, data.p50 / 1e3, copy.p50 / 1e3, ratioText(data.p50 / bulk.p50).c_str(),
                  ratioText(bulk.p50 / copy.p50).c_str());
      std::fflush(stdout);
      windowsOf[std::string("bulk_") + size.name] = windows;
      for (auto& [kind, stats] : {std::pair<const char*, Stats>{"bulk_", bulk}, {"data_", data}, {"memcpy_", copy}}) {
        std::string name = kind + std::string(size.name);
        cases[name] = stats;
        order.push_back(name);
      }
    }
    std::printf("\n(medians; data/bulk: how much longer copying takes than passing a reference;\n"
                " bulk/memcpy: a reference to the host vs copying the bytes within this process)\n");

    host.shutdown();

    if (!options.json.empty()) {
      std::ostringstream out;
      out << "{\n  \"cases\": {";
      const char* separator = "\n";
      for (const std::string& name : order) {
        const Stats& s = cases[name];
        out << separator << "    " << jsonQuote(name) << ": {\"p50_us\": " << number(s.p50)
            << ", \"min_us\": " << number(s.min) << ", \"max_us\": " << number(s.max)
            << ", \"reps\": " << s.reps;
        if (auto w = windowsOf.find(name); w != windowsOf.end()) out << ", \"windows\": " << w->second;
        out << "}";
        separator = ",\n";
      }
      struct utsname uts {};
      std::string kernel = ::uname(&uts) == 0 ? std::string(uts.sysname) + " " + uts.release : "";
      out << "\n  },\n  \"machine\": {\n"
          << "    \"cpu_model\": " << jsonQuote(cpuModel()) << ",\n"
          << "    \"cores\": " << ::sysconf(_SC_NPROCESSORS_ONLN) << ",\n"
          << "    \"memory_kib\": " << memoryKiB() << ",\n"
          << "    \"kernel\": " << jsonQuote(kernel) << ",\n"
          << "    \"load_average\": " << jsonQuote(loadAverage) << ",\n"
          << "    \"date\": " << jsonQuote(startDate) << ",\n"
          << "    \"build_type\": " << jsonQuote(BITBRIDGE_BENCH_BUILD_TYPE) << ",\n"
          << "    \"client_bits\": " << sizeof(void*) * 8 << ",\n"
          << "    \"host_bits\": " << unsigned(info.pointerBits) << ",\n"
          << "    \"transport\": " << jsonQuote(info.transport) << ",\n"
          << "    \"host_window_bytes\": " << bitbridge::BulkOptions{}.windowBytes << ",\n"
          << "    \"data_chunk_bytes\": " << kChunkBytes << "\n  }\n}\n";
      std::ofstream file(options.json);
      file << out.str();
      if (!file.flush()) throw std::runtime_error("cannot write " + options.json);
    }
    return 0;
  } catch (const std::exception& e) {  // bitbridge::Error too: its what() names cause and fix
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const kj::Exception& e) {  // not expected (Host::wait translates); never uncaught
    std::fprintf(stderr, "error: %s\n", e.getDescription().cStr());
    return 1;
  }
}
