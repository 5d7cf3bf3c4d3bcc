// shared-image-demo: a 64-bit program handing a 1 GiB image to a 32-bit component, which
// processes it in place. No pixel travels in a message.
//
// The client allocates the image in shared memory for the host (Host::allocate), draws a test
// pattern into it, and calls invert(ref) on the image component: bitbridge-host32 maps the
// buffer window by window (a 32-bit process cannot map 1 GiB at once) and inverts every pixel
// where it lies. The client then checks the result against a checksum computed while drawing.
//
//   shared-image-demo [--size WIDTHxHEIGHT] [path/to/libimage_component.so|.dll]
//
// Default size 16384x16384 (1 GiB of RGBA). Default component path: IMAGE_COMPONENT, the
// stage path set by CMake.
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <bitbridge/host.h>

#include "image.capnp.h"

#ifndef IMAGE_COMPONENT
#error "IMAGE_COMPONENT must be defined (path of libimage_component.so)"
#endif

namespace {

constexpr uint32_t kColourBits = 0x00FFFFFFu;  // RGB of a little-endian RGBA pixel

struct Options {
  uint32_t width = 16384;
  uint32_t height = 16384;
  std::string component = IMAGE_COMPONENT;
};

Options parseOptions(int argc, char** argv) {
  const std::string usage = "usage: shared-image-demo [--size WIDTHxHEIGHT] [component.so]";
  Options options;
  bool componentSeen = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--size") {
      if (i + 1 == argc) throw std::invalid_argument("--size needs WIDTHxHEIGHT");
      const char* text = argv[++i];
      char* x = nullptr;
      char* end = nullptr;
      unsigned long width = std::strtoul(text, &x, 10);
      unsigned long height = *x == 'x' ? std::strtoul(x + 1, &end, 10) : 0;
      if (x == text || *x != 'x' || end == x + 1 || *end != '\0' || width == 0 || height == 0 ||
          width > 65536 || height > 65536) {
        throw std::invalid_argument(std::string("--size needs WIDTHxHEIGHT, each 1..65536, not '") + text + "'");
      }
      options.width = static_cast<uint32_t>(width);
      options.height = static_cast<uint32_t>(height);
    } else if (arg == "--help" || arg == "-h") {
      std::printf("%s\n", usage.c_str());
      std::exit(0);
    } else if (!arg.empty() && arg[0] != '-' && !componentSeen) {
      options.component = arg;
      componentSeen = true;
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "' (" + usage + ")");
    }
  }
  return options;
}

/// The test pattern: red follows x, green follows y, blue their xor; opaque.
uint32_t patternPixel(uint32_t x, uint32_t y) {
  return (x & 0xFF) | (y & 0xFF) << 8 | ((x ^ y) & 0xFF) << 16 | 0xFFu << 24;
}

/// Position-weighted, so a pixel in the wrong place changes it: the sum of pixel * weight(i)
/// modulo 2^64, with an odd (so any single wrong pixel shows) pseudo-random weight per position.
struct Checksum {
  uint64_t value = 0;
  void add(uint64_t index, uint32_t pixel) {
    uint64_t weight = index * 0x9E3779B97F4A7C15u;
    weight ^= weight >> 29;
    value += uint64_t{pixel} * (weight | 1);
  }
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

/// Draw, have the host invert, verify. True if the result is right. The buffer is released
/// before this returns.
bool run(bitbridge::Host& host, shared_image::Image::Client image, const Options& options) {
  const uint64_t pixels = uint64_t{options.width} * options.height;
  const uint64_t bytes = pixels * 4;
  std::printf("image: %u x %u RGBA = %s\n", options.width, options.height, bytesText(bytes).c_str());

  auto start = std::chrono::steady_clock::now();
  bitbridge::BulkBuffer buffer = host.allocate(bytes);
  std::printf("client: allocated a %s shared buffer for the host (%.0f ms)\n", bytesText(bytes).c_str(),
              secondsSince(start) * 1e3);

  // A 64-bit client maps the whole buffer at once.
  start = std::chrono::steady_clock::now();
  bitbridge::BulkView view = buffer.view();
  uint32_t* data = view.as<uint32_t>().begin();
  Checksum expected;
  for (uint32_t y = 0; y < options.height; ++y) {
    uint64_t row = uint64_t{y} * options.width;
    for (uint32_t x = 0; x < options.width; ++x) {
      uint32_t pixel = patternPixel(x, y);
      data[row + x] = pixel;
      expected.add(row + x, pixel ^ kColourBits);
    }
  }
  std::printf("client: drew the test pattern in place (%.0f ms)\n", secondsSince(start) * 1e3);

  start = std::chrono::steady_clock::now();
  auto request = image.invertRequest();
  toWire(buffer.ref(), request.initPixels());
  request.setWidth(options.width);
  request.setHeight(options.height);
  auto result = host.wait(request.send());
  double call = secondsSince(start);
  std::printf("host: inverted it in place, one call of %.0f ms (%.0f ms in the host, %u window%s of %s, %.2f GB/s)\n",
              call * 1e3, result.getSeconds() * 1e3, unsigned(result.getWindows()),
              result.getWindows() == 1 ? "" : "s", bytesText(result.getWindowBytes()).c_str(),
              double(bytes) / call / 1e9);
  std::printf("memory: host peak %s while processing %s\n", bytesText(result.getPeakKiB() * 1024).c_str(),
              bytesText(bytes).c_str());

  start = std::chrono::steady_clock::now();
  Checksum actual;
  for (uint64_t i = 0; i < pixels; ++i) actual.add(i, data[i]);
  if (actual.value != expected.value) {
    std::fprintf(stderr, "error: checksum of the result is %016" PRIx64 ", expected %016" PRIx64 "\n",
                 actual.value, expected.value);
    return false;
  }
  std::printf("client: verified the result: checksum %016" PRIx64 " matches (%.0f ms)\n", actual.value,
              secondsSince(start) * 1e3);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options options = parseOptions(argc, argv);
    bitbridge::Runtime runtime;
    bitbridge::HostOptions hostOptions;
    hostOptions.component = options.component;

    std::printf("client: %u-bit pid %u\n", unsigned(sizeof(void*) * 8), unsigned(getpid()));
    auto host = bitbridge::Host::spawn(runtime, hostOptions);
    auto info = host.info();
    std::printf("host: %u-bit pid %u (%s, %s)\n", info.pointerBits, unsigned(info.pid),
                std::string(bitbridge::archName(info.arch)).c_str(), info.os.c_str());

    bool ok = run(host, host.activate<shared_image::Image>("image"), options);

    host.shutdown();
    std::printf("host shut down\n");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {  // bitbridge::Error too: its what() names cause and fix
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const kj::Exception& e) {  // not expected (Host::wait translates); never uncaught
    std::fprintf(stderr, "error: %s\n", e.getDescription().cStr());
    return 1;
  }
}
