// How each function of a bound C library is called (Host::bind), worked out once from its
// method's schema and the /bitbridge/c.capnp annotations, before any call: every mistake in
// the schema is found here, naming the method and the field, and none reaches the library.
//
// Host side. Sizes are the host's C ABI's (this code is compiled into both bitnesses, and a
// `long` is what the host's compiler says it is). No libffi here: c_binding_call.cpp turns a
// plan into a call. Thread assumption: plans are made and read on the host's RPC thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bitbridge/detail/capnp_schema.h"

namespace bitbridge::cbind {

/// A C scalar type, as the host's ABI has it (Pointer: any data pointer).
enum class CKind : uint8_t { Void, Bool, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64, Pointer };

/// Bytes of one value of `kind` in the host's ABI (0 for Void).
size_t cSize(CKind kind);
/// "int32", "double", ... for messages.
const char* cKindName(CKind kind);

/// What a C parameter is made from.
enum class ArgRole : uint8_t {
  Value,      ///< a number or Bool passed by value, from its params field
  Text,       ///< const char*: a Text field, NUL-terminated
  InBuffer,   ///< const T*: a List of numbers/Bool, or Data (T = unsigned char)
  LengthOf,   ///< an integer filled with another parameter's element count
  OutValue,   ///< T*: a number or Bool the function writes, returned in `result`
  OutBuffer,  ///< T*: `count` elements the function writes (List or Data), returned
  OutText,    ///< char*: a buffer the function writes a string into, returned as Text
};

struct ArgPlan {
  std::string name;  ///< the params field's name
  ArgRole role = ArgRole::Value;
  CKind kind = CKind::Void;  ///< the value's C type; for buffers, one element's
  capnp::StructSchema::Field param;
  std::optional<capnp::StructSchema::Field> result;  ///< out roles: where the value goes back
  int source = -1;        ///< LengthOf: the buffer arg it counts; OutBuffer/OutText: the count arg
  uint32_t capacity = 0;  ///< OutBuffer/OutText without a count arg: the fixed element count
  bool wide = false;      ///< Text/OutText with $type(wchar): wchar_t units, not chars
};

struct FunctionPlan {
  std::string method;  ///< "Interface.method", for messages
  std::string symbol;  ///< the exported name
  uint16_t methodIndex = 0;
  std::vector<ArgPlan> args;  ///< in C order
  CKind returnKind = CKind::Void;
  bool returnsText = false;  ///< const char* returned, copied into a Text result (not freed)
  bool returnsWideText = false;  ///< with returnsText: a const wchar_t* ($type(wchar))
  std::optional<capnp::StructSchema::Field> returnField;
  bool stdcall = false;  ///< $stdcall (method, or interface without $cdecl on the method)
  std::optional<uint16_t> ordinal;  ///< $ordinal: resolve by export number, not by `symbol`
};

/// Bytes of `plan`'s arguments on the host's stack as __stdcall counts them (each argument
/// rounded up to a multiple of 4 on 32-bit x86): the N of a decorated export `_name@N`.
uint32_t stdcallArgumentBytes(const FunctionPlan& plan);

/// Largest out buffer the host allocates for one parameter, in bytes: a count above it (a
/// garbage length from the client) is refused before anything is allocated.
constexpr uint64_t kMaxOutBufferBytes = 256ull << 20;

/// Plans every method of `iface`. Throws Error{BadConfiguration} naming the method and field
/// for: a type with no C meaning (structs, lists of lists, interfaces, AnyPointer), an
/// annotation on a field it does not fit, $lengthOf/$length naming no parameter (or one of the
/// wrong kind), an out parameter without its result field or a result field without its out
/// parameter, an out buffer with neither $length nor $capacity.
std::vector<FunctionPlan> planLibrary(capnp::InterfaceSchema iface);

}  // namespace bitbridge::cbind
