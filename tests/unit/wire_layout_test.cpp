// The contract between a client and a host of the other bitness (bridge-core/src/wire/), checked
// at run time in every build: 32- and 64-bit Linux, 32- and 64-bit Windows (under Wine).
//
// Each header static_asserts its own sizes and offsets; what this adds is the bytes. Every
// structure is filled with known values and compared, byte for byte, with the image the other
// bitness expects (little-endian, fixed offsets), so a field that moves, widens or changes
// endianness fails here by name in whichever build differs, and the codes and flags both sides
// spell are checked against the numbers and strings the other side parses.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "wire/bulk_layout.h"
#include "wire/error_text.h"
#include "wire/heartbeat.h"
#include "wire/hello.h"
#include "wire/host_exit.h"
#include "wire/host_flags.h"
#include "wire/lane_layout.h"
#include "wire/shm_offer.h"
#include "wire/shm_ring_layout.h"

namespace bitbridge {
namespace {

using Bytes = std::vector<uint8_t>;

template <typename T>
Bytes bytesOf(const T& value) {
  Bytes out(sizeof(T));
  std::memcpy(out.data(), &value, sizeof(T));
  return out;
}

// Writes `value` little-endian at `offset` of `image`.
void put(Bytes& image, size_t offset, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) image[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

void putMagic(Bytes& image, const uint8_t (&magic)[8]) { std::memcpy(image.data(), magic, 8); }

TEST(WireLayout, HelloIsTheSameTwentyFourBytesInEveryBuild) {
  WireHello hello{};
  std::memcpy(hello.magic, kHelloMagic, 8);
  hello.protocolVersion = 0x01020304;
  hello.pid = 0x0a0b0c0d;
  hello.role = static_cast<uint8_t>(HelloRole::Host);
  hello.arch = 7;
  hello.pointerBits = 32;
  hello.refusal = static_cast<uint8_t>(HelloRefusal::TooManyFromThisClient);
  hello.refusalLimit = 0x11223344;

  Bytes expected(24, 0);
  putMagic(expected, kHelloMagic);
  put(expected, 8, 0x01020304, 4);
  put(expected, 12, 0x0a0b0c0d, 4);
  put(expected, 16, 2, 1);   // role: Host
  put(expected, 17, 7, 1);   // arch
  put(expected, 18, 32, 1);  // pointer bits
  put(expected, 19, 2, 1);   // refusal: TooManyFromThisClient
  put(expected, 20, 0x11223344, 4);
  EXPECT_EQ(bytesOf(hello), expected);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(kHelloMagic), 8), "BitBridg");
  EXPECT_EQ(static_cast<int>(HelloRole::Client), 1);
  EXPECT_EQ(static_cast<int>(HelloRefusal::OutOfDescriptors), 3);
}

TEST(WireLayout, HeartbeatPingAndPong) {
  WireHeartbeatPing ping{};
  ping.sequence = 0x0102030405060708ull;
  Bytes pingImage(8, 0);
  put(pingImage, 0, 0x0102030405060708ull, 8);
  EXPECT_EQ(bytesOf(ping), pingImage);

  WireHeartbeatPong pong{};
  pong.sequence = 9;
  pong.loopStalledMs = 0x01020304;
  Bytes pongImage(16, 0);
  put(pongImage, 0, 9, 8);
  put(pongImage, 8, 0x01020304, 4);
  EXPECT_EQ(bytesOf(pong), pongImage);
}

TEST(WireLayout, BulkSegmentHeader) {
  BulkSegmentHeader header{};
  std::memcpy(header.magic, kBulkMagic, 8);
  header.version = kBulkLayoutVersion;
  header.headerBytes = kBulkHeaderBytes;
  header.segmentId = 0x8877665544332211ull;
  header.dataBytes = uint64_t{5} << 32;  // above 4 GiB: must stay 64-bit in a 32-bit build
  header.creatorPid = 4242;

  Bytes expected(64, 0);
  putMagic(expected, kBulkMagic);
  put(expected, 8, kBulkLayoutVersion, 4);
  put(expected, 12, kBulkHeaderBytes, 4);
  put(expected, 16, 0x8877665544332211ull, 8);
  put(expected, 24, uint64_t{5} << 32, 8);
  put(expected, 32, 4242, 4);
  EXPECT_EQ(bytesOf(header), expected);
}

TEST(WireLayout, SharedMemoryChannelSegment) {
  ShmSegmentHeader header{};
  std::memcpy(header.magic, kShmMagic, 8);
  header.version = kShmVersion;
  header.dataOffset = kShmDataOffset;
  header.ringCapacity = kShmDefaultRingCapacity;
  header.ringCount = kShmRingCount;
  header.segmentBytes = shmSegmentBytes(kShmDefaultRingCapacity);
  header.creatorPid = 77;
  header.creatorPointerBits = 64;

  Bytes expected(64, 0);
  putMagic(expected, kShmMagic);
  put(expected, 8, kShmVersion, 4);
  put(expected, 12, 4096, 4);
  put(expected, 16, 1u << 20, 4);
  put(expected, 20, 2, 4);
  put(expected, 24, 4096 + 2 * (1u << 20), 8);
  put(expected, 32, 77, 4);
  put(expected, 36, 64, 1);
  EXPECT_EQ(bytesOf(header), expected);

  // The ring controls hold atomics, which cannot be copied: their offsets are the contract
  // (producer and consumer counters on separate cache lines, in both bitnesses).
  EXPECT_EQ(sizeof(ShmRingControl), 128u);
  EXPECT_EQ(offsetof(ShmRingControl, head), 0u);
  EXPECT_EQ(offsetof(ShmRingControl, writerParked), 8u);
  EXPECT_EQ(offsetof(ShmRingControl, writerClosed), 12u);
  EXPECT_EQ(offsetof(ShmRingControl, tail), 64u);
  EXPECT_EQ(offsetof(ShmRingControl, readerParked), 72u);
  EXPECT_EQ(offsetof(ShmRingControl, readerClosed), 76u);
  EXPECT_EQ(sizeof(ShmSegmentLayout), 320u);
  EXPECT_EQ(offsetof(ShmSegmentLayout, rings), 64u);
}

TEST(WireLayout, FastLaneSlot) {
  LaneHeader header{};
  std::memcpy(header.magic, kLaneMagic, 8);
  header.version = kLaneVersion;
  header.areasOffset = kLaneAreasOffset;
  header.paramBytes = kLaneDefaultAreaBytes;
  header.resultBytes = 0x01020300;
  header.creatorPid = 0x0a0b0c0d;
  header.creatorPointerBits = 32;

  Bytes expected(64, 0);
  putMagic(expected, kLaneMagic);
  put(expected, 8, kLaneVersion, 4);
  put(expected, 12, 256, 4);
  put(expected, 16, 256u << 10, 4);
  put(expected, 20, 0x01020300, 4);
  put(expected, 24, 0x0a0b0c0d, 4);
  put(expected, 28, 32, 1);
  EXPECT_EQ(bytesOf(header), expected);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(kLaneMagic), 6), "BBlane");
  EXPECT_EQ(laneSlotBytes(4096, 8192), 256u + 4096u + 8192u);
  EXPECT_EQ(static_cast<uint32_t>(LaneStatus::Ok), 0u);
  EXPECT_EQ(static_cast<uint32_t>(LaneStatus::Failed), 1u);

  // The controls hold atomics (futex words), which cannot be copied: their offsets are the
  // contract (the client's fields and the host's on separate cache lines, in both bitnesses).
  EXPECT_EQ(sizeof(LaneControl), 128u);
  EXPECT_EQ(offsetof(LaneControl, request), 0u);
  EXPECT_EQ(offsetof(LaneControl, clientParked), 4u);
  EXPECT_EQ(offsetof(LaneControl, binding), 8u);
  EXPECT_EQ(offsetof(LaneControl, method), 12u);
  EXPECT_EQ(offsetof(LaneControl, paramWords), 16u);
  EXPECT_EQ(offsetof(LaneControl, reply), 64u);
  EXPECT_EQ(offsetof(LaneControl, hostParked), 68u);
  EXPECT_EQ(offsetof(LaneControl, status), 72u);
  EXPECT_EQ(offsetof(LaneControl, resultBytes), 76u);
  EXPECT_EQ(sizeof(LaneSlotLayout), 256u);
  EXPECT_EQ(offsetof(LaneSlotLayout, control), 128u);
}

