// Connection-point events (Dispatch.advise, schemas/bitbridge/com.capnp): the host's sink
// object, an IDispatch that the COM object calls on its apartment thread and that forwards each
// event to the client's EventSink capability on the RPC thread. Windows hosts.
//
// Delivery: the sink's Invoke waits for the client's answer (so that arguments the source passes
// by reference, VB6's `Cancel As Boolean`, come back), pumping the apartment's messages while it
// waits (windows and timers of the apartment keep working; client calls queued meanwhile run
// after the event, or at once when the event was not fired from inside a client call). Events
// are therefore delivered one at a time, in the order fired, and the source learns how each
// went from its Invoke: S_OK once the client answered (or unadvised meanwhile), DISP_E_EXCEPTION
// with the client's error in EXCEPINFO when its handler threw (as a VB6 client's error reaches
// RaiseEvent), RPC_E_DISCONNECTED when the client went away, RPC_E_TIMEOUT when it did not
// answer within the advise's answer deadline (the apartment stops waiting; a late answer is
// dropped). Each failure is also logged.
//
// Lifetime: the connection (EventConnection capability) owns the advise; unadvise() or dropping
// it (the client disconnecting drops it) unadvises in the apartment. The client's capability is
// held and dropped on the RPC thread only; the sink object may outlive it (a source that keeps
// it): it then delivers nothing.
#pragma once

#include <memory>
#include <string>

#include <kj/async.h>

#include "bitbridge/com.capnp.h"
#include "common/com_variant_wire.h"
#include "host/com/com_native-win32.h"
#include "host/com/loop_inbox.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

/// What an advise answers (on the RPC thread).
struct Advised {
  proto::EventConnection::Client connection;
  std::string interfaceId;    // "{...}" of the event interface connected
  std::string interfaceName;  // from its type information, or the IID
};

/// Connects `sink` to `object`'s connection point for `interfaceId` ("" = the class's default
/// source interface); the apartment waits at most `answerTimeoutMs` for each answer (0: no
/// limit). Called on the RPC thread; `inbox` is served on it; `wrap` makes the
/// capabilities of objects passed in events. Breaks with Error: BadConfiguration (no
/// IConnectionPointContainer, no default source interface, a malformed IID), NotFound (no
/// connection point for that interface), Remote (Advise failed).
kj::Promise<Advised> adviseEvents(std::shared_ptr<NativeObject> object, std::string className,
                                  proto::EventSink::Client sink, std::string interfaceId,
                                  uint32_t answerTimeoutMs, std::shared_ptr<LoopInbox> inbox,
                                  WrapComObject wrap, std::shared_ptr<spdlog::logger> logger);

}  // namespace bitbridge
