// C values between Cap'n Proto and C memory: scalars checked against their C type's range,
// structs laid out as c_struct_layout.h planned them (this process's ABI), arrays, and pointers
// inside structs into memory that lives for one call.
//
// Both sides, both bitnesses (in common/ for that): a host encodes a bound library's arguments
// and decodes what it wrote (Host::bind, the host's ABI); a drop-in proxy decodes its caller's
// structs into a request and encodes the response into them (client/proxy/, the client's ABI).
// Thread assumption: one call's conversion runs on one thread.
#pragma once

#include <cstdint>
#include <vector>
#include <memory>
#include <string>

#include "bitbridge/detail/capnp_schema.h"
#include "common/cabi/c_struct_layout.h"
#include "common/internal_api.h"

#include <capnp/dynamic.h>

namespace bitbridge::cbind {

/// Zeroed, suitably aligned memory for one call's C values (buffers, structs, what pointers in
/// structs point to); freed when the call is over.
class BITBRIDGE_INTERNAL_API CallScratch {
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

BITBRIDGE_INTERNAL_API Wide fromDynamic(capnp::DynamicValue::Reader value);
/// `w` as a value of Cap'n Proto `type` (the field's; an enum needs its schema).
BITBRIDGE_INTERNAL_API capnp::DynamicValue::Reader toDynamic(capnp::Type type, const Wide& w);

/// Writes `w` as a C `kind` (cSize(kind) bytes at `at`); a value that does not fit is an Error
/// naming `where` and the process whose C type it is (`process`: "this host", "the program").
BITBRIDGE_INTERNAL_API void storeScalar(CKind kind, const Wide& w, void* at, const std::string& where,
                 const char* process = "this host");
/// Reads a C `kind` at `at`, widened.
BITBRIDGE_INTERNAL_API Wide loadScalar(CKind kind, const void* at);

/// Opaque pointers ($handle members of structs) to and from the tokens the wire carries: a
/// host's binding table (host/bind/c_handles.h), a proxy's stand-ins for its caller.
class BITBRIDGE_INTERNAL_API HandleCodec {
 public:
  /// The token for `pointer` of `kind` (0 for NULL).
  virtual uint64_t tokenFor(const std::string& kind, void* pointer) = 0;
  /// The pointer behind `token`; throws Error{BadConfiguration} naming `where` for one it does
  /// not know (0 is NULL when `nullable`).
  virtual void* pointerFor(const std::string& kind, uint64_t token, bool nullable,
                           const std::string& where) const = 0;

 protected:
  ~HandleCodec() = default;
};

/// What a conversion needs besides the value: memory for pointed-to data, the handles.
struct CodecContext {
  CallScratch& scratch;
  HandleCodec& handles;
  /// Whose C types the values are written in, for messages: a host's, or a proxy's program's.
  const char* process = "this host";
};

/// One element of `type` (a scalar or a struct) from `value` into C memory at `at`.
BITBRIDGE_INTERNAL_API void encodeValue(const CValueType& type, capnp::DynamicValue::Reader value, unsigned char* at,
                 CodecContext& context, const std::string& where);
/// A struct into C memory at `at` (layout.size bytes, zeroed by the caller).
BITBRIDGE_INTERNAL_API void encodeStruct(const StructLayout& layout, capnp::DynamicStruct::Reader value,
                  unsigned char* at, CodecContext& context, const std::string& where);
/// The elements of `list` where they are in the message, when its wire layout is the C array's
/// bit for bit (the same fixed-width integer or float type, contiguous, at least one element):
/// no conversion, no copy. nullptr otherwise (Bool, enums, structs, another encoding).
BITBRIDGE_INTERNAL_API const void* elementsInPlace(const CValueType& element, capnp::DynamicList::Reader list);
/// Inits `field` of `results` (a List or Data) with `count` elements and returns where they
/// are, when that list's wire layout is the C array's bit for bit (as elementsInPlace; Data for
/// one-byte elements): a library can then write its output array right into the results
/// message (Cap'n Proto's list data starts on a word boundary, so any scalar is aligned; all our
/// targets are little-endian, as the wire). nullptr, and `results` left untouched, otherwise
/// (or for no element): the caller converts from memory of its own.
BITBRIDGE_INTERNAL_API unsigned char* initInPlace(const CValueType& element, capnp::DynamicStruct::Builder results,
                           capnp::StructSchema::Field field, uint32_t count);
/// A list into `count` C elements of `element` at `at`.
BITBRIDGE_INTERNAL_API void encodeList(const CValueType& element, capnp::DynamicList::Reader list, unsigned char* at,
                CodecContext& context, const std::string& where);

/// A C struct at `at` into `out`; pointers in it are followed (text up to its NUL, arrays by
/// their $lengthOf member, NULL left unset), handles become tokens.
BITBRIDGE_INTERNAL_API void decodeStruct(const StructLayout& layout, const unsigned char* at,
                  capnp::DynamicStruct::Builder out, CodecContext& context);
/// `count` C elements of `element` at `at` into `out` (a list of at least `count` elements).
BITBRIDGE_INTERNAL_API void decodeList(const CValueType& element, const unsigned char* at, uint32_t count,
                capnp::DynamicList::Builder out, CodecContext& context);

}  // namespace bitbridge::cbind
