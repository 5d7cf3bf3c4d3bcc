// A drop-in proxy's conversions between the caller's C arguments and its bind method's request
// and response, as planned (proxy_plan.h). Runs on the proxy's thread while the calling thread
// waits, so it reads and writes the caller's memory (its arguments, its out-pointers) directly.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <capnp/dynamic.h>

#include "client/proxy/proxy_callbacks.h"
#include "client/proxy/proxy_handles.h"
#include "client/proxy/proxy_plan.h"
#include "client/proxy/proxy_texts.h"

namespace bitbridge::proxy {

/// The scope a (non-NULL) callback parameter's capability runs in, by parameter index: the
/// call's own for $C.callback(call), a new stored one for released/host (proxy.cpp).
using ScopeFor = std::function<std::shared_ptr<CallScope>(size_t param)>;

/// Sets `request`'s fields from the C arguments at `args` (structs read in this process's ABI;
/// a $C.handle member becomes its token; a C function pointer becomes a capability that runs it
/// in `scopeFor(i)`; wide text becomes UTF-8). Throws Error{BadConfiguration} for a handle the
/// proxy did not hand out, a NULL struct pointer without $C.nullable, wide text that is not
/// UTF-16/UTF-32, a $C.terminated array without its terminator within kTerminatedMaxElements
/// and a NULL inside a list of texts; capnp's range checks throw kj::Exception.
void fillRequest(const MethodPlan& plan, const MethodSpec& spec, const void* const* args,
                 HandleTable& handles, capnp::DynamicStruct::Builder request, const ScopeFor& scopeFor);

/// Writes the return value to `result`, the out-parameters through the caller's pointers, and
/// returns the $lastError value if the method declares one.
std::optional<int> writeResults(const MethodPlan& plan, const MethodSpec& spec,
                                const void* const* args, void* result,
                                capnp::DynamicStruct::Reader response, HandleTable& handles,
                                ProgramTexts& texts);

}  // namespace bitbridge::proxy
