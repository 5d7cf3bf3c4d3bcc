// A drop-in proxy's structs (proxy_plan.h struct roles and arrays of structs): the program's C
// structs, laid out in THIS process's ABI (common/cabi/c_struct_layout.h), to and from the Cap'n
// Proto fields that carry them to the host, which lays out its own copy in the library's ABI.
// $C.handle members are the proxy's stand-ins (proxy_handles.h). Runs on the proxy's thread while
// the calling thread waits, reading and writing the caller's memory directly.
#pragma once

#include <cstdint>
#include <string>

#include <capnp/dynamic.h>

#include "client/proxy/proxy_handles.h"
#include "common/cabi/c_struct_layout.h"

namespace bitbridge::proxy {

/// The program's struct at `at` into `field` of `request`. Throws Error{BadConfiguration} for a
/// handle member this proxy did not hand out and for a pointed-to list above the size limit.
void structToRequest(const cbind::StructLayout& layout, const void* at,
                     capnp::DynamicStruct::Builder request, capnp::StructSchema::Field field,
                     HandleTable& handles);

/// `count` of the program's structs at `at` into `list` (which has `count` elements).
void structsToList(const cbind::StructLayout& layout, const void* at, uint32_t count,
                   capnp::DynamicList::Builder list, HandleTable& handles);

/// The struct the library wrote (`value`) into the program's struct at `at` (layout.size bytes).
/// Encoded into zeroed memory first (inline arrays shorter than N padded with zeros, padding
/// bytes zero), then copied whole: a value that does not fit (Error naming `where`) leaves the
/// program's struct untouched.
void structFromResponse(const cbind::StructLayout& layout, capnp::DynamicValue::Reader value,
                        void* at, HandleTable& handles, const std::string& where);

}  // namespace bitbridge::proxy
