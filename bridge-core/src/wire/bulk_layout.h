// Layout of a bulk-data segment, and the checks applied to everything a peer says about one.
//
// A segment is [header page | data]. Both bitnesses map it, so the header is fixed-width with
// explicit padding, and its size and offsets are asserted here, in every build (32- and
// 64-bit). Little-endian on every supported platform. Offsets in a BulkRef are relative to the
// start of the data area.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include "common/internal_api.h"

namespace bitbridge {

inline constexpr uint8_t kBulkMagic[8] = {'B', 'B', 'b', 'u', 'l', 'k', 0, 1};
inline constexpr uint32_t kBulkLayoutVersion = 1;
/// Data starts one page in, so data mappings can be page-aligned with the data itself.
inline constexpr uint32_t kBulkHeaderBytes = 4096;

struct BulkSegmentHeader {
  uint8_t magic[8];      // kBulkMagic
  uint32_t version;      // kBulkLayoutVersion
  uint32_t headerBytes;  // kBulkHeaderBytes: where the data area starts
  uint64_t segmentId;    // random, non-zero; what BulkRef.segment names
  uint64_t dataBytes;    // size of the data area
  uint32_t creatorPid;   // for diagnostics and stale-name clean-up
  uint32_t reserved0;    // zero
  uint8_t reserved[24];  // zero
};
static_assert(sizeof(BulkSegmentHeader) == 64, "BulkSegmentHeader is shared-memory ABI");
static_assert(offsetof(BulkSegmentHeader, magic) == 0, "BulkSegmentHeader is shared-memory ABI");
static_assert(offsetof(BulkSegmentHeader, version) == 8, "BulkSegmentHeader is shared-memory ABI");
static_assert(offsetof(BulkSegmentHeader, headerBytes) == 12, "BulkSegmentHeader is shared-memory ABI");
static_assert(offsetof(BulkSegmentHeader, segmentId) == 16, "BulkSegmentHeader is shared-memory ABI");
static_assert(offsetof(BulkSegmentHeader, dataBytes) == 24, "BulkSegmentHeader is shared-memory ABI");
static_assert(offsetof(BulkSegmentHeader, creatorPid) == 32, "BulkSegmentHeader is shared-memory ABI");
static_assert(offsetof(BulkSegmentHeader, reserved0) == 36, "BulkSegmentHeader is shared-memory ABI");
static_assert(offsetof(BulkSegmentHeader, reserved) == 40, "BulkSegmentHeader is shared-memory ABI");
static_assert(kBulkHeaderBytes >= sizeof(BulkSegmentHeader), "header page holds the header");

/// Throws Error{MalformedPeer} unless [offset, offset + length) lies within a data area of
/// `dataBytes` bytes. Overflow-safe for any 64-bit values; a zero length is valid at any
/// offset up to dataBytes. `what` names the reference in the message.
BITBRIDGE_INTERNAL_API void checkBulkRange(uint64_t offset, uint64_t length, uint64_t dataBytes, const std::string& what);

/// Checks a header read from a peer's segment whose file is `fileBytes` long: magic, version,
/// header size, non-zero id, and that header + data fit the file (overflow-safe). Throws
/// Error{MalformedPeer} naming `name`.
BITBRIDGE_INTERNAL_API void validateBulkHeader(const BulkSegmentHeader& header, uint64_t fileBytes, const std::string& name);

}  // namespace bitbridge

