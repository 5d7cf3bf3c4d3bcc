// ComVariant to and from the wire's Variant union (schemas/bitbridge/com.capnp), both sides.
// Reading checks everything a peer could get wrong, so that the host never builds a VARIANT from
// inconsistent data: a SAFEARRAY whose bounds do not multiply to its element count, elements
// that are not of its element type, an element type automation does not know, nesting deeper
// than kMaxVariantDepth, a record with names longer than kMaxRecordNameLength, an array of
// records without its record type or with elements that are not records. Object references are
// turned into capabilities and back by the caller (client: ComObject; host: its COM pointers),
// through the two functions given.
// Portable; no state, any thread (a capability is made on the thread of its event loop).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bitbridge/com.capnp.h"
#include "bitbridge/com.h"
#include "common/internal_api.h"

namespace bitbridge {

/// Arrays inside VARIANT arrays, records inside records...: deeper than this is refused (MalformedPeer).
constexpr unsigned kMaxVariantDepth = 16;
/// Fields of one record (a type library counts them in a WORD).
constexpr unsigned kMaxRecordFields = 65535;
/// Bytes of a record's name, field name, GUID or library text: type library names are short.
constexpr unsigned kMaxRecordNameLength = 256;
/// Dimensions of one SAFEARRAY (COM's own limit is 65535; automation code uses a handful).
constexpr unsigned kMaxSafeArrayRank = 32;

/// Whether two COM names (records, fields) are the same, as automation compares them: ASCII
/// case-insensitively.
BITBRIDGE_INTERNAL_API bool sameComName(const std::string& a, const std::string& b);

/// InvokeKind to and from the wire's.
BITBRIDGE_INTERNAL_API proto::InvokeKind wireInvokeKind(InvokeKind kind);
BITBRIDGE_INTERNAL_API InvokeKind invokeKindFromWire(proto::InvokeKind kind);

/// The VARTYPE of a VariantType (VT_I4 = 3, ...); Missing is VT_ERROR, Nothing VT_DISPATCH.
BITBRIDGE_INTERNAL_API uint16_t varTypeOf(VariantType type);
/// Whether `vt` may be a SAFEARRAY's element type here, and the VariantType its elements have.
BITBRIDGE_INTERNAL_API bool elementTypeKnown(uint16_t vt);

/// Makes the capability for an object reference (dispatch: a callable object, else IUnknown).
using WrapComObject =
    std::function<capnp::Capability::Client(const std::shared_ptr<ComObjectHandle>&, bool)>;
/// Holds a capability received as an object reference.
using UnwrapComObject =
    std::function<std::shared_ptr<ComObjectHandle>(capnp::Capability::Client, bool)>;

BITBRIDGE_INTERNAL_API void variantToWire(const ComVariant& value, proto::Variant::Builder out, const WrapComObject& wrap);

/// Throws Error MalformedPeer naming `where` ("argument 2 of Add") and what is wrong.
BITBRIDGE_INTERNAL_API ComVariant variantFromWire(proto::Variant::Reader in, const UnwrapComObject& unwrap,
                           const std::string& where, unsigned depth = 0);

}  // namespace bitbridge
