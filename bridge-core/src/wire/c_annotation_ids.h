// The annotation ids of schemas/bitbridge/c.capnp (fixed there with @0x...), read from a bind
// schema's reflection by the host (host/bind/c_binding_plan.cpp) and by the drop-in proxy
// (client/proxy/proxy_plan.cpp). One list, so that a new annotation cannot be known to one side
// only. They are part of the schema language users write: they never change.
#pragma once

#include <cstdint>

namespace bitbridge::wire::c_annotation {

constexpr uint64_t kSymbol = 0xfed246c1d30eb48bull;
constexpr uint64_t kType = 0xa673db53f51a5524ull;
constexpr uint64_t kLengthOf = 0x944f0c1c4f19f055ull;
constexpr uint64_t kOut = 0xde0686b897cd06eeull;
constexpr uint64_t kLength = 0xb835821f7af7aefdull;
constexpr uint64_t kCapacity = 0xdc9584248b436113ull;
constexpr uint64_t kReturns = 0xb118884cbdc24ac3ull;
constexpr uint64_t kByValue = 0x9570784a58b7893aull;
constexpr uint64_t kInOut = 0xba1ead09a7fd347dull;
constexpr uint64_t kArray = 0xa032423c4ac003a0ull;
constexpr uint64_t kHandle = 0xa481c1611f53b3b8ull;
constexpr uint64_t kReleases = 0xe67e8727053ad7a2ull;
constexpr uint64_t kFreeWith = 0x8d6f75502a6adc99ull;
constexpr uint64_t kLastError = 0xcb3ef340e8617586ull;
constexpr uint64_t kNullable = 0xd2f8c6c6c2b090c5ull;
constexpr uint64_t kCalls = 0xfdf4f0d21f394876ull;
constexpr uint64_t kTerminated = 0x9417e296846e23d9ull;
constexpr uint64_t kStdcall = 0xa35c52a2507b1829ull;
constexpr uint64_t kCdecl = 0xed04ca04cb43c5bfull;
constexpr uint64_t kOrdinal = 0xe51862ced1e23e72ull;
constexpr uint64_t kElementSize = 0xe92e2c46116aae1cull;
constexpr uint64_t kCallback = 0xef95bab9728b8783ull;
constexpr uint64_t kReleasedBy = 0xaea3a0656d3155c5ull;
constexpr uint64_t kUserFor = 0xe6e1349f363c96e6ull;
constexpr uint64_t kUser = 0x9eb58067a54b5418ull;
constexpr uint64_t kOnFailure = 0xe9b63f5409630dcaull;  // the proxy's only; hosts ignore it

// $C.type's enumerants (c.capnp's CType), in the schema's order.
enum class CType : uint16_t { Long, ULong, Size, SSize, IntPtr, UIntPtr, Int, WChar };

}  // namespace bitbridge::wire::c_annotation
