// Objects of the client passed to COM methods as arguments (VB6's `Sub SetSink(ByVal Sink As
// Object)`, then `Sink.Notify "x"` during that call or any time later): the host stands in for
// each with an IDispatch of its own, living in the object's apartment, that forwards
// GetIDsOfNames and Invoke to the client's Dispatch capability and waits for its answer
// (client_answer-win32.h: pumping, up to the client's answer deadline; DISP_E_EXCEPTION with the
// client's error, RPC_E_DISCONNECTED once the client is gone, RPC_E_TIMEOUT). Windows hosts.
//
// Lifetime: the stand-in lives as long as COM code holds it (the server may keep it after the
// call); its last Release lets go of the client's capability on the RPC thread, which releases
// the client's object. The capability is held in a ClientLink, touched on the RPC thread only;
// the connection clears every link it made when it closes, so a stand-in the server keeps after
// its client left answers RPC_E_DISCONNECTED and never touches a capability off its thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <kj/common.h>

#include "bitbridge/com.capnp.h"
#include "common/com_variant_wire.h"
#include "host/com/com_native-win32.h"
#include "host/com/loop_inbox.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

/// The client's capability behind one stand-in. RPC thread only.
struct ClientLink {
  kj::Maybe<proto::Dispatch::Client> object;  // empty once released or the client is gone
};

/// What a stand-in needs from its connection. Nothing here owns the apartment or the
/// connection: COM code may keep a stand-in until its own last Release, which may be queued in
/// the apartment at the host's exit, and an owning reference from there would keep the
/// apartment thread from being joined (its queued Releases would then race the process exit).
struct ClientObjectContext {
  std::weak_ptr<StaThread> apartment;
  std::shared_ptr<LoopInbox> inbox;          // to the connection's RPC thread
  WrapComObject wrap;                        // host objects among a call's arguments (holds
                                             // its connection weakly)
  std::shared_ptr<spdlog::logger> logger;
  uint32_t answerTimeoutMs = 0;              // per answer; 0: no limit
};

/// Makes the stand-in for `object` (RPC thread): a NativeObject of `context.apartment` holding
/// an IDispatch that forwards to it. `where` ("argument 1 of SetSink") names it in the log.
/// `link` receives the link, which the connection clears when it closes.
std::shared_ptr<NativeObject> standInForClientObject(proto::Dispatch::Client object,
                                                     const ClientObjectContext& context,
                                                     std::string where,
                                                     std::shared_ptr<ClientLink>& link);

}  // namespace bitbridge
