// The C scalars a drop-in proxy reads from and writes to its caller's memory, measured by the
// program's compiler (CType: kind and size), and their Cap'n Proto values. Shared by arguments
// and results (proxy_marshal.cpp) and callbacks (proxy_callbacks.cpp).
#pragma once

#include <cstdint>
#include <string>

#include <capnp/dynamic.h>

#include "bitbridge/proxy.h"

namespace bitbridge::proxy {

/// A C scalar as read from the caller's memory, before it meets its schema type.
struct Scalar {
  CKind kind = CKind::Signed;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};

/// The C scalar (kind, size) at `p`.
Scalar readScalar(const void* p, CKind kind, uint32_t size);

/// The value to set in a field (or list element) of type `t`. Out-of-range numbers are caught
/// by Cap'n Proto's own checks when the value is set.
capnp::DynamicValue::Reader toDynamic(const Scalar& s, capnp::Type t);

/// Stores `v` (of schema type `t`) as the C scalar (kind, size) at `p`; refuses, naming
/// `where`, a value the C type cannot hold (a 64-bit host's `long` in a 32-bit program's
/// 4-byte one).
void writeScalar(void* p, CKind kind, uint32_t size, capnp::Type t, capnp::DynamicValue::Reader v,
                 const std::string& where);

}  // namespace bitbridge::proxy
