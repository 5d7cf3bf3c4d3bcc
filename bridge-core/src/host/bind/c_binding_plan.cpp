// c_binding_plan.h: from a method's schema and its /bitbridge/c.capnp annotations to a call plan.
#include "host/bind/c_binding_plan.h"

#include <algorithm>
#include <cstddef>
#include <map>

#include "bitbridge/bulk.capnp.h"
#include "bitbridge/error.h"
#include "common/cabi/c_values.h"
#include "wire/c_annotation_ids.h"

#include <capnp/message.h>

namespace bitbridge::cbind {
namespace {

using namespace wire::c_annotation;  // kSymbol, kType, ... and CType

// The struct-layout code's (common/cabi/c_struct_layout.h), under this file's older names.
[[noreturn]] void refuse(const std::string& where, const std::string& what) {
  refuseSchema(where, what);
}
constexpr auto annotation = findAnnotation;

CValueType scalarType(CKind kind) {
  CValueType type;
  type.kind = kind;
  return type;
}

bool isInteger(CKind kind) {
  return kind != CKind::Void && kind != CKind::Bool && kind != CKind::F32 &&
         kind != CKind::F64 && kind != CKind::Pointer;
}

bool sameType(capnp::Type a, capnp::Type b) { return a == b; }

// $type(wchar) on a Text field: wide text. Any other $type on a Text field is a mistake.
bool isWideText(std::optional<capnp::schema::Value::Reader> ctype, const std::string& where) {
  if (!ctype) return false;
  if (static_cast<CType>(ctype->getEnum()) != CType::WChar) {
    refuse(where, "a Text field takes no $type but $type(wchar) (a wide string)");
  }
  return true;
}

bool has(capnp::List<capnp::schema::Annotation>::Reader list, uint64_t id) {
  return annotation(list, id).has_value();
}

class Planner {
 public:
  LibraryPlan plan;
  bool interfaceStdcall = false;  // $stdcall on the interface: every method not $cdecl

  // The layout of `schema` (the host's ABI), planned once per struct and shared by every
  // function using it.
  const StructLayout* structLayout(capnp::StructSchema schema, const std::string& where) {
    return plan.structs.layoutOf(schema, where);
  }

  void function(capnp::InterfaceSchema::Method method, const std::string& interfaceName) {
    FunctionPlan f;
    auto proto = method.getProto();
    f.method = interfaceName + "." + std::string(proto.getName());
    f.methodIndex = method.getIndex();
    auto symbol = annotation(proto.getAnnotations(), kSymbol);
    f.symbol = symbol ? std::string(symbol->getText()) : std::string(proto.getName());
    if (f.symbol.empty()) refuse(f.method, "$symbol(\"\") names nothing");
    bool stdcall = has(proto.getAnnotations(), kStdcall);
    bool cdecl = has(proto.getAnnotations(), kCdecl);
    if (stdcall && cdecl) refuse(f.method, "$stdcall and $cdecl contradict each other");
    f.stdcall = stdcall || (interfaceStdcall && !cdecl);
    if (auto ordinal = annotation(proto.getAnnotations(), kOrdinal)) {
      if (ordinal->getUint16() == 0) refuse(f.method, "$ordinal(0): export ordinals start at 1");
      f.ordinal = ordinal->getUint16();
    }
    auto results = method.getResultType();
    for (auto field : method.getParamType().getFields()) argument(f, field, results);
    resolveReferences(f);
    resolveCallbackUsers(f);
    planResults(f, results);
    plan.functions.push_back(std::move(f));
  }

 private:
  std::optional<CValueType> bufferElement(capnp::Type type, const std::string& where) {
    return plan.structs.bufferElement(type, where);
  }

