// The handshake both ends of a bitbridge channel send before any Cap'n Proto message.
//
// Why a raw handshake: it lets either side reject a peer that is not bitbridge (or a different
// protocol version) with a clear error before handing bytes to the RPC layer, and it is where
// a start-up timeout applies. Cross-bitness ABI: fixed-width fields, explicit padding, layout
// asserted below in every build (32- and 64-bit); little-endian on every supported platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bitbridge/arch.h"
#include "common/internal_api.h"

namespace bitbridge {

inline constexpr uint8_t kHelloMagic[8] = {'B', 'i', 't', 'B', 'r', 'i', 'd', 'g'};

enum class HelloRole : uint8_t { Client = 1, Host = 2 };

/// Why a shared host refuses a connection. A host that refuses still sends a hello, with this
/// code and the limit that was reached, then closes: the client reports it (Overloaded) naming
/// the limit and the option that sets it, instead of seeing a bare disconnection.
enum class HelloRefusal : uint8_t {
  None = 0,
  TooManyConnections = 1,     ///< HostOptions::sharedMaxConnections reached
  TooManyFromThisClient = 2,  ///< HostOptions::sharedMaxConnectionsPerClient reached
  OutOfDescriptors = 3,       ///< the host's process ran out of file descriptors (EMFILE)
};

struct WireHello {
  uint8_t magic[8];          // kHelloMagic
  uint32_t protocolVersion;  // bitbridge::proto::PROTOCOL_VERSION
  uint32_t pid;              // sender's process id
  uint8_t role;              // HelloRole
  uint8_t arch;              // Arch
  uint8_t pointerBits;       // 32 or 64
  uint8_t refusal;           // HelloRefusal; a host's only (once reserved, zero)
  uint32_t refusalLimit;     // the limit reached, for a refusal (once reserved, zero)
};
static_assert(sizeof(WireHello) == 24, "WireHello is wire ABI");
static_assert(offsetof(WireHello, magic) == 0, "WireHello is wire ABI");
static_assert(offsetof(WireHello, protocolVersion) == 8, "WireHello is wire ABI");
static_assert(offsetof(WireHello, pid) == 12, "WireHello is wire ABI");
static_assert(offsetof(WireHello, role) == 16, "WireHello is wire ABI");
static_assert(offsetof(WireHello, arch) == 17, "WireHello is wire ABI");
static_assert(offsetof(WireHello, pointerBits) == 18, "WireHello is wire ABI");
static_assert(offsetof(WireHello, refusal) == 19, "WireHello is wire ABI");
static_assert(offsetof(WireHello, refusalLimit) == 20, "WireHello is wire ABI");
static_assert(alignof(WireHello) == 4, "WireHello is wire ABI");

/// The hello this process sends in `role`.
BITBRIDGE_INTERNAL_API WireHello makeHello(HelloRole role);
/// A host's hello that refuses the connection (`why`, having reached `limit`).
BITBRIDGE_INTERNAL_API WireHello makeRefusal(HelloRefusal why, uint32_t limit);

/// Checks a hello received from a peer expected to play `expectedRole`. Throws
/// Error{MalformedPeer} if it is not bitbridge, Error{BadConfiguration} on a protocol version
/// mismatch, Error{Overloaded} naming the limit if it is a host's refusal. `peerName` is used in messages (e.g. "bitbridge-host32 (pid 123)").
BITBRIDGE_INTERNAL_API void validateHello(const WireHello& hello, HelloRole expectedRole, const std::string& peerName);

}  // namespace bitbridge

