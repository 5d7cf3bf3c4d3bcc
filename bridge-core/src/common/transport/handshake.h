// The hello exchange on a freshly opened channel (see hello.h for the wire format).
#pragma once

#include <string>

#include <kj/async-io.h>
#include <kj/timer.h>

#include "wire/hello.h"
#include "common/internal_api.h"

namespace bitbridge {

/// Sends this process's hello in `role`, then reads and validates the peer's (which must play
/// the other role) within `timeout`. Rejects with a bitbridge wire error (decode with
/// fromKjException): timed-out, malformed-peer, bad-configuration, or disconnected when the
/// peer closes the channel first. `peerName` names the peer in messages.
BITBRIDGE_INTERNAL_API kj::Promise<WireHello> exchangeHello(kj::AsyncIoStream& stream, kj::Timer& timer, HelloRole role,
                                     std::string peerName, kj::Duration timeout);

}  // namespace bitbridge