TEST(WireLayout, SharedMemoryOfferAndAnswer) {
  WireShmOffer offer{};
  std::memcpy(offer.magic, kOfferMagic, 8);
  offer.version = kShmVersion;
  offer.ringCapacity = 1u << 16;
  offer.segmentBytes = shmSegmentBytes(1u << 16);
  offer.descriptorCount = kOfferDescriptors;
  Bytes offerImage(32, 0);
  putMagic(offerImage, kOfferMagic);
  put(offerImage, 8, kShmVersion, 4);
  put(offerImage, 12, 1u << 16, 4);
  put(offerImage, 16, 4096 + 2 * (1u << 16), 8);
  put(offerImage, 24, 3, 4);
  EXPECT_EQ(bytesOf(offer), offerImage);

  WireShmAnswer answer{};
  std::memcpy(answer.magic, kAnswerMagic, 8);
  answer.status = kAnswerRefused;
  Bytes answerImage(16, 0);
  putMagic(answerImage, kAnswerMagic);
  put(answerImage, 8, 1, 4);
  EXPECT_EQ(bytesOf(answer), answerImage);

  // Windows: the handle values that follow the offer on the pipe.
  WireShmHandles handles{};
  handles.section = 0x1234;
  handles.clientBell = 0xfffffffcu;
  handles.hostBell = 0x10;
  Bytes handlesImage(24, 0);
  put(handlesImage, 0, 0x1234, 8);
  put(handlesImage, 8, 0xfffffffcu, 8);
  put(handlesImage, 16, 0x10, 8);
  EXPECT_EQ(bytesOf(handles), handlesImage);
}

