// Objects of this process passed to COM code (ComVariant::clientObject, bitbridge/com.h): the
// Dispatch capability the host calls them through. Portable. Thread: the Host's.
#pragma once

#include <memory>

#include <capnp/capability.h>
#include <kj/common.h>

#include "bitbridge/com.h"

namespace bitbridge {

/// If `handle` is a client object's, its Dispatch capability for `host` (made on first use;
/// throws Error BadConfiguration naming `where` when it was passed to another Host before).
/// Null for any other handle.
kj::Maybe<capnp::Capability::Client> clientObjectCapability(
    const std::shared_ptr<ComObjectHandle>& handle, Host& host, const std::string& where);

/// HostOptions::comAnswerTimeout as the wire says it (Dispatch.invoke, advise): 0 is no limit;
/// a limit beyond 49 days is none either.
uint32_t wireAnswerTimeout(Host& host);

}  // namespace bitbridge