  void argument(FunctionPlan& f, capnp::StructSchema::Field field, capnp::StructSchema results) {
    auto proto = field.getProto();
    std::string name = proto.getName();
    std::string where = f.method + ": parameter '" + name + "'";
    if (proto.isGroup() || proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
      refuse(where, "groups and unions have no C meaning");
    }
    auto annotations = proto.getAnnotations();
    auto ctype = annotation(annotations, kType);
    auto lengthOf = annotation(annotations, kLengthOf);
    auto length = annotation(annotations, kLength);
    auto capacity = annotation(annotations, kCapacity);
    auto handle = annotation(annotations, kHandle);
    auto freeWith = annotation(annotations, kFreeWith);
    auto elementSize = annotation(annotations, kElementSize);
    bool out = has(annotations, kOut);
    bool inout = has(annotations, kInOut);
    bool byValue = has(annotations, kByValue);
    if (has(annotations, kArray)) refuse(where, "$array applies to fields of structs");
    if (has(annotations, kLastError)) refuse(where, "$lastError applies to a result field");
    capnp::Type type = field.getType();
    using W = capnp::schema::Type;
    if (has(annotations, kUser)) {
      refuse(where, "$user marks the context parameter inside a callback's method; on a bound "
                    "function's Void parameter use $userFor(\"<callback parameter>\")");
    }
    if (type.which() == W::INTERFACE || has(annotations, kUserFor)) {
      f.args.push_back(callbackArgument(f, field, where));
      return;
    }
    if (has(annotations, kCallback) || has(annotations, kReleasedBy)) {
      refuse(where, "$callback and $releasedBy apply to a parameter of an interface type (a "
                    "function pointer)");
    }

    ArgPlan arg;
    arg.name = name;
    arg.param = field;
    arg.nullable = has(annotations, kNullable);
    arg.terminated = has(annotations, kTerminated);
    bool textList = type.which() == W::LIST &&
                    type.asList().getElementType().which() == W::TEXT;
    if (textList && (out || inout)) {
      refuse(where, "a List(Text) is passed in only (C: const char* const*)");
    }
    arg.releases = has(annotations, kReleases);
    if (out && inout) refuse(where, "give $out or $inout, not both");
    if (capacity && !out && !inout) refuse(where, "$capacity applies to $out and $inout buffers");
    if (arg.releases && !handle) refuse(where, "$releases applies to a $handle parameter");
    if (byValue && type.which() != W::STRUCT) refuse(where, "$byValue applies to a struct");
    if (freeWith && !(out && type.which() == W::TEXT)) {
      refuse(where, "$freeWith applies to a Text $out parameter (char**) or a Text result");
    }
    bool bulk = !handle && isBulkRef(type, where);
    if (elementSize && !bulk) refuse(where, "$elementSize applies to a Bulk.BulkRef parameter");
    if (bulk && (out || inout)) {
      refuse(where, "a Bulk.BulkRef is read and written in place (T*): $out and $inout do not "
                    "apply, the client sees what the function wrote in its own buffer");
    }
    if (out || inout) {
      if (lengthOf) refuse(where, "$lengthOf does not go with $out or $inout");
      if (arg.nullable) refuse(where, "$nullable does not go with $out or $inout");
      KJ_IF_MAYBE(result, results.findFieldByName(name)) {
        if (!sameType(result->getType(), type)) {
          refuse(where, "its result field '" + name + "' must have the same type");
        }
        arg.result = *result;
      } else {
        refuse(where, std::string("an ") + (out ? "$out" : "$inout") +
                          " parameter needs a result field of the same name to come back in");
      }
    }
    if (handle) {
      if (type.which() != W::UINT64) refuse(where, "$handle needs a UInt64 field (the token)");
      if (inout || lengthOf) refuse(where, "$handle does not go with $inout or $lengthOf");
      arg.handleKind = handle->getText();
      if (arg.handleKind.empty()) refuse(where, "$handle(\"\") needs a kind, e.g. \"Db\"");
      arg.role = out ? ArgRole::HandleOut : ArgRole::HandleIn;
      arg.kind = CKind::Pointer;
      if (out && arg.releases) refuse(where, "$releases does not go with $out");
    } else if (bulk) {
      if (capacity || lengthOf || byValue || ctype) {
        refuse(where, "a Bulk.BulkRef takes $elementSize, $length and $nullable only");
      }
      arg.role = ArgRole::BulkRef;
      arg.kind = CKind::Pointer;
      arg.elementSize = elementSize ? elementSize->getUint32() : 1;
      if (arg.elementSize == 0 || arg.elementSize > kMaxBulkElementBytes) {
        refuse(where, "$elementSize(N) needs 1 <= N <= " + std::to_string(kMaxBulkElementBytes));
      }
      f.hasBulkRefs = true;
    } else if (type.which() == W::STRUCT) {
      if (length || capacity || lengthOf) refuse(where, "$length/$capacity/$lengthOf need a buffer");
      arg.element.layout = structLayout(type.asStruct(), where);
      if (byValue && (out || inout)) refuse(where, "$byValue does not go with $out or $inout");
      if (byValue && arg.nullable) refuse(where, "$byValue does not go with $nullable");
      arg.role = out ? ArgRole::StructOut
                     : inout ? ArgRole::StructInOut
                             : byValue ? ArgRole::StructByValue : ArgRole::StructIn;
    } else if (out || inout) {
      if (type.which() == W::TEXT) {
        arg.wide = isWideText(ctype, where);
        arg.kind = arg.wide ? wcharKind() : CKind::I8;
        arg.element = scalarType(arg.kind);
        arg.role = inout ? ArgRole::InOutText
                         : (length || capacity) ? ArgRole::OutText : ArgRole::OutTextPointer;
        if (freeWith) {
          if (arg.role != ArgRole::OutTextPointer) {
            refuse(where, "$freeWith is for a string the library allocates (no $length/$capacity)");
          }
          arg.freeWith = freeWith->getText();
          if (arg.freeWith.empty()) refuse(where, "$freeWith(\"\") names no function");
        }
        if (inout && !length && !capacity) {
          refuse(where, "an $inout Text needs $capacity(<bytes>) or $length(\"<parameter>\")");
        }
      } else if (auto element = bufferElement(type, where)) {
        arg.element = *element;
        arg.kind = element->kind;
        arg.role = inout ? ArgRole::InOutBuffer : ArgRole::OutBuffer;
        if (inout && (length || capacity)) {
          refuse(where, "an $inout list has as many elements as the list given");
        }
        if (out && !length && !capacity) {
          refuse(where, "an out buffer needs $length(\"<parameter>\") or $capacity(<count>)");
        }
      } else if (auto kind = scalarKind(type, ctype, where)) {
        arg.role = inout ? ArgRole::InOutValue : ArgRole::OutValue;
        arg.kind = *kind;
        arg.element = scalarType(*kind);
        if (length || capacity) refuse(where, "$length and $capacity apply to out buffers, not values");
      } else {
        refuse(where, "an $out or $inout parameter must be a number, Bool, enum, struct, List, "
                      "Data or Text");
      }
      if (length && capacity) refuse(where, "give $length or $capacity, not both");
      if (capacity) {
        arg.capacity = capacity->getUint32();
        if (uint64_t(arg.capacity) * arg.element.size() > kMaxOutBufferBytes) {
          refuse(where, "$capacity is above the largest out buffer (" +
                            std::to_string(kMaxOutBufferBytes) + " bytes)");
        }
      }
    } else if (lengthOf) {
      auto kind = scalarKind(type, ctype, where);
      if (!kind || !isInteger(*kind)) refuse(where, "$lengthOf needs an integer field");
      arg.role = ArgRole::LengthOf;
      arg.kind = *kind;
    } else if (type.which() == W::TEXT) {
      arg.role = ArgRole::Text;
      arg.kind = CKind::Pointer;
      arg.wide = isWideText(ctype, where);
    } else if (textList) {
      arg.role = ArgRole::InBuffer;
      arg.kind = CKind::Pointer;
      arg.element = scalarType(CKind::Pointer);
      arg.textList = true;
    } else if (auto element = bufferElement(type, where)) {
      arg.role = ArgRole::InBuffer;
      arg.element = *element;
      arg.kind = element->kind;
    } else if (auto kind = scalarKind(type, ctype, where)) {
      arg.role = ArgRole::Value;
      arg.kind = *kind;
    } else {
      refuse(where, "interfaces, AnyPointer and lists of lists have no C meaning here");
    }
    if (arg.terminated && arg.role != ArgRole::InBuffer) {
      refuse(where, "$terminated applies to input List and Data parameters");
    }
    if (length && !out && !inout && arg.role != ArgRole::InBuffer && arg.role != ArgRole::BulkRef) {
      refuse(where, "$length applies to List, Data and Bulk.BulkRef parameters and to $out/$inout "
                    "buffers");
    }
    bool pointerLike = arg.role == ArgRole::Text || arg.role == ArgRole::InBuffer ||
                       arg.role == ArgRole::StructIn || arg.role == ArgRole::HandleIn ||
                       arg.role == ArgRole::BulkRef;
    if (arg.nullable && !pointerLike) {
      refuse(where, "$nullable applies to Text, Data, List, struct, Bulk.BulkRef and $handle "
                    "parameters");
    }
    f.args.push_back(std::move(arg));
  }

