// Generated seed inputs for the fuzz targets' committed corpora (tests/fuzz/corpus/<target>/).
//
// Why generated: seeds that reach deep (a valid bootstrap + call, a .NET PE header, a bulk
// header that passes validation) are tedious to write by hand and go stale when the protocol
// or a format changes; `fuzz_seeds --check` (a test) notices when they do, and
// `fuzz_seeds --write` rewrites them. Every generated file is named "gen-*"; other files in
// a corpus (fuzzer findings, headers cut from real binaries) are left alone.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bitbridge::fuzz {

using Bytes = std::vector<uint8_t>;
/// File name (without directory, starting with "gen-") -> content.
using Seeds = std::map<std::string, Bytes>;

Seeds hostConnectionSeeds();  // seeds_host_connection.cpp
Seeds binaryHeaderSeeds();    // seeds_binary_header.cpp
Seeds bulkChecksSeeds();      // seeds_bulk_checks.cpp
Seeds cBindingSeeds();        // seeds_c_binding.cpp
Seeds shmRingSeeds();         // seeds_shm_ring.cpp

/// Little-endian store of the low `width` bytes of `value` at `offset` (bounds-checked).
inline void putLe(Bytes& b, size_t offset, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) b.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}
inline void put16(Bytes& b, size_t offset, uint16_t value) { putLe(b, offset, value, 2); }
inline void put32(Bytes& b, size_t offset, uint32_t value) { putLe(b, offset, value, 4); }
inline void put64(Bytes& b, size_t offset, uint64_t value) { putLe(b, offset, value, 8); }

}  // namespace bitbridge::fuzz
