// How a drop-in proxy converts one C function's arguments to its bind method's request and the
// response back (docs/reference.md "Drop-in proxy libraries"): read once from the method's
// schema and its /bitbridge/c.capnp annotations. The same reading serves `bitbridge proxy`,
// which refuses at generation time what the proxy cannot convert, with the message the proxy
// itself would give, and the proxy at run time, which also checks the vendor header's C types
// against it (checkCTypes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bitbridge/detail/capnp_schema.h"
#include "bitbridge/proxy.h"
#include "common/internal_api.h"

BITBRIDGE_INTERNAL_API_BEGIN
namespace bitbridge::proxy {

/// What one C parameter is, for the proxy.
enum class ParamRole : uint8_t {
  Value,           // a number, Bool or enum by value
  Text,            // const char*
  Array,           // const T* (List of numbers, Data) with its count from another parameter
  Handle,          // an opaque pointer, carried as a token
  OutValue,        // T* the function writes
  InOutValue,      // T* the function reads and writes
  OutTextBuffer,   // char* buffer of $length/$capacity bytes the function fills
  InOutTextBuffer, // char* buffer holding a text, rewritten
  OutTextPointer,  // char** the function points at a string
  OutArray,        // T* array of $length/$capacity elements the function fills
  InOutArray,      // T* array the function reads and rewrites
  OutHandle,       // T** the function stores a new opaque pointer in
};

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
  /// $freeWith("free") on a char** out: the caller gets a malloc'd copy it frees.
  bool callerFrees = false;
  /// For out and inout roles: the result field of the same name.
  std::optional<capnp::StructSchema::Field> resultField;
};

enum class ResultRole : uint8_t { Void, Value, Text, Handle };

struct MethodPlan {
  std::string name;    // "LegacyCalc.add"
  std::string symbol;  // "calc_add"
  capnp::InterfaceSchema::Method method;
  std::vector<ParamPlan> params;
  ResultRole resultRole = ResultRole::Void;
  std::optional<capnp::StructSchema::Field> resultField;
  bool resultPlatformWidth = false;
  bool resultCallerFrees = false;
  std::optional<capnp::StructSchema::Field> lastErrorField;
  /// $C.stdcall on the method, or on its interface without $C.cdecl on the method: the proxy's
  /// export is defined __stdcall (32-bit Windows; one convention elsewhere).
  bool stdcall = false;
};

/// $C.onFailure of a method, else of its interface.
struct FailureDecl {
  bool declared = false;
  std::string result;  // a C expression, may be empty
  std::string errnoExpr;
};

/// Plans `method`. Throws Error{BadConfiguration} naming the method and parameter for what a
/// proxy cannot convert (callbacks, structs, bulk references, wide text, $terminated arrays, a
/// string the caller frees with anything but free) and for annotations that do not fit.
MethodPlan planMethod(capnp::InterfaceSchema iface, capnp::InterfaceSchema::Method method);

/// The exported C name of a method: $C.symbol, else the method's name.
std::string methodSymbol(capnp::InterfaceSchema::Method method);

/// The method's $C.onFailure, or its interface's.
FailureDecl failureOf(capnp::InterfaceSchema iface, capnp::InterfaceSchema::Method method);

/// Checks the vendor header's C types (`spec`) against `plan`; throws Error{BadConfiguration}
/// naming the function, parameter, schema type and C type where they disagree.
void checkCTypes(const MethodPlan& plan, const MethodSpec& spec, const std::string& schemaFile);

}  // namespace bitbridge::proxy
BITBRIDGE_INTERNAL_API_END