  // A parameter of an interface type (a C function pointer, c.capnp "Callbacks") or the Void
  // `void* user` context ($userFor) of one.
  ArgPlan callbackArgument(FunctionPlan& f, capnp::StructSchema::Field field,
                           const std::string& where) {
    using W = capnp::schema::Type;
    auto annotations = field.getProto().getAnnotations();
    for (uint64_t id : {kType, kLengthOf, kOut, kInOut, kLength, kCapacity, kHandle, kFreeWith,
                        kElementSize, kByValue, kReleases, kTerminated, kReturns}) {
      if (has(annotations, id)) {
        refuse(where, "a callback (function pointer) or its $userFor context takes $callback, "
                      "$releasedBy, $nullable and $userFor only");
      }
    }
    ArgPlan arg;
    arg.name = field.getProto().getName();
    arg.param = field;
    arg.kind = CKind::Pointer;
    arg.nullable = has(annotations, kNullable);
    capnp::Type type = field.getType();
    if (auto userFor = annotation(annotations, kUserFor)) {
      if (type.which() != W::VOID) {
        refuse(where, "$userFor needs a Void parameter: the host passes a context of its own, "
                      "the client sends nothing");
      }
      if (arg.nullable || has(annotations, kCallback) || has(annotations, kReleasedBy)) {
        refuse(where, "$userFor does not go with $nullable, $callback or $releasedBy");
      }
      arg.role = ArgRole::CallbackUser;
      arg.handleKind = userFor->getText();  // the callback's name, resolved once all are known
      return arg;
    }
    auto cb = std::make_shared<CallbackPlan>();
    cb->where = where;
    capnp::InterfaceSchema iface = type.asInterface();
    std::string ifaceName = iface.getShortDisplayName();
    if (iface.getSuperclasses().size() > 0) {
      refuse(where, "callback interface " + ifaceName + " cannot extend another interface");
    }
    auto methods = iface.getMethods();
    if (methods.size() != 1) {
      refuse(where, "callback interface " + ifaceName + " must have exactly one method (the "
                    "function pointer's C signature); it has " + std::to_string(methods.size()));
    }
    cb->iface = iface;
    cb->method = methods[0];
    auto methodProto = cb->method.getProto();
    cb->name = ifaceName + "." + std::string(methodProto.getName());
    bool cdecl = has(methodProto.getAnnotations(), kCdecl);
    bool stdcall = has(methodProto.getAnnotations(), kStdcall);
    if (stdcall && cdecl) refuse(where, cb->name + ": $stdcall and $cdecl contradict each other");
    cb->stdcall = stdcall || (has(iface.getProto().getAnnotations(), kStdcall) && !cdecl);
    for (auto p : cb->method.getParamType().getFields()) {
      auto proto = p.getProto();
      std::string pwhere = where + ", callback " + cb->name + " parameter '" +
                           std::string(proto.getName()) + "'";
      if (proto.isGroup() || proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
        refuse(pwhere, "groups and unions have no C meaning");
      }
      auto pann = proto.getAnnotations();
      for (uint64_t id : {kLengthOf, kOut, kInOut, kLength, kCapacity, kHandle, kFreeWith,
                          kElementSize, kByValue, kReleases, kTerminated, kReturns, kNullable,
                          kCallback, kReleasedBy, kUserFor, kArray}) {
        if (has(pann, id)) {
          refuse(pwhere, "a callback's parameter is passed in, by value (numbers, Bool, enums, "
                         "Text as const char*, structs as const S*): it takes $type and $user "
                         "only");
        }
      }
      CallbackArgPlan a;
      a.name = proto.getName();
      a.param = p;
      capnp::Type ptype = p.getType();
      auto ctype = annotation(pann, kType);
      if (has(pann, kUser)) {
        if (ptype.which() != W::VOID) refuse(pwhere, "$user needs a Void parameter");
        a.role = CallbackArgPlan::Role::User;
        a.kind = CKind::Pointer;
      } else if (ptype.which() == W::VOID) {
        refuse(pwhere, "a Void parameter of a callback is its context: annotate it $user");
      } else if (ptype.which() == W::TEXT) {
        if (ctype) refuse(pwhere, "a callback's Text is const char*: $type does not apply");
        a.role = CallbackArgPlan::Role::Text;
        a.kind = CKind::Pointer;
      } else if (ptype.which() == W::STRUCT) {
        if (ctype) refuse(pwhere, "$type does not apply to a struct");
        a.role = CallbackArgPlan::Role::Struct;
        a.kind = CKind::Pointer;
        a.layout = structLayout(ptype.asStruct(), pwhere);
      } else if (auto kind = scalarKind(ptype, ctype, pwhere)) {
        a.role = CallbackArgPlan::Role::Value;
        a.kind = *kind;
      } else {
        refuse(pwhere, "a callback's parameter must be a number, Bool, enum, Text (const char*), "
                       "a struct (const S*) or a Void $user context");
      }
      cb->args.push_back(std::move(a));
    }
    auto results = cb->method.getResultType();
    auto resultFields = results.getFields();
    if (resultFields.size() > 1) {
      refuse(where, "callback " + cb->name + " returns one value at most (a result field named "
                    "as you like), not " + std::to_string(resultFields.size()));
    }
    if (resultFields.size() == 1) {
      auto r = resultFields[0];
      std::string rwhere = where + ", callback " + cb->name + " result '" +
                           std::string(r.getProto().getName()) + "'";
      if (r.getProto().isGroup()) refuse(rwhere, "groups have no C meaning");
      auto kind = scalarKind(r.getType(), annotation(r.getProto().getAnnotations(), kType), rwhere);
      if (!kind) refuse(rwhere, "a callback returns a number, Bool or enum (or nothing: void)");
      cb->returnKind = *kind;
      cb->returnField = r;
      // The schema's default for the field: what the library gets when the client cannot answer.
      capnp::MallocMessageBuilder message(64);
      auto empty = message.initRoot<capnp::DynamicStruct>(results);
      storeScalar(*kind, fromDynamic(empty.asReader().get(r)), &cb->fallback, rwhere);
    }
    auto lifetime = annotation(annotations, kCallback);
    if (lifetime) {
      uint16_t value = lifetime->getEnum();
      if (value > uint16_t(CallbackPlan::Lifetime::Host)) {
        refuse(where, "unknown $callback lifetime " + std::to_string(value));
      }
      cb->lifetime = static_cast<CallbackPlan::Lifetime>(value);
    }
    auto releasedBy = annotation(annotations, kReleasedBy);
    if (cb->lifetime == CallbackPlan::Lifetime::Released) {
      if (!releasedBy || releasedBy->getText().size() == 0) {
        refuse(where, "$callback(released) needs $releasedBy(\"<method>\"): the method whose "
                      "call ends the function pointer's life");
      }
      cb->releasedBy = releasedBy->getText();
    } else if (releasedBy) {
      refuse(where, "$releasedBy goes with $callback(released)");
    }
    arg.role = ArgRole::Callback;
    arg.callback = std::move(cb);
    f.hasCallbacks = true;
    return arg;
  }

