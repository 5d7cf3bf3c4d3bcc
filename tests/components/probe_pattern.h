// The byte pattern and checksum shared by the probe component and the tests, so that each
// side can verify what the other wrote into shared memory. Position-dependent, so a window
// mapped at the wrong offset or a copy of the wrong range gives a different sum.
#pragma once

#include <cstdint>

#include <kj/common.h>

namespace probe {

/// The byte at absolute position `index` for `seed`.
inline uint8_t probeByte(uint64_t index, uint64_t seed) {
  uint64_t x = (index + seed) * 0x9E3779B97F4A7C15ull;
  return static_cast<uint8_t>(x >> 56);
}

/// Writes the pattern into `bytes`, which start at position `offset` of the whole range.
inline void probeFill(kj::ArrayPtr<kj::byte> bytes, uint64_t offset, uint64_t seed) {
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = probeByte(offset + i, seed);
}

/// Position-weighted sum of `bytes`, which start at position `offset` of the whole range.
/// Summing window checksums gives the checksum of the whole range.
inline uint64_t probeChecksum(kj::ArrayPtr<const kj::byte> bytes, uint64_t offset) {
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes.size(); ++i) sum += uint64_t{bytes[i]} * ((offset + i) % 65521 + 1);
  return sum;
}

}  // namespace probe
