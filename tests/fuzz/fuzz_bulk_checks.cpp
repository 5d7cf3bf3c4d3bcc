// Fuzz target: the checks applied to what a peer says about a bulk-data segment
// (bulk_layout.h): validateBulkHeader on a segment header, checkBulkRange on a reference into
// it, and the window arithmetic of BulkSegment::forEachWindow that runs after them.
//
// Input layout (little-endian; bytes missing at the end count as zero, so every input is
// meaningful):
//   [0, 64)    BulkSegmentHeader as found in the peer's segment
//   [64, 72)   size of the segment's file
//   [72, 80)   offset   } the reference a peer sends (BulkRef)
//   [80, 88)   length   }
//   [88, 96)   windowBytes passed to forEachWindow (0: the segment's default)
//   [96, 104)  the segment's default window (BulkOptions::windowBytes)
//
// The checkers may reject anything, but what they accept must really be safe: each
// acceptance is re-derived here in a different way (overflow builtins instead of the
// subtraction the checkers use) and abort()s if it does not hold. The same holds in reverse:
// rejecting a range that lies inside the segment is a bug too (callers would fail for
// nothing). That is what lets the fuzzer find bugs rather than only crashes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bitbridge/error.h"
#include "common/bulk/bulk_segment.h"
#include "wire/bulk_layout.h"

namespace {

using bitbridge::BulkSegmentHeader;
using bitbridge::Error;
using bitbridge::kBulkHeaderBytes;

[[noreturn]] void violated(const char* invariant, uint64_t a, uint64_t b, uint64_t c) {
  std::fprintf(stderr, "fuzz_bulk_checks: %s (%llu, %llu, %llu)\n", invariant,
               static_cast<unsigned long long>(a), static_cast<unsigned long long>(b),
               static_cast<unsigned long long>(c));
  std::abort();
}

uint64_t u64At(const uint8_t* input, size_t size, size_t offset) {
  uint8_t bytes[8] = {};
  if (offset < size) std::memcpy(bytes, input + offset, size - offset < 8 ? size - offset : 8);
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

// [offset, offset + length) within [0, limit), computed without the checkers' formula.
bool inside(uint64_t offset, uint64_t length, uint64_t limit) {
  uint64_t end = 0;
  return !__builtin_add_overflow(offset, length, &end) && end <= limit;
}

bool accepted(void (*check)()) {
  try {
    check();
    return true;
  } catch (const Error&) {
    return false;
  }
}

// A segment with no memory behind it: records the views forEachWindow asks for and checks
// that they tile the requested range in order, each inside the segment and the window.
class TilingSegment final : public bitbridge::BulkSegment {
 public:
  TilingSegment(uint64_t dataBytes, uint64_t defaultWindow)
      : BulkSegment(defaultWindow), dataBytes_(dataBytes) {}
  const std::string& name() const override { return name_; }
  uint64_t id() const override { return 1; }
  uint64_t dataBytes() const override { return dataBytes_; }
  void removeName() override {}

  // forEachWindow maps each window through view(), which asks mapView() with the window.
  bitbridge::BulkView mapView(uint64_t offset, uint64_t length, uint64_t,
                              const std::string&) override {
    if (offset != next_) violated("forEachWindow: windows not contiguous", offset, next_, length);
    if (length == 0 || length > window_) {
      violated("forEachWindow: window size outside (0, window]", length, window_, offset);
    }
    if (!inside(offset, length, dataBytes_)) {
      violated("forEachWindow: window outside the segment", offset, length, dataBytes_);
    }
    next_ = offset + length;
    return bitbridge::BulkView();
  }

  // Runs forEachWindow and checks the windows cover exactly [offset, offset + length).
  void tile(uint64_t offset, uint64_t length, uint64_t windowBytes) {
    window_ = windowBytes == 0 ? windowBytes_ : windowBytes;
    next_ = offset;
    uint64_t covered = 0;
    forEachWindow(
        offset, length, windowBytes,
        [&](bitbridge::BulkView&, uint64_t offsetInRange) {
          if (offsetInRange != covered) {
            violated("forEachWindow: offsetInRange skips", offsetInRange, covered, length);
          }
          covered = next_ - offset;
        },
        "fuzz reference");
    if (covered != length) violated("forEachWindow: range not covered", covered, length, offset);
  }

 private:
  std::string name_ = "bitbridge-fuzz";
  uint64_t dataBytes_;
  uint64_t window_ = 0;
  uint64_t next_ = 0;
};

// The inputs of one run, for the capture-free check lambdas above.
struct Input {
  BulkSegmentHeader header;
  uint64_t fileBytes, offset, length, windowBytes, defaultWindow;
} in;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::memset(&in.header, 0, sizeof in.header);
  std::memcpy(&in.header, data, size < sizeof in.header ? size : sizeof in.header);
  in.fileBytes = u64At(data, size, 64);
  in.offset = u64At(data, size, 72);
  in.length = u64At(data, size, 80);
  in.windowBytes = u64At(data, size, 88);
  in.defaultWindow = u64At(data, size, 96);
  const BulkSegmentHeader& h = in.header;

  bool headerOk = accepted([] { bitbridge::validateBulkHeader(in.header, in.fileBytes, "fuzz"); });
  if (headerOk) {
    if (std::memcmp(h.magic, bitbridge::kBulkMagic, sizeof h.magic) != 0 ||
        h.version != bitbridge::kBulkLayoutVersion || h.headerBytes != kBulkHeaderBytes ||
        h.segmentId == 0) {
      violated("header accepted with a bad identity", h.version, h.headerBytes, h.segmentId);
    }
    // The data area, after the header page, lies inside the file.
    if (!inside(kBulkHeaderBytes, h.dataBytes, in.fileBytes)) {
      violated("header accepted but data runs past the file", h.dataBytes, in.fileBytes, 0);
    }
  }

  // The range check is applied to the data size the (validated) header claims; run it on any
  // size, since its contract does not depend on the header.
  bool rangeOk = accepted(
      [] { bitbridge::checkBulkRange(in.offset, in.length, in.header.dataBytes, "fuzz"); });
  if (rangeOk != inside(in.offset, in.length, h.dataBytes)) {
    violated(rangeOk ? "range accepted outside the segment" : "range inside the segment rejected",
             in.offset, in.length, h.dataBytes);
  }
  // Accepted header + accepted range: the bytes touched lie inside the file.
  if (headerOk && rangeOk && !inside(kBulkHeaderBytes + in.offset, in.length, in.fileBytes)) {
    violated("accepted reference reaches past the file", in.offset, in.length, in.fileBytes);
  }

  // Streaming an accepted range. Skipped when it would take more than 2^16 windows: slow,
  // not wrong (a zero window is not skipped: it must not loop forever).
  if (rangeOk) {
    uint64_t window = in.windowBytes == 0 ? in.defaultWindow : in.windowBytes;
    if (window == 0 || in.length / window <= (uint64_t{1} << 16)) {
      TilingSegment segment(h.dataBytes, in.defaultWindow);
      try {
        segment.tile(in.offset, in.length, in.windowBytes);
      } catch (const Error&) {
        // Refusing a window size (e.g. zero) is fine; looping or mis-tiling is not.
      }
    }
  }
  return 0;
}