  // The callback each $userFor context belongs to, now that every parameter is known.
  static void resolveCallbackUsers(FunctionPlan& f) {
    for (auto& arg : f.args) {
      if (arg.role != ArgRole::CallbackUser) continue;
      std::string target = std::move(arg.handleKind);
      arg.handleKind.clear();
      for (size_t i = 0; i < f.args.size(); ++i) {
        if (f.args[i].name == target && f.args[i].role == ArgRole::Callback) {
          arg.source = static_cast<int>(i);
        }
      }
      if (arg.source < 0) {
        refuse(f.method + ": parameter '" + arg.name + "'",
               "$userFor(\"" + target + "\") must name a callback (interface-typed) parameter of "
               "the same method");
      }
    }
  }

  // Second pass: the names $lengthOf and $length refer to, now that every parameter is known.
  static void resolveReferences(FunctionPlan& f) {
    std::map<std::string, int> index;
    for (size_t i = 0; i < f.args.size(); ++i) index[f.args[i].name] = static_cast<int>(i);
    for (auto& arg : f.args) {
      std::string where = f.method + ": parameter '" + arg.name + "'";
      auto annotations = arg.param.getProto().getAnnotations();
      if (arg.role == ArgRole::LengthOf) {
        std::string target = annotation(annotations, kLengthOf)->getText();
        auto it = index.find(target);
        if (it == index.end()) refuse(where, "$lengthOf(\"" + target + "\") names no parameter");
        auto role = f.args[it->second].role;
        if (role != ArgRole::InBuffer && role != ArgRole::Text && role != ArgRole::InOutBuffer &&
            role != ArgRole::BulkRef) {
          refuse(where, "$lengthOf(\"" + target + "\") must name a List, Data, Text or "
                        "Bulk.BulkRef parameter");
        }
        arg.source = it->second;
      } else if ((arg.role == ArgRole::OutBuffer || arg.role == ArgRole::OutText ||
                  arg.role == ArgRole::InOutText || arg.role == ArgRole::InBuffer ||
                  arg.role == ArgRole::BulkRef) &&
                 arg.capacity == 0) {
        auto length = annotation(annotations, kLength);
        if (!length) continue;  // $capacity(0): an empty buffer
        std::string target = length->getText();
        auto it = index.find(target);
        if (it == index.end()) refuse(where, "$length(\"" + target + "\") names no parameter");
        const ArgPlan& count = f.args[it->second];
        if ((count.role != ArgRole::Value && count.role != ArgRole::LengthOf) ||
            !isInteger(count.kind)) {
          refuse(where, "$length(\"" + target + "\") must name an integer parameter passed by value");
        }
        if (count.role == ArgRole::LengthOf && count.source >= 0 &&
            f.args[count.source].role == ArgRole::InOutText) {
          refuse(where, "$length(\"" + target + "\") counts a text; give $capacity instead");
        }
        arg.source = it->second;
      }
    }
  }

