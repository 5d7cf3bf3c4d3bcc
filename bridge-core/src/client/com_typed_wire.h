// Early binding's conversions (client side), shared by typed calls (com_typed.cpp) and typed
// events (com_typed_events.cpp): the $Com annotations of schemas/bitbridge/com.capnp, and one
// field of a generated params/results struct to and from the wire's Variant. Portable; no
// state, any thread (capabilities made on the caller's event loop).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <capnp/dynamic.h>
#include <capnp/schema.h>

#include "bitbridge/com.capnp.h"

namespace bitbridge {

namespace com_schema {

// The annotations' IDs (schemas/bitbridge/com.capnp).
constexpr uint64_t kIid = 0xb7c1e0a4d2f35e61ULL;
constexpr uint64_t kDispid = 0xb7c1e0a4d2f35e63ULL;
constexpr uint64_t kName = 0xb7c1e0a4d2f35e64ULL;
constexpr uint64_t kPropget = 0xb7c1e0a4d2f35e65ULL;
constexpr uint64_t kPropput = 0xb7c1e0a4d2f35e66ULL;
constexpr uint64_t kPropputref = 0xb7c1e0a4d2f35e67ULL;
constexpr uint64_t kByRef = 0xb7c1e0a4d2f35e68ULL;
constexpr uint64_t kOptional = 0xb7c1e0a4d2f35e69ULL;
constexpr uint64_t kVt = 0xb7c1e0a4d2f35e6aULL;
constexpr uint64_t kValue = 0xb7c1e0a4d2f35e6bULL;

constexpr uint16_t kVtCurrency = 6, kVtDate = 7, kVtError = 10, kVtRecord = 36;

template <typename Annotations>
kj::Maybe<capnp::schema::Value::Reader> annotation(Annotations list, uint64_t id) {
  for (auto a : list) {
    if (a.getId() == id) return a.getValue();
  }
  return nullptr;
}

template <typename Annotations>
bool has(Annotations list, uint64_t id) {
  return annotation(list, id) != nullptr;
}

/// The COM name ($Com.name) of a method, field, struct or interface, else `fallback` (its
/// schema name).
template <typename Annotations>
std::string comNameOr(Annotations list, kj::StringPtr fallback) {
  KJ_IF_MAYBE(value, annotation(list, kName)) { return value->getText(); }
  return fallback;
}

}  // namespace com_schema

/// Copies a Variant as given into the place `out` was initialised at (a list element or a
/// record field: Cap'n Proto sets a struct through its parent).
using CopyVariant = std::function<void(proto::Variant::Reader)>;

/// Field `field` of `params` (a generated params struct, or a record) as the Variant a COM
/// member gets: its schema type and $Com.vt say which VARTYPE. Throws Error BadConfiguration
/// naming `where` for a type no COM member takes.
void typedParamToWire(capnp::StructSchema::Field field, capnp::DynamicStruct::Reader params,
                      proto::Variant::Builder out, const CopyVariant& copy,
                      const std::string& where);

/// `value` into field `field` of `results` (a generated results or params struct), converted
/// to the field's schema type. Throws Error Remote naming `where` when the value is not of that
/// type or does not fit it, MalformedPeer for an object where a value belongs.
/// An object of a generated interface type is typed in turn, its calls sending
/// `answerTimeoutMs` (HostOptions::comAnswerTimeout) for objects of the client among their
/// arguments.
void typedResultFromWire(capnp::StructSchema::Field field, proto::Variant::Reader value,
                         capnp::DynamicStruct::Builder results, const std::string& where,
                         uint32_t answerTimeoutMs);

}  // namespace bitbridge
