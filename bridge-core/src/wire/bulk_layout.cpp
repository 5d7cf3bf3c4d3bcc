#include "wire/bulk_layout.h"

#include <cstring>

#include "bitbridge/error.h"

namespace bitbridge {

void checkBulkRange(uint64_t offset, uint64_t length, uint64_t dataBytes, const std::string& what) {
  // offset + length may wrap around 2^64: compare against what is left after `offset` instead.
  if (offset > dataBytes || length > dataBytes - offset) {
    throw Error(ErrorKind::MalformedPeer,
                what + " (offset " + std::to_string(offset) + ", length " + std::to_string(length) +
                    ") is outside its segment's " + std::to_string(dataBytes) + " bytes",
                "references must stay inside the buffer they point into; check the offset and "
                "length computed by the sender");
  }
}

void validateBulkHeader(const BulkSegmentHeader& header, uint64_t fileBytes, const std::string& name) {
  auto fail = [&](const std::string& why) {
    throw Error(ErrorKind::MalformedPeer, "bulk segment " + name + " is not usable: " + why,
                "segments must be created by bitbridge (Host::allocate) of the same version");
  };
  if (fileBytes < kBulkHeaderBytes) {
    fail("it is " + std::to_string(fileBytes) + " bytes, smaller than its header");
  }
  if (std::memcmp(header.magic, kBulkMagic, sizeof(kBulkMagic)) != 0) fail("bad magic");
  if (header.version != kBulkLayoutVersion) {
    fail("layout version " + std::to_string(header.version) + ", expected " +
         std::to_string(kBulkLayoutVersion));
  }
  if (header.headerBytes != kBulkHeaderBytes) fail("unexpected header size");
  if (header.segmentId == 0) fail("segment id 0");
  if (header.dataBytes > fileBytes - kBulkHeaderBytes) {
    fail("header claims " + std::to_string(header.dataBytes) + " data bytes but the file holds " +
         std::to_string(fileBytes - kBulkHeaderBytes) + " (truncated?)");
  }
}

}  // namespace bitbridge
