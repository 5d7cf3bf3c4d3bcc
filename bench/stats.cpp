// The parts of the harness that are plain arithmetic: call counts per round and latency
// percentiles. Portable (no POSIX, no Win32), so the Windows bench (bench/windows/) uses them
// too.
#include <algorithm>
#include <cmath>

#include "harness.h"

namespace bitbridge::bench {

uint64_t Settings::count(uint64_t full, uint64_t quickCount) const {
  if (calls > 0) return std::max<uint64_t>(1, calls / rounds);
  return starts(full, quickCount);
}

uint64_t Settings::starts(uint64_t full, uint64_t quickCount) const {
  return std::max<uint64_t>(1, (quick ? quickCount : full) / rounds);
}

uint64_t Settings::warmup(uint64_t measured) {
  return std::min<uint64_t>(2000, std::max<uint64_t>(measured / 10, 10));
}

Latency summarize(std::vector<int64_t>& samplesNs) {
  Latency latency;
  if (samplesNs.empty()) return latency;
  std::sort(samplesNs.begin(), samplesNs.end());
  auto rank = [&](double p) {
    // Nearest rank: the smallest sample with at least p of all samples at or below it.
    size_t index = static_cast<size_t>(std::ceil(p * static_cast<double>(samplesNs.size())));
    index = std::min(std::max<size_t>(index, 1), samplesNs.size()) - 1;
    return static_cast<double>(samplesNs[index]) / 1000.0;
  };
  latency.p50 = rank(0.50);
  latency.p99 = rank(0.99);
  latency.p999 = rank(0.999);
  latency.max = static_cast<double>(samplesNs.back()) / 1000.0;
  return latency;
}

}  // namespace bitbridge::bench