  void planResults(FunctionPlan& f, capnp::StructSchema results) {
    std::optional<capnp::StructSchema::Field> returnField;
    for (auto field : results.getFields()) {
      auto annotations = field.getProto().getAnnotations();
      std::string where = f.method + ": result '" + std::string(field.getProto().getName()) + "'";
      if (has(annotations, kReturns)) {
        if (returnField) refuse(f.method, "two result fields are annotated $returns");
        returnField = field;
      }
      if (has(annotations, kLastError)) {
        auto which = field.getType().which();
        if (which != capnp::schema::Type::INT32 && which != capnp::schema::Type::UINT32) {
          refuse(where, "$lastError needs an Int32 or UInt32 field");
        }
        if (f.lastErrorField) refuse(f.method, "two result fields are annotated $lastError");
        if (has(annotations, kReturns)) refuse(where, "$lastError and $returns do not go together");
        f.lastErrorField = field;
      }
    }
    auto isOutName = [&](const std::string& name) {
      for (const auto& arg : f.args) {
        if (arg.name == name && arg.result) return true;
      }
      return false;
    };
    if (!returnField) {
      KJ_IF_MAYBE(result, results.findFieldByName("result")) {
        if (!isOutName("result") && !(f.lastErrorField && *f.lastErrorField == *result)) {
          returnField = *result;
        }
      }
    }
    for (auto field : results.getFields()) {
      std::string name = field.getProto().getName();
      if (returnField && field == *returnField) continue;
      if (f.lastErrorField && field == *f.lastErrorField) continue;
      if (!isOutName(name)) {
        refuse(f.method + ": result '" + name + "'",
               "it is neither the return value (name it 'result' or annotate it $returns), an "
               "$out or $inout parameter of the same name, nor $lastError");
      }
    }
    if (!returnField) return;
    std::string where =
        f.method + ": result '" + std::string(returnField->getProto().getName()) + "'";
    auto proto = returnField->getProto();
    if (proto.isGroup() || proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
      refuse(where, "groups and unions have no C meaning");
    }
    auto annotations = proto.getAnnotations();
    auto handle = annotation(annotations, kHandle);
    auto freeWith = annotation(annotations, kFreeWith);
    capnp::Type type = returnField->getType();
    if (freeWith && type.which() != capnp::schema::Type::TEXT) {
      refuse(where, "$freeWith applies to a Text result");
    }
    if (handle) {
      if (type.which() != capnp::schema::Type::UINT64) {
        refuse(where, "$handle needs a UInt64 field (the token)");
      }
      f.returnKind = CKind::Pointer;
      f.returnHandleKind = handle->getText();
      if (f.returnHandleKind.empty()) refuse(where, "$handle(\"\") needs a kind, e.g. \"Db\"");
    } else if (type.which() == capnp::schema::Type::TEXT) {
      f.returnKind = CKind::Pointer;
      f.returnsText = true;
      f.returnsWideText = isWideText(annotation(annotations, kType), where);
      if (freeWith) {
        f.freeReturnWith = freeWith->getText();
        if (f.freeReturnWith.empty()) refuse(where, "$freeWith(\"\") names no function");
      }
    } else if (type.which() == capnp::schema::Type::STRUCT) {
      f.returnStruct = structLayout(type.asStruct(), where);
    } else if (auto kind = scalarKind(type, annotation(annotations, kType), where)) {
      f.returnKind = *kind;
    } else {
      refuse(where, "a return value must be a number, Bool, enum, struct, Text (const char*) or "
                    "a $handle");
    }
    f.returnField = returnField;
  }
};

}  // namespace

bool returnsValue(ArgRole role) {
  switch (role) {
    case ArgRole::OutValue:
    case ArgRole::OutBuffer:
    case ArgRole::OutText:
    case ArgRole::OutTextPointer:
    case ArgRole::InOutValue:
    case ArgRole::InOutBuffer:
    case ArgRole::InOutText:
    case ArgRole::StructOut:
    case ArgRole::StructInOut:
    case ArgRole::HandleOut: return true;
    default: return false;
  }
}

uint32_t stdcallArgumentBytes(const FunctionPlan& plan) {
  uint32_t bytes = 0;
  for (const auto& arg : plan.args) {
    size_t size = arg.role == ArgRole::Value || arg.role == ArgRole::LengthOf ? cSize(arg.kind)
                  : arg.role == ArgRole::StructByValue                      ? arg.element.size()
                                                                            : sizeof(void*);
    bytes += static_cast<uint32_t>((size + 3) / 4 * 4);
  }
  return bytes;
}

LibraryPlan planLibrary(capnp::InterfaceSchema iface) {
  Planner planner;
  std::string interfaceName = iface.getShortDisplayName();
  if (iface.getSuperclasses().size() > 0) {
    refuse(interfaceName, "a bound library's interface cannot extend another interface");
  }
  planner.interfaceStdcall = has(iface.getProto().getAnnotations(), kStdcall);
  for (auto method : iface.getMethods()) planner.function(method, interfaceName);
  if (auto calls = annotation(iface.getProto().getAnnotations(), kCalls)) {
    uint16_t value = calls->getEnum();
    if (value > uint16_t(LibraryPlan::CallThread::Pool)) {
      refuse(interfaceName, "unknown $calls value " + std::to_string(value));
    }
    planner.plan.callThread = static_cast<LibraryPlan::CallThread>(value);
  }
  // Callbacks: the methods that release stored ones, and the thread they need.
  auto& functions = planner.plan.functions;
  for (size_t fi = 0; fi < functions.size(); ++fi) {
    for (size_t ai = 0; ai < functions[fi].args.size(); ++ai) {
      const ArgPlan& arg = functions[fi].args[ai];
      if (arg.role != ArgRole::Callback) continue;
      if (planner.plan.callThread == LibraryPlan::CallThread::Host) {
        refuse(arg.callback->where,
               "a callback waits for the client on the library's thread while the RPC thread "
               "carries the call: $calls(host) cannot take callbacks (drop it, or use pool)");
      }
      if (arg.callback->lifetime != CallbackPlan::Lifetime::Released) continue;
      bool found = false;
      for (auto& other : functions) {
        auto name = interfaceName + "." + arg.callback->releasedBy;
        if (other.method != name) continue;
        other.releasesCallbacks.push_back({uint16_t(fi), uint16_t(ai)});
        found = true;
      }
      if (!found) {
        refuse(arg.callback->where, "$releasedBy(\"" + arg.callback->releasedBy +
                                        "\") names no method of " + interfaceName);
      }
    }
  }
  return std::move(planner.plan);
}

}  // namespace bitbridge::cbind
