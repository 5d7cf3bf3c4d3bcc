// Values of a bound C library between Cap'n Proto and C memory (Host::bind): scalars checked
// against their C type's range, structs laid out as c_binding_plan.h planned them (the host's
// ABI), arrays, and pointers inside structs into memory that lives for one call.
//
// Host side, both bitnesses. Thread assumption: one call's conversion runs on one thread.
#pragma once

#include <cstdint>
#include <vector>
#include <memory>
#include <string>

#include "bitbridge/detail/capnp_schema.h"
#include "host/bind/c_binding_plan.h"
#include "host/bind/c_handles.h"

#include <capnp/dynamic.h>

namespace bitbridge::cbind {

/// Zeroed, suitably aligned memory for one call's C values (buffers, structs, what pointers in
/// structs point to); freed when the call is over.
class CallScratch {
 public:
  unsigned char* allocate(size_t bytes);

 private:
  std::vector<std::unique_ptr<std::max_align_t[]>> blocks_;  // no allocation until used
};

/// A scalar on its way between Cap'n Proto and C, in its widest form.
struct Wide {
  enum Class { Signed, Unsigned, Float } cls = Signed;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};

Wide fromDynamic(capnp::DynamicValue::Reader value);
/// `w` as a value of Cap'n Proto `type` (the field's; an enum needs its schema).
capnp::DynamicValue::Reader toDynamic(capnp::Type type, const Wide& w);

/// Writes `w` as a C `kind` (cSize(kind) bytes at `at`); a value that does not fit is an Error
/// naming `where`.
void storeScalar(CKind kind, const Wide& w, void* at, const std::string& where);
/// Reads a C `kind` at `at`, widened.
Wide loadScalar(CKind kind, const void* at);

/// What a conversion needs besides the value: memory for pointed-to data, the binding's handles.
struct CodecContext {
  CallScratch& scratch;
  HandleTable& handles;
};

/// One element of `type` (a scalar or a struct) from `value` into C memory at `at`.
void encodeValue(const CValueType& type, capnp::DynamicValue::Reader value, unsigned char* at,
                 CodecContext& context, const std::string& where);
/// A struct into C memory at `at` (layout.size bytes, zeroed by the caller).
void encodeStruct(const StructLayout& layout, capnp::DynamicStruct::Reader value,
                  unsigned char* at, CodecContext& context, const std::string& where);
/// The elements of `list` where they are in the message, when its wire layout is the C array's
/// bit for bit (the same fixed-width integer or float type, contiguous, at least one element):
/// no conversion, no copy. nullptr otherwise (Bool, enums, structs, another encoding).
const void* elementsInPlace(const CValueType& element, capnp::DynamicList::Reader list);
/// Inits `field` of `results` (a List or Data) with `count` elements and returns where they
/// are, when that list's wire layout is the C array's bit for bit (as elementsInPlace; Data for
/// one-byte elements): a library can then write its output array right into the results
/// message (Cap'n Proto's list data starts on a word boundary, so any scalar is aligned; all our
/// targets are little-endian, as the wire). nullptr, and `results` left untouched, otherwise
/// (or for no element): the caller converts from memory of its own.
unsigned char* initInPlace(const CValueType& element, capnp::DynamicStruct::Builder results,
                           capnp::StructSchema::Field field, uint32_t count);
/// A list into `count` C elements of `element` at `at`.
void encodeList(const CValueType& element, capnp::DynamicList::Reader list, unsigned char* at,
                CodecContext& context, const std::string& where);

/// A C struct at `at` into `out`; pointers in it are followed (text up to its NUL, arrays by
/// their $lengthOf member, NULL left unset), handles become tokens.
void decodeStruct(const StructLayout& layout, const unsigned char* at,
                  capnp::DynamicStruct::Builder out, CodecContext& context);
/// `count` C elements of `element` at `at` into `out` (a list of at least `count` elements).
void decodeList(const CValueType& element, const unsigned char* at, uint32_t count,
                capnp::DynamicList::Builder out, CodecContext& context);

}  // namespace bitbridge::cbind
