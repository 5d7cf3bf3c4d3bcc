// bigmem-offload-demo: a 32-bit program whose job needs more memory than it can address.
//
// The job: sort 1.2 billion random 32-bit keys, 4.5 GiB of keys (twice that with the scratch
// space a radix sort needs). A 32-bit process cannot even hold the array, so the client keeps
// the keys in a shared-memory buffer it allocates for a 64-bit host (Host::allocate), writes
// them through moving windows, and has the bigmem component, running in bitbridge-host64,
// map the whole buffer and sort it in place. Then it reads the result back window by window
// and checks it. Nothing of the 4.5 GiB travels in a message.
//
//   bigmem-offload-demo [--keys N] [--seed S] [path/to/libbigmem_component.so|.dll]
//
// N may be written like 1.2e9 (default). Default component path: BIGMEM_COMPONENT, the stage
// path set by CMake. The same source on Windows: the buffer is a section, mapped by the client
// 64 MiB at a time (MapViewOfFile with a 64-bit offset).
#include <unistd.h>  // getpid (mingw-w64 has it too)

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <bitbridge/host.h>

#include "bigmem.capnp.h"
#include "process_memory.h"

#ifndef BIGMEM_COMPONENT
#error "BIGMEM_COMPONENT must be defined (path of the 64-bit bigmem component)"
#endif

namespace {

constexpr uint64_t kDefaultKeys = 1200000000;
/// How much of the buffer the client maps at a time: its own footprint stays about this size.
constexpr uint64_t kWindowBytes = uint64_t{64} << 20;

struct Options {
  uint64_t keys = kDefaultKeys;
  uint32_t seed = 2024;
  std::string component = BIGMEM_COMPONENT;
};

/// A whole number of at least 1, written plainly (1200000000) or like 1.2e9.
uint64_t parseCount(const std::string& option, const char* text) {
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text, &end);
  // 2^53: beyond that a double no longer holds every whole number.
  if (end == text || *end != '\0' || errno != 0 || !(value >= 1) || value > 9007199254740992.0 ||
      value != std::floor(value)) {
    throw std::invalid_argument(option + " needs a whole number of at least 1, not '" + text + "'");
  }
  return static_cast<uint64_t>(value);
}

Options parseOptions(int argc, char** argv) {
  Options options;
  bool componentSeen = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--keys" || arg == "--seed") {
      if (i + 1 == argc) throw std::invalid_argument(arg + " needs a value");
      uint64_t value = parseCount(arg, argv[++i]);
      if (arg == "--keys") {
        options.keys = value;
      } else {
        options.seed = static_cast<uint32_t>(value);
      }
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: bigmem-offload-demo [--keys N] [--seed S] [component.so]\n");
      std::exit(0);
    } else if (!arg.empty() && arg[0] != '-' && !componentSeen) {
      options.component = arg;
      componentSeen = true;
    } else {
      throw std::invalid_argument("unknown argument '" + arg +
                                  "' (usage: bigmem-offload-demo [--keys N] [--seed S] [component.so])");
    }
  }
  return options;
}

/// Marsaglia's xorshift128: 32-bit operations only, so it is fast in a 32-bit process too.
class KeyGenerator {
 public:
  explicit KeyGenerator(uint32_t seed) : w_(88675123u ^ seed) {}
  uint32_t operator()() {
    uint32_t t = x_ ^ (x_ << 11);
    x_ = y_;
    y_ = z_;
    z_ = w_;
    w_ = w_ ^ (w_ >> 19) ^ t ^ (t >> 8);
    return w_;
  }

 private:
  uint32_t x_ = 123456789u, y_ = 362436069u, z_ = 521288629u, w_;
};

std::string bytesText(uint64_t bytes) {
  char text[32];
  if (bytes >= (uint64_t{1} << 30)) {
    std::snprintf(text, sizeof(text), "%.2f GiB", double(bytes) / double(uint64_t{1} << 30));
  } else if (bytes >= (uint64_t{1} << 20)) {
    std::snprintf(text, sizeof(text), "%.0f MiB", double(bytes) / double(1 << 20));
  } else {
    std::snprintf(text, sizeof(text), "%.0f KiB", double(bytes) / 1024.0);
  }
  return text;
}


double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The job done here, the obvious way: what happens when this process allocates the keys.
std::string tryInProcess(uint64_t keys) {
  if (keys > std::numeric_limits<size_t>::max()) {
    return "impossible: " + std::to_string(keys) + " does not fit this process's " +
           std::to_string(sizeof(size_t) * 8) + "-bit size_t";
  }
  try {
    std::vector<uint32_t> array(static_cast<size_t>(keys));
    return "allocated (small enough for this process; offloading anyway)";
  } catch (const std::length_error& e) {
    return std::string("failed: std::length_error: ") + e.what();
  } catch (const std::bad_alloc&) {
    return "failed: std::bad_alloc: out of address space";
  }
}

