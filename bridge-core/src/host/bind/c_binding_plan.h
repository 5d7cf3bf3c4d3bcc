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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitbridge/detail/capnp_schema.h"
#include "common/cabi/c_struct_layout.h"  // CKind, StructLayout: the layout of C structs

namespace bitbridge::cbind {

/// What a C parameter is made from.
enum class ArgRole : uint8_t {
  Value,        ///< a number or Bool passed by value, from its params field
  Text,         ///< const char*: a Text field, NUL-terminated
  InBuffer,     ///< const T*: a List of numbers/Bool/enums/structs, or Data (T = unsigned char)
  LengthOf,     ///< an integer filled with another parameter's element count
  OutValue,     ///< T*: a number or Bool the function writes, returned in `result`
  OutBuffer,    ///< T*: `count` elements the function writes (List or Data), returned
  OutText,      ///< char*: a buffer the function writes a string into, returned as Text
  OutTextPointer,  ///< char**: the function stores a pointer to its string (freed if $freeWith)
  InOutValue,   ///< T*: a number or Bool the function reads and writes
  InOutBuffer,  ///< T*: a List or Data the function reads and writes, returned
  InOutText,    ///< char*: a buffer holding the text, which the function may rewrite
  StructIn,     ///< const S*: a struct the function reads
  StructByValue,   ///< S: a struct passed by value
  StructOut,    ///< S*: a struct the function fills, returned
  StructInOut,  ///< S*: a struct the function reads and rewrites, returned
  HandleIn,     ///< an opaque pointer passed back: its token is mapped to the host's pointer
  HandleOut,    ///< T**: the function stores an opaque pointer, returned as a new token
  BulkRef,      ///< T*: a Bulk.BulkRef parameter, the referenced bytes of a shared-memory
                ///< buffer, mapped in the host and read and written in place (c_bulk_args.h)
  Callback,     ///< a C function pointer: a libffi closure calling the client's capability
  CallbackUser, ///< void*: the context for the Callback argument `source` (the host's own)
};

/// One parameter of a callback's C signature, as the library passes it to the function pointer.
struct CallbackArgPlan {
  enum class Role : uint8_t {
    Value,   ///< a number or Bool by value, sent to the client
    Text,    ///< const char*, sent as Text (NULL: left unset)
    Struct,  ///< const S*, decoded and sent as the struct (NULL: left unset)
    User,    ///< void* user context: not sent
  };
  std::string name;
  Role role = Role::Value;
  CKind kind = CKind::Void;             ///< the C type (Pointer for Text, Struct, User)
  const StructLayout* layout = nullptr;  ///< Struct: its layout (owned by the LibraryPlan)
  capnp::StructSchema::Field param;
};

/// A function-pointer parameter: the callback's C signature (the one method of the interface
/// the parameter is declared as), what the library gets when the client cannot answer, and how
/// long the function pointer lives (c.capnp CallbackLifetime).
struct CallbackPlan {
  enum class Lifetime : uint8_t { Call, Released, Host };
  std::string where;  ///< "Lib.sort: parameter 'cmp'", for messages
  std::string name;   ///< "Compare.compare", for messages
  capnp::InterfaceSchema iface;
  capnp::InterfaceSchema::Method method;
  std::vector<CallbackArgPlan> args;  ///< in C order
  CKind returnKind = CKind::Void;
  std::optional<capnp::StructSchema::Field> returnField;
  /// The result field's schema default as the C return type's bytes (little-endian, zero
  /// padded): answered when the client cannot be asked or fails.
  uint64_t fallback = 0;
  bool stdcall = false;
  Lifetime lifetime = Lifetime::Call;
  std::string releasedBy;  ///< Released: the method whose call releases it
};

/// Whether `role` is an out or in-out role, whose value comes back in a result field.
bool returnsValue(ArgRole role);

struct ArgPlan {
  std::string name;  ///< the params field's name
  ArgRole role = ArgRole::Value;
  CKind kind = CKind::Void;  ///< the value's C type; for buffers, one element's (Void: structs)
  CValueType element;        ///< buffers: one element (scalar or struct); structs: the struct
  capnp::StructSchema::Field param;
  std::optional<capnp::StructSchema::Field> result;  ///< out roles: where the value goes back
  /// LengthOf: the buffer arg it counts; OutBuffer/OutText/InOutText: the count arg;
  /// InBuffer with $length: the count arg the function will read that many elements by
  int source = -1;
  uint32_t capacity = 0;  ///< OutBuffer/OutText without a count arg: the fixed element count
  bool nullable = false;  ///< an unset pointer parameter (or handle token 0) passes NULL
  bool textList = false;  ///< InBuffer of a List(Text): const char* const*, NULL-terminated
  bool terminated = false;  ///< InBuffer: $terminated, one zero element after the last
  std::string handleKind;  ///< HandleIn/HandleOut: the kind of handle
  bool releases = false;   ///< HandleIn: the call frees it
  std::string freeWith;    ///< OutTextPointer: the library function that frees the string
  bool wide = false;      ///< Text/OutText with $type(wchar): wchar_t units, not chars
  uint32_t elementSize = 0;  ///< BulkRef: $elementSize, the bytes of one element (default 1)
  /// Callback: the signature and lifetime (shared with the closures, which may outlive a call).
  std::shared_ptr<const CallbackPlan> callback;
};

/// A stored callback parameter a method releases ($releasedBy): function and argument index.
struct CallbackRef {
  uint16_t function = 0;
  uint16_t arg = 0;
};

struct FunctionPlan {
  std::string method;  ///< "Interface.method", for messages
  std::string symbol;  ///< the exported name
  uint16_t methodIndex = 0;
  std::vector<ArgPlan> args;  ///< in C order
  CKind returnKind = CKind::Void;
  const StructLayout* returnStruct = nullptr;  ///< a struct returned by value
  bool returnsText = false;  ///< const char* returned, copied into a Text result
  bool returnsWideText = false;  ///< with returnsText: a const wchar_t* ($type(wchar))
  std::string returnHandleKind;  ///< a pointer returned as a token of this kind
  std::string freeReturnWith;  ///< returnsText: the library function that frees it ("" = none)
  std::optional<capnp::StructSchema::Field> returnField;
  std::optional<capnp::StructSchema::Field> lastErrorField;  ///< $lastError: errno/GetLastError
  bool stdcall = false;  ///< $stdcall (method, or interface without $cdecl on the method)
  std::optional<uint16_t> ordinal;  ///< $ordinal: resolve by export number, not by `symbol`
  bool hasBulkRefs = false;  ///< some argument is a BulkRef (resolved on the RPC thread first)
  bool hasCallbacks = false;  ///< some argument is a Callback (closures made on the RPC thread)
  std::vector<CallbackRef> releasesCallbacks;  ///< stored callbacks a call of this releases
};

/// Every function of a bound library, and the struct layouts they share (the host's ABI).
struct LibraryPlan {
  std::vector<FunctionPlan> functions;  ///< by method index
  StructLayouts structs;
  /// $calls: where calls run (c.capnp CallThread).
  enum class CallThread : uint16_t { Library, Host, Pool } callThread = CallThread::Library;
};

/// Bytes of `plan`'s arguments on the host's stack as __stdcall counts them (each argument
/// rounded up to a multiple of 4 on 32-bit x86): the N of a decorated export `_name@N`.
uint32_t stdcallArgumentBytes(const FunctionPlan& plan);

/// Largest $elementSize of a Bulk.BulkRef parameter (a C struct is at most kMaxStructBytes).
constexpr uint32_t kMaxBulkElementBytes = 16u << 20;

/// Plans every method of `iface`. Throws Error{BadConfiguration} naming the method and field
/// for: a type with no C meaning (lists of lists, interfaces, AnyPointer, unions, a struct that
/// contains itself), an annotation on a field it does not fit, $lengthOf/$length naming no
/// parameter (or one of the wrong kind), an out parameter without its result field or a result
/// field without its out parameter, an out buffer with neither $length nor $capacity, a
/// Bulk.BulkRef anywhere but as a parameter (or one whose schema node is not bitbridge's), a
/// callback interface without exactly one method or with a parameter or result C cannot pass to
/// a function pointer, a $releasedBy naming no method, callbacks with $calls(host).
LibraryPlan planLibrary(capnp::InterfaceSchema iface);

}  // namespace bitbridge::cbind
