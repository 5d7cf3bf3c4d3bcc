// How a drop-in proxy converts one C function's arguments to its bind method's request and the
// response back (docs/reference.md "Drop-in proxy libraries"): read once from the method's
// schema and its /bitbridge/c.capnp annotations. The same reading serves `bitbridge proxy`,
// which refuses at generation time what the proxy cannot convert, with the message the proxy
// itself would give, and the proxy at run time, which also checks the vendor header's C types
// against it (checkCTypes).
//
// Structs are laid out in the PROGRAM's ABI (common/cabi/c_struct_layout.h compiled into this
// process): the proxy reads and writes its caller's structs, while the host lays out its own
// copy in the library's ABI. Between the two they travel as Cap'n Proto fields only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bitbridge/detail/capnp_schema.h"
#include "bitbridge/proxy.h"
#include "common/cabi/c_struct_layout.h"
#include "common/internal_api.h"

namespace bitbridge::proxy {

/// What one C parameter is, for the proxy.
enum class ParamRole : uint8_t {
  Value,           // a number, Bool or enum by value
  Text,            // const char* (const wchar_t* when `wide`)
  TextList,        // const char* const*: its count from another parameter, or NULL-terminated
  Array,           // const T* (List of numbers, Data) with its count from another parameter
  Handle,          // an opaque pointer, carried as a token
  OutValue,        // T* the function writes
  InOutValue,      // T* the function reads and writes
  OutTextBuffer,   // char* buffer of $length/$capacity bytes (wchar_t units) the function fills
  InOutTextBuffer, // char* buffer holding a text, rewritten
  OutTextPointer,  // char** the function points at a string (wchar_t** when `wide`)
  OutArray,        // T* array of $length/$capacity elements the function fills
  InOutArray,      // T* array the function reads and rewrites
  OutHandle,       // T** the function stores a new opaque pointer in
  StructIn,        // const S* the function reads (NULL: unset, allowed with $C.nullable)
  StructByValue,   // S, by value ($C.byValue)
  StructOut,       // S* the function fills ($C.out)
  StructInOut,     // S* the function reads and rewrites ($C.inout)
  Callback,        // a C function pointer: a capability of the proxy's that calls it
  User,            // the `void* user` of a callback ($C.userFor): kept here, never sent
};

/// One parameter of a callback's C signature (its interface's only method).
enum class CallbackParamRole : uint8_t {
  Value,  // a number, Bool or enum by value
  Text,   // const char*
  Struct, // const S*: the host's struct, laid out in the program's ABI for the call (NULL: unset)
  User,   // the void* context ($C.user): the program's own pointer, handed back unchanged
};

struct CallbackParamPlan {
  std::string name;
  capnp::StructSchema::Field field;
  CallbackParamRole role = CallbackParamRole::Value;
  capnp::Type scalar;
  bool platformWidth = false;
  /// CallbackParamRole::Struct: its layout in this process (owned as ParamPlan::layout).
  const cbind::StructLayout* layout = nullptr;
};

/// A callback parameter ($C.callback, an interface with one method): the C signature the
/// program's function has, read from that method.
struct CallbackPlan {
  std::string name;  // "BindCallbacks.sortI32: parameter 'cmp' (Compare.compare)"
  capnp::InterfaceSchema iface;
  capnp::InterfaceSchema::Method method;
  std::vector<CallbackParamPlan> params;
  std::optional<capnp::StructSchema::Field> resultField;
  bool resultPlatformWidth = false;
  /// $C.stdcall on the callback's interface or method (32-bit x86).
  bool stdcall = false;
};

/// How long a callback parameter's function pointer lives ($C.callback): for the call that
/// passed it, until its $C.releasedBy method is called, or until the host exits.
enum class CallbackLifetime : uint8_t { Call, Released, Host };

struct ParamPlan {
  std::string name;
  capnp::StructSchema::Field field;
  ParamRole role = ParamRole::Value;
  /// The scalar's type: the field's, or a list's element type (UInt8 for Data and Text).
  capnp::Type scalar;
  bool nullable = false;
  bool releases = false;
  /// $type(long|...|int): the C type's width is the platform's, any integer of 4 or 8 bytes.
  bool platformWidth = false;
  /// For arrays and buffers: the parameter whose C value is the element count, or -1.
  int32_t countParam = -1;
  /// $capacity(N), or 0.
  uint32_t capacity = 0;
  /// $freeWith on a char** out: the caller gets a malloc'd copy it frees, with its own `free`
  /// ("free") or with the vendor's deallocator, which the proxy then defines itself (any other
  /// name: proxy_texts.h); empty: the text stays the library's (interned).
  std::string freeWith;
  /// $type(wchar) on a Text role: the program's wchar_t text, UTF-8 on the wire.
  bool wide = false;
  /// $terminated on an input array (Array, TextList): its length is found by its terminator,
  /// an element of zeros (a NULL pointer for texts), within kTerminatedMaxElements.
  bool terminated = false;
  /// For out and inout roles: the result field of the same name.
  std::optional<capnp::StructSchema::Field> resultField;
  /// For struct roles, and arrays of structs: the struct's C layout in this process (owned by
  /// the StructLayouts planMethod was given).
  const cbind::StructLayout* layout = nullptr;
  /// ParamRole::Callback: its C signature; `userParam`: the parameter holding its `void* user`
  /// ($C.userFor), or -1.
  std::optional<CallbackPlan> callback;
  int32_t userParam = -1;
  /// ParamRole::Callback: its lifetime; for CallbackLifetime::Released, the ordinal of the
  /// method ($C.releasedBy, of the same interface) whose successful call releases it.
  CallbackLifetime lifetime = CallbackLifetime::Call;
  uint16_t releasedBy = 0;
};

enum class ResultRole : uint8_t { Void, Value, Text, Handle, Struct };

struct MethodPlan {
  std::string name;    // "LegacyCalc.add"
  std::string symbol;  // "calc_add"
  capnp::InterfaceSchema::Method method;
  std::vector<ParamPlan> params;
  ResultRole resultRole = ResultRole::Void;
  std::optional<capnp::StructSchema::Field> resultField;
  bool resultPlatformWidth = false;
  std::string resultFreeWith;  // as ParamPlan::freeWith
  bool resultWide = false;
  /// ResultRole::Struct: the returned struct's layout (owned as ParamPlan::layout).
  const cbind::StructLayout* resultLayout = nullptr;
  std::optional<capnp::StructSchema::Field> lastErrorField;
  /// $C.stdcall on the method, or on its interface without $C.cdecl on the method: the proxy's
  /// export is defined __stdcall (32-bit Windows; one convention elsewhere).
  bool stdcall = false;
};

/// How far a proxy looks for the terminator of a $C.terminated array: an array without one
/// within this many elements fails the call rather than being read on and on.
inline constexpr uint64_t kTerminatedMaxElements = uint64_t(1) << 20;

/// $C.onFailure of a method, else of its interface.
struct FailureDecl {
  bool declared = false;
  std::string result;  // a C expression, may be empty
  std::string errnoExpr;
};

/// Plans `method`; its structs' layouts go to `structs` (shared by the methods of one proxy),
/// which must outlive the plan. Throws Error{BadConfiguration} naming the method and parameter
/// for what a proxy cannot convert (bulk references, a pointer inside a struct the library
/// writes, a callback taking a struct or list, ...) and for annotations that do not fit
/// (a $C.freeWith function that is also one of the interface's methods).
BITBRIDGE_INTERNAL_API MethodPlan planMethod(capnp::InterfaceSchema iface, capnp::InterfaceSchema::Method method,
                      cbind::StructLayouts& structs);

/// The exported C name of a method: $C.symbol, else the method's name.
BITBRIDGE_INTERNAL_API std::string methodSymbol(capnp::InterfaceSchema::Method method);

/// The method's $C.onFailure, or its interface's.
BITBRIDGE_INTERNAL_API FailureDecl failureOf(capnp::InterfaceSchema iface, capnp::InterfaceSchema::Method method);

/// Checks the vendor header's C types (`spec`) against `plan`; throws Error{BadConfiguration}
/// naming the function, parameter, schema type and C type where they disagree.
BITBRIDGE_INTERNAL_API void checkCTypes(const MethodPlan& plan, const MethodSpec& spec, const std::string& schemaFile);

}  // namespace bitbridge::proxy