/// Steps (c) and (d): fill, sort in the host, verify, report memory. True if the keys came
/// back sorted with the same checksum. The buffer is released before this returns.
bool offload(bitbridge::Host& host, bigmem::BigMem::Client bigmem, const Options& options) {
  const uint64_t bytes = options.keys * sizeof(uint32_t);

  auto start = std::chrono::steady_clock::now();
  bitbridge::BulkBuffer buffer = host.allocate(bytes);
  std::printf("client: allocated a %s shared buffer for the host (%.2f s)\n", bytesText(bytes).c_str(),
              secondsSince(start));

  // Write the keys through moving windows: this process can map only a small part at a time.
  start = std::chrono::steady_clock::now();
  KeyGenerator next(options.seed);
  uint64_t sum = 0, windows = 0;
  buffer.forEachWindow(0, bytes, kWindowBytes, [&](bitbridge::BulkView& window, uint64_t) {
    for (uint32_t& key : window.as<uint32_t>()) {
      key = next();
      sum += key;
    }
    ++windows;
  });
  std::printf("client: wrote %" PRIu64 " random keys through %" PRIu64 " window%s of %s (%.1f s), checksum %016" PRIx64 "\n",
              options.keys, windows, windows == 1 ? "" : "s", bytesText(kWindowBytes).c_str(),
              secondsSince(start), sum);

  start = std::chrono::steady_clock::now();
  auto request = bigmem.sortRequest();
  toWire(buffer.ref(), request.initKeys());
  auto sorted = host.wait(request.send());
  std::printf("host: sorted them in place in %.1f s (LSD radix sort, %u passes of %u bits, %u threads, %s scratch)\n",
              sorted.getSeconds(), unsigned(sorted.getPasses()), unsigned(sorted.getDigitBits()),
              unsigned(sorted.getThreads()), bytesText(sorted.getScratchBytes()).c_str());
  double callSeconds = secondsSince(start);

  // Read the result back the same way: ascending across window boundaries, same checksum.
  start = std::chrono::steady_clock::now();
  uint64_t check = 0, firstUnsorted = UINT64_MAX;
  uint32_t previous = 0;
  buffer.forEachWindow(0, bytes, kWindowBytes, [&](bitbridge::BulkView& window, uint64_t offset) {
    auto keys = window.as<uint32_t>();
    for (size_t i = 0; i < keys.size(); ++i) {
      uint32_t key = keys[i];
      if (key < previous && firstUnsorted == UINT64_MAX) firstUnsorted = offset / 4 + i;
      previous = key;
      check += key;
    }
  });
  bool ok = firstUnsorted == UINT64_MAX && check == sum;
  if (ok) {
    std::printf("client: verified %" PRIu64 " keys: sorted, checksum %016" PRIx64 " matches (call %.1f s, check %.1f s)\n",
                options.keys, check, callSeconds, secondsSince(start));
  } else if (firstUnsorted != UINT64_MAX) {
    std::fprintf(stderr, "error: the keys came back unsorted (key %" PRIu64 " is smaller than the one before it)\n",
                 firstUnsorted);
  } else {
    std::fprintf(stderr, "error: checksum mismatch: wrote %016" PRIx64 ", read back %016" PRIx64 "\n", sum, check);
  }

  auto memory = host.wait(bigmem.memoryRequest().send());
  std::printf("memory: client (%u-bit) peak %s, now %s\n", unsigned(sizeof(void*) * 8),
              bytesText(bitbridge_examples::peakResidentKiB() * 1024).c_str(),
              bytesText(bitbridge_examples::residentKiB() * 1024).c_str());
  std::printf("memory: host   (%u-bit) peak %s, now %s\n", unsigned(memory.getPointerBits()),
              bytesText(memory.getPeakKiB() * 1024).c_str(),
              bytesText(memory.getResidentKiB() * 1024).c_str());
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  auto start = std::chrono::steady_clock::now();
  try {
    Options options = parseOptions(argc, argv);
    if (options.keys > (uint64_t{1} << 40)) {
      throw std::invalid_argument("--keys " + std::to_string(options.keys) + " is more than this demo allows (2^40)");
    }
    bitbridge::Runtime runtime;
    bitbridge::HostOptions hostOptions;
    hostOptions.component = options.component;

    std::printf("client: %u-bit pid %u\n", unsigned(sizeof(void*) * 8), unsigned(getpid()));
    std::printf("job: sort %" PRIu64 " random 32-bit keys (%s)\n", options.keys,
                bytesText(options.keys * sizeof(uint32_t)).c_str());
    std::printf("client: std::vector<uint32_t>(%" PRIu64 ") here: %s\n", options.keys,
                tryInProcess(options.keys).c_str());

    auto host = bitbridge::Host::spawn(runtime, hostOptions);
    auto info = host.info();
    std::printf("host: %u-bit pid %u (%s, %s)\n", info.pointerBits, unsigned(info.pid),
                std::string(bitbridge::archName(info.arch)).c_str(), info.os.c_str());

    bool ok = offload(host, host.activate<bigmem::BigMem>("bigmem"), options);

    host.shutdown();
    std::printf("host shut down (total %.1f s)\n", secondsSince(start));
    return ok ? 0 : 1;
  } catch (const std::exception& e) {  // bitbridge::Error too: its what() names cause and fix
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const kj::Exception& e) {  // not expected (Host::wait translates); never uncaught
    std::fprintf(stderr, "error: %s\n", e.getDescription().cStr());
    return 1;
  }
}