TEST(WireLayout, HostExitCodesAreTheNumbersClientsRead) {
  EXPECT_EQ(exitCode(HostExit::Ok), 0);
  EXPECT_EQ(exitCode(HostExit::Failed), 1);
  EXPECT_EQ(exitCode(HostExit::HandshakeFailed), 2);
  EXPECT_EQ(exitCode(HostExit::CannotStart), 3);
  EXPECT_EQ(exitCode(HostExit::PeerAborted), 4);
  EXPECT_EQ(exitCode(HostExit::Usage), 64);
  EXPECT_TRUE(isConfigurationExit(3));
  EXPECT_TRUE(isConfigurationExit(64));
  for (int code : {0, 1, 2, 4, 137}) EXPECT_FALSE(isConfigurationExit(code)) << code;
  EXPECT_STREQ(kExitAnnouncement, "[bitbridge] host exits by itself");
}

TEST(WireLayout, HostFlagsAreDistinctAndSpelledAsHostsParseThem) {
  using namespace host_flags;
  const std::vector<std::string> flags = {
      kChannel,       kParent,          kHeartbeat,       kTransport,     kShared,
      kIdleTimeout,   kMaxMessageBytes, kMaxQueuedBytes,  kMaxCallBytes,  kStallTimeout,
      kHelloTimeout,  kMaxConnections,  kMaxConnectionsPerClient};
  std::set<std::string> distinct(flags.begin(), flags.end());
  EXPECT_EQ(distinct.size(), flags.size());
  for (const auto& flag : flags) {
    EXPECT_EQ(flag.rfind("--", 0), 0u) << flag;
    EXPECT_EQ(flag.find_first_of(" =\t"), std::string::npos) << flag;
  }
  EXPECT_STREQ(kChannel, "--channel");
  EXPECT_STREQ(kDescriptorPrefix, "fd:");
  EXPECT_STREQ(kPipePrefix, "pipe:");
  EXPECT_STRNE(kTransportSocket, kTransportShm);
}

TEST(WireLayout, ErrorTextSeparators) {
  EXPECT_EQ(error_text::kWirePrefix, "bitbridge:");
  EXPECT_EQ(error_text::kHintSeparator, "\nfix: ");
  EXPECT_EQ(error_text::kWhatPrefix.substr(0, error_text::kWirePrefix.size()),
            error_text::kWirePrefix);
}

}  // namespace
}  // namespace bitbridge
