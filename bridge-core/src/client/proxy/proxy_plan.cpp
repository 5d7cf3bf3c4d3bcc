#include "client/proxy/proxy_plan.h"

#include <cctype>

#include <capnp/any.h>

#include "bitbridge/error.h"
#include "wire/c_annotation_ids.h"

namespace bitbridge::proxy {
namespace {

// (Declarations, not the whole namespace: this file has a CType of its own, proxy.h's.)
using wire::c_annotation::kByValue;
using wire::c_annotation::kCallback;
using wire::c_annotation::kCapacity;
using wire::c_annotation::kCdecl;
using wire::c_annotation::kFreeWith;
using wire::c_annotation::kHandle;
using wire::c_annotation::kInOut;
using wire::c_annotation::kLastError;
using wire::c_annotation::kLength;
using wire::c_annotation::kLengthOf;
using wire::c_annotation::kNullable;
using wire::c_annotation::kOnFailure;
using wire::c_annotation::kOut;
using wire::c_annotation::kReleasedBy;
using wire::c_annotation::kReleases;
using wire::c_annotation::kReturns;
using wire::c_annotation::kStdcall;
using wire::c_annotation::kSymbol;
using wire::c_annotation::kTerminated;
using wire::c_annotation::kType;
using wire::c_annotation::kUser;
using wire::c_annotation::kUserFor;
constexpr uint16_t kTypeWchar = static_cast<uint16_t>(wire::c_annotation::CType::WChar);

using Annotations = capnp::List<capnp::schema::Annotation>::Reader;

std::optional<capnp::schema::Value::Reader> find(Annotations list, uint64_t id) {
  for (auto a : list) {
    if (a.getId() == id) return a.getValue();
  }
  return std::nullopt;
}

bool has(Annotations list, uint64_t id) { return find(list, id).has_value(); }

std::string text(Annotations list, uint64_t id) {
  auto v = find(list, id);
  return v && v->isText() ? std::string(v->getText().cStr()) : std::string();
}

bool isScalar(capnp::Type t) {
  switch (t.which()) {
    case capnp::schema::Type::BOOL:
    case capnp::schema::Type::INT8:
    case capnp::schema::Type::INT16:
    case capnp::schema::Type::INT32:
    case capnp::schema::Type::INT64:
    case capnp::schema::Type::UINT8:
    case capnp::schema::Type::UINT16:
    case capnp::schema::Type::UINT32:
    case capnp::schema::Type::UINT64:
    case capnp::schema::Type::FLOAT32:
    case capnp::schema::Type::FLOAT64:
    case capnp::schema::Type::ENUM:
      return true;
    default:
      return false;
  }
}

bool isInteger(capnp::Type t) {
  return isScalar(t) && !t.isBool() && !t.isFloat32() && !t.isFloat64() && !t.isEnum();
}

Error refuse(const std::string& where, const std::string& what) {
  return Error(ErrorKind::BadConfiguration, where + ": " + what,
               "a drop-in proxy converts numbers, Bool, enums, Text, lists of numbers, Data, "
               "handles, structs and callbacks (docs/reference.md \"Drop-in proxy libraries\"); call this "
               "function through Host::bind instead, or leave it out of the proxy's schema");
}

// The layout of a struct parameter or result in this process's ABI. The layout code names the
// struct and field but not the method: a refusal is prefixed with `where` here.
const cbind::StructLayout* layoutFor(cbind::StructLayouts& structs, capnp::StructSchema schema,
                                     const std::string& where) {
  try {
    return structs.layoutOf(schema, where);
  } catch (const Error& e) {
    if (e.message().compare(0, where.size(), where) == 0) throw;
    throw Error(e.kind(), where + ": " + e.message(), e.hint());
  }
}

// What a proxy cannot do with a struct's members, `writes`: whether the library writes the
// struct the program sees ($out, $inout, a returned struct).
//   A pointer member the library writes would point into the host, or into memory the proxy
//   would have to allocate and the program never frees: refused.
//   A list or Data pointer member the program passes in needs its count ($lengthOf member):
//   the proxy cannot tell how many elements to send.
void checkMembers(const cbind::StructLayout& layout, bool writes, const std::string& where) {
  for (const auto& m : layout.members) {
    std::string here = where + ": struct " + layout.name + ", field '" + m.name + "'";
    if (m.role == cbind::MemberRole::Struct || (m.role == cbind::MemberRole::Array && m.type.isStruct())) {
      checkMembers(*m.type.layout, writes, where);
    }
    if (m.role != cbind::MemberRole::Pointer) continue;
    if (writes) {
      throw refuse(here, "a pointer inside a struct the library writes ($C.out, $C.inout or a "
                         "returned struct) is not converted by proxies (the program would get a "
                         "pointer into memory nobody frees); if the C member is an inline array, "
                         "give the field $C.array(N)");
    }
    if (!m.text && m.source < 0) {
      throw refuse(here, "a List or Data pointer inside a struct needs its count: annotate the "
                         "count field $C.lengthOf(\"" + m.name + "\"), so the proxy knows how many "
                         "elements to send");
    }
    if (m.type.isStruct()) checkMembers(*m.type.layout, writes, where);
  }
}

// A struct a callback receives: no pointer members (text, lists, nested pointers), at any depth.
void checkCallbackMembers(const cbind::StructLayout& layout, const std::string& where) {
  for (const auto& m : layout.members) {
    if (m.role == cbind::MemberRole::Struct || (m.role == cbind::MemberRole::Array && m.type.isStruct())) {
      checkCallbackMembers(*m.type.layout, where);
    }
    if (m.role == cbind::MemberRole::Pointer) {
      throw refuse(where + ": struct " + layout.name + ", field '" + m.name + "'",
                   "a pointer inside a struct a callback receives is not converted by proxies yet; "
                   "if the C member is an inline array, give the field $C.array(N)");
    }
  }
}

// $C.stdcall on the method, or on its interface without $C.cdecl on the method.
bool declaresStdcall(capnp::InterfaceSchema iface, capnp::InterfaceSchema::Method method) {
  auto methodAnnotations = method.getProto().getAnnotations();
  return has(methodAnnotations, kStdcall) ||
         (has(iface.getProto().getAnnotations(), kStdcall) && !has(methodAnnotations, kCdecl));
}

bool isWide(Annotations ann) {
  auto type = find(ann, kType);
  return type && type->getEnum() == kTypeWchar;
}

// Whether a parameter's $C.type makes its width the platform's (long, size, ...). Wide text
// ($C.type(wchar)) is read by the Text roles (isWide); on anything else it is refused: one
// wchar_t by value, and wide text inside a callback's signature.
bool platformWidth(Annotations ann, capnp::Type t, const std::string& where) {
  auto type = find(ann, kType);
  if (!type) return false;
  if (type->getEnum() == kTypeWchar) {
    if (t.isText()) return false;
    throw refuse(where, "one wchar_t by value ($C.type(wchar) on a number) is not converted by proxies yet");
  }
  return true;
}

// A $C.freeWith function the proxy must define (any but "free"): the program hands it what the
// proxy gave it, so it is emitted into the generated source and exported by name. It must be a
// C identifier, and not one of the interface's methods, whose calls would go to the library
// with the proxy's memory.
std::string checkFreeWith(capnp::InterfaceSchema iface, const std::string& freeWith, const std::string& where) {
  if (freeWith.empty() || freeWith == "free") return freeWith;
  bool identifier = !std::isdigit(static_cast<unsigned char>(freeWith[0]));
  for (char c : freeWith) identifier = identifier && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!identifier) {
    throw Error(ErrorKind::BadConfiguration, where + ": $C.freeWith(\"" + freeWith + "\") is not a C function name");
  }
  for (auto m : iface.getMethods()) {
    if (methodSymbol(m) == freeWith) {
      throw Error(ErrorKind::BadConfiguration,
                  where + ": $C.freeWith(\"" + freeWith + "\") names the library's deallocator, which " +
                      iface.getUnqualifiedName().cStr() + "." + m.getProto().getName().cStr() +
                      " also binds; in a proxy the program's " + freeWith + "() frees the proxy's "
                      "copies, so it cannot also forward to the library",
                  "leave " + std::string(m.getProto().getName().cStr()) + " out of the proxy's schema: the "
                  "proxy defines " + freeWith + " itself (docs/reference.md \"Drop-in proxy libraries\", Strings)");
    }
  }
  return freeWith;
}

// The C signature of a callback parameter `where`, from its interface's one method. What a
// proxy calls the program's function with: numbers, Bool, enums, const char*, the void* user.
CallbackPlan planCallback(const std::string& where, capnp::InterfaceSchema iface, cbind::StructLayouts& structs) {
  CallbackPlan cb;
  cb.iface = iface;
  auto methods = iface.getMethods();
  if (methods.size() != 1) {
    throw Error(ErrorKind::BadConfiguration,
                where + ": a callback's interface (" + iface.getUnqualifiedName().cStr() +
                    ") must have exactly one method, its C signature; it has " +
                    std::to_string(methods.size()));
  }
  cb.method = methods[0];
  cb.name = where + " (" + iface.getUnqualifiedName().cStr() + "." + cb.method.getProto().getName().cStr() + ")";
  cb.stdcall = declaresStdcall(iface, cb.method);
  for (auto f : cb.method.getParamType().getFields()) {
    auto ann = f.getProto().getAnnotations();
    auto t = f.getType();
    CallbackParamPlan p;
    p.name = f.getProto().getName();
    p.field = f;
    p.scalar = t;
    std::string here = cb.name + ": parameter '" + p.name + "'";
    if (isWide(ann)) throw refuse(here, "wide text ($C.type(wchar)) in a callback's parameter is not converted by proxies yet");
    p.platformWidth = platformWidth(ann, t, here);
    if (has(ann, kUser)) {
      if (!t.isVoid()) throw Error(ErrorKind::BadConfiguration, here + ": $C.user goes on a Void parameter (the void* context)");
      p.role = CallbackParamRole::User;
    } else if (t.isText()) {
      p.role = CallbackParamRole::Text;
    } else if (isScalar(t)) {
      p.role = CallbackParamRole::Value;
    } else if (t.isStruct()) {
      // const S*: the proxy lays the host's struct out for the program's function. A pointer
      // member would need memory that outlives the call, and no one to free it: refused.
      p.role = CallbackParamRole::Struct;
      p.layout = layoutFor(structs, t.asStruct(), here);
      checkCallbackMembers(*p.layout, here);
    } else {
      throw Error(ErrorKind::BadConfiguration,
                  here + ": a callback's parameter of this type (a list or capability) is not "
                         "converted by proxies, nor by Host::bind",
                  "a callback takes numbers, Bool, enums, Text, structs (const S*) and the $C.user "
                  "context; change the callback's interface");
    }
    cb.params.push_back(std::move(p));
  }
  for (auto f : cb.method.getResultType().getFields()) {
    auto ann = f.getProto().getAnnotations();
    if (has(ann, kReturns) || (f.getProto().getName() == "result" && !cb.resultField)) {
      cb.resultField = f;
      cb.resultPlatformWidth = has(ann, kType);
    }
  }
  if (cb.resultField && !isScalar(cb.resultField->getType())) {
    throw refuse(cb.name + ": result", "a callback returning anything but a number, Bool or enum is not "
                                       "converted by proxies yet");
  }
  return cb;
}

}  // namespace

std::string methodSymbol(capnp::InterfaceSchema::Method method) {
  std::string symbol = text(method.getProto().getAnnotations(), kSymbol);
  return symbol.empty() ? std::string(method.getProto().getName().cStr()) : symbol;
}

FailureDecl failureOf(capnp::InterfaceSchema iface, capnp::InterfaceSchema::Method method) {
  auto value = find(method.getProto().getAnnotations(), kOnFailure);
  if (!value) value = find(iface.getProto().getAnnotations(), kOnFailure);
  FailureDecl decl;
  if (!value || !value->isStruct()) return decl;
  // Read without Failure's schema (a program's generated code need not carry c.capnp's nodes):
  // struct Failure { result @0 :Text; errno @1 :Text; } has two pointers and no data.
  auto s = value->getStruct().getAs<capnp::AnyStruct>();
  auto pointers = s.getPointerSection();
  decl.declared = true;
  if (pointers.size() > 0 && !pointers[0].isNull()) decl.result = pointers[0].getAs<capnp::Text>();
  if (pointers.size() > 1 && !pointers[1].isNull()) decl.errnoExpr = pointers[1].getAs<capnp::Text>();
  return decl;
}

MethodPlan planMethod(capnp::InterfaceSchema iface, capnp::InterfaceSchema::Method method,
                      cbind::StructLayouts& structs) {
  MethodPlan plan;
  plan.name = std::string(iface.getUnqualifiedName().cStr()) + "." + method.getProto().getName().cStr();
  plan.symbol = methodSymbol(method);
  plan.method = method;
  auto params = method.getParamType();
  auto results = method.getResultType();
  plan.stdcall = declaresStdcall(iface, method);

  // Result fields: the return value, $lastError, and the out-parameters (matched below).
  for (auto f : results.getFields()) {
    auto ann = f.getProto().getAnnotations();
    std::string name = f.getProto().getName();
    if (has(ann, kLastError)) {
      plan.lastErrorField = f;
    } else if (has(ann, kReturns) || (name == "result" && !plan.resultField)) {
      plan.resultField = f;
    }
  }
  if (plan.resultField) {
    auto f = *plan.resultField;
    auto ann = f.getProto().getAnnotations();
    auto t = f.getType();
    std::string where = plan.name + ": result '" + f.getProto().getName().cStr() + "'";
    if (has(ann, kHandle)) {
      plan.resultRole = ResultRole::Handle;
    } else if (t.isText()) {
      plan.resultRole = ResultRole::Text;
      plan.resultWide = isWide(ann);
      plan.resultFreeWith = checkFreeWith(iface, text(ann, kFreeWith), where);
    } else if (isScalar(t)) {
      plan.resultRole = ResultRole::Value;
      plan.resultPlatformWidth = has(ann, kType);
    } else if (t.isStruct()) {
      plan.resultRole = ResultRole::Struct;
      plan.resultLayout = layoutFor(structs, t.asStruct(), where);
      checkMembers(*plan.resultLayout, true, where);
    } else {
      throw refuse(where, "a list or capability result is not converted by proxies yet");
    }
  }

  std::vector<capnp::StructSchema::Field> fields;
  for (auto f : params.getFields()) fields.push_back(f);
  auto indexOf = [&](const std::string& name) -> int32_t {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (name == fields[i].getProto().getName().cStr()) return static_cast<int32_t>(i);
    }
    return -1;
  };

  for (size_t i = 0; i < fields.size(); ++i) {
    auto f = fields[i];
    auto ann = f.getProto().getAnnotations();
    auto t = f.getType();
    ParamPlan p;
    p.name = f.getProto().getName();
    p.field = f;
    p.scalar = t;
    p.nullable = has(ann, kNullable);
    p.releases = has(ann, kReleases);
    std::string where = plan.name + ": parameter '" + p.name + "'";
    bool out = has(ann, kOut);
    bool inout = has(ann, kInOut);
    p.platformWidth = platformWidth(ann, t, where);
    p.wide = isWide(ann);
    p.terminated = has(ann, kTerminated);
    if (has(ann, kUserFor)) {
      // Linked to its callback below. The program's pointer stays in the program: the host
      // passes the library a context of its own.
      if (!t.isVoid()) throw Error(ErrorKind::BadConfiguration, where + ": $C.userFor goes on a Void parameter (the void* context)");
      p.role = ParamRole::User;
      plan.params.push_back(std::move(p));
      continue;
    }
    if (t.isInterface()) {
      // Stored callbacks ($C.callback(released|host)) as Host::bind checks them, so that the
      // generator refuses what the host would refuse at bind time.
      auto lifetime = find(ann, kCallback);
      uint16_t kind = lifetime ? lifetime->getEnum() : 0;
      if (kind > 2) throw Error(ErrorKind::BadConfiguration, where + ": $C.callback has an unknown value");
      p.lifetime = static_cast<CallbackLifetime>(kind);
      std::string releasedBy = text(ann, kReleasedBy);
      if (p.lifetime == CallbackLifetime::Released) {
        if (releasedBy.empty()) {
          throw Error(ErrorKind::BadConfiguration,
                      where + ": $C.callback(released) needs $C.releasedBy(\"<method>\"): the method "
                              "whose call releases it (the library's unregister function)");
        }
        KJ_IF_MAYBE(m, iface.findMethodByName(releasedBy)) {
          p.releasedBy = m->getOrdinal();
        } else {
          throw Error(ErrorKind::BadConfiguration, where + ": $C.releasedBy(\"" + releasedBy + "\") names no method of " +
                                                       iface.getUnqualifiedName().cStr());
        }
      } else if (has(ann, kReleasedBy)) {
        throw Error(ErrorKind::BadConfiguration, where + ": $C.releasedBy goes with $C.callback(released)");
      }
      p.role = ParamRole::Callback;
      p.callback = planCallback(where, t.asInterface(), structs);
      plan.params.push_back(std::move(p));
      continue;
    }
    if (cbind::isBulkRef(t, where)) throw refuse(where, "a Bulk.BulkRef is not converted by proxies yet");
    bool byValue = has(ann, kByValue);
    if (byValue && !t.isStruct()) throw Error(ErrorKind::BadConfiguration, where + ": $C.byValue applies to a struct");
    if (out || inout) {
      auto r = results.findFieldByName(p.name);
      KJ_IF_MAYBE(rf, r) { p.resultField = *rf; }
      else throw Error(ErrorKind::BadConfiguration, where + ": $C.out/$C.inout without a result field of that name");
    }
    std::string length = text(ann, kLength);
    if (!length.empty()) {
      p.countParam = indexOf(length);
      if (p.countParam < 0) throw Error(ErrorKind::BadConfiguration, where + ": $C.length(\"" + length + "\") names no parameter");
    }
    if (auto cap = find(ann, kCapacity)) p.capacity = cap->getUint32();

    if (t.isStruct()) {
      p.layout = layoutFor(structs, t.asStruct(), where);
      if (byValue && (out || inout || p.nullable)) {
        throw Error(ErrorKind::BadConfiguration, where + ": $C.byValue does not go with $C.out, $C.inout or $C.nullable");
      }
      p.role = out ? ParamRole::StructOut : inout ? ParamRole::StructInOut
                                                  : byValue ? ParamRole::StructByValue : ParamRole::StructIn;
      checkMembers(*p.layout, out || inout, where);
    } else if (has(ann, kHandle)) {
      p.role = out ? ParamRole::OutHandle : ParamRole::Handle;
      if (inout) throw refuse(where, "an $inout handle is not converted by proxies");
    } else if (isScalar(t)) {
      p.role = out ? ParamRole::OutValue : inout ? ParamRole::InOutValue : ParamRole::Value;
    } else if (t.isText()) {
      if (out && p.countParam < 0 && p.capacity == 0) {
        p.role = ParamRole::OutTextPointer;
        p.freeWith = checkFreeWith(iface, text(ann, kFreeWith), where);
      } else {
        p.role = out ? ParamRole::OutTextBuffer : inout ? ParamRole::InOutTextBuffer : ParamRole::Text;
      }
      p.scalar = capnp::Type(capnp::schema::Type::UINT8);
    } else if (t.isData() || t.isList()) {
      if (t.isList()) {
        p.scalar = t.asList().getElementType();
        if (p.scalar.isStruct()) {
          // An array of structs (const S*, n), each laid out in this process's ABI.
          p.layout = layoutFor(structs, p.scalar.asStruct(), where);
          checkMembers(*p.layout, out || inout, where);
        } else if (p.scalar.isText() && !out && !inout) {
          // const char* const*: each text as the program's C string.
          if (p.wide) throw refuse(where, "a list of wide texts is not converted by proxies yet");
          p.role = ParamRole::TextList;
          plan.params.push_back(std::move(p));
          continue;
        } else if (!isScalar(p.scalar)) {
          throw refuse(where, "a list of lists, or an $out/$inout list of texts, is not converted by proxies yet");
        }
      } else {
        p.scalar = capnp::Type(capnp::schema::Type::UINT8);
      }
      p.role = out ? ParamRole::OutArray : inout ? ParamRole::InOutArray : ParamRole::Array;
      if (p.terminated && p.layout != nullptr) {
        throw refuse(where, "a $C.terminated array of structs is not converted by proxies yet (its "
                            "terminator would be a struct of zeros); pass its count instead");
      }
    } else {
      throw refuse(where, "this type is not converted by proxies");
    }
    plan.params.push_back(std::move(p));
  }

  // $userFor("cb") on a Void parameter: cb's `void* user`.
  for (size_t i = 0; i < fields.size(); ++i) {
    if (plan.params[i].role != ParamRole::User) continue;
    std::string of = text(fields[i].getProto().getAnnotations(), kUserFor);
    int32_t target = indexOf(of);
    if (target < 0 || plan.params[target].role != ParamRole::Callback) {
      throw Error(ErrorKind::BadConfiguration, plan.name + ": parameter '" + plan.params[i].name +
                                                   "': $C.userFor(\"" + of + "\") names no callback parameter");
    }
    plan.params[target].userParam = static_cast<int32_t>(i);
  }

  // $lengthOf("xs") on an integer parameter: its C value is xs's element count.
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string of = text(fields[i].getProto().getAnnotations(), kLengthOf);
    if (of.empty()) continue;
    int32_t target = indexOf(of);
    if (target < 0) throw Error(ErrorKind::BadConfiguration, plan.name + ": parameter '" + plan.params[i].name + "': $C.lengthOf(\"" + of + "\") names no parameter");
    if (!isInteger(fields[i].getType())) throw Error(ErrorKind::BadConfiguration, plan.name + ": parameter '" + plan.params[i].name + "': $C.lengthOf on a non-integer");
    if (plan.params[target].countParam < 0) plan.params[target].countParam = static_cast<int32_t>(i);
  }
  for (auto& p : plan.params) {
    std::string where = plan.name + ": parameter '" + p.name + "'";
    if (p.terminated && p.role != ParamRole::Array && p.role != ParamRole::TextList) {
      throw Error(ErrorKind::BadConfiguration, where + ": $C.terminated applies to input List and Data parameters");
    }
    if (p.terminated && p.countParam >= 0) {
      throw Error(ErrorKind::BadConfiguration, where + ": give $C.terminated or its count ($C.lengthOf, $C.length), not both");
    }
    bool sized = p.role == ParamRole::Array || p.role == ParamRole::TextList || p.role == ParamRole::OutArray ||
                 p.role == ParamRole::InOutArray || p.role == ParamRole::OutTextBuffer ||
                 p.role == ParamRole::InOutTextBuffer;
    if (!sized) continue;
    if (p.countParam >= 0) {
      auto& count = plan.params[p.countParam];
      if (count.role != ParamRole::Value || !isInteger(count.scalar)) {
        throw Error(ErrorKind::BadConfiguration, plan.name + ": parameter '" + p.name + "': its count '" + count.name + "' is not an integer passed by value");
      }
    } else if (p.capacity == 0 && p.role != ParamRole::InOutTextBuffer && !p.terminated) {
      throw refuse(where,
                   "an array needs its element count ($C.lengthOf on its count parameter, "
                   "$C.length or $C.capacity), or $C.terminated for an input array that ends in "
                   "an element of zeros (a NULL for texts), for the proxy to know how much to "
                   "send or copy back");
    }
  }
  return plan;
}

namespace {

const char* kindName(CKind k) {
  switch (k) {
    case CKind::Void: return "void";
    case CKind::Bool: return "bool";
    case CKind::Signed: return "signed integer";
    case CKind::Unsigned: return "unsigned integer";
    case CKind::Float: return "floating-point";
    case CKind::Pointer: return "pointer";
    case CKind::Other: return "struct/union";
  }
  return "?";
}

std::string describe(CKind kind, uint32_t size) {
  if (kind == CKind::Void) return "void";
  return std::string(kindName(kind)) + " of " + std::to_string(size) + " bytes";
}

std::string typeName(capnp::Type t) {
  switch (t.which()) {
    case capnp::schema::Type::BOOL: return "Bool";
    case capnp::schema::Type::INT8: return "Int8";
    case capnp::schema::Type::INT16: return "Int16";
    case capnp::schema::Type::INT32: return "Int32";
    case capnp::schema::Type::INT64: return "Int64";
    case capnp::schema::Type::UINT8: return "UInt8";
    case capnp::schema::Type::UINT16: return "UInt16";
    case capnp::schema::Type::UINT32: return "UInt32";
    case capnp::schema::Type::UINT64: return "UInt64";
    case capnp::schema::Type::FLOAT32: return "Float32";
    case capnp::schema::Type::FLOAT64: return "Float64";
    case capnp::schema::Type::ENUM: return "an enum";
    default: return "a non-scalar";
  }
}

uint8_t widthOf(capnp::Type t) {
  switch (t.which()) {
    case capnp::schema::Type::BOOL:
    case capnp::schema::Type::INT8:
    case capnp::schema::Type::UINT8: return 1;
    case capnp::schema::Type::INT16:
    case capnp::schema::Type::UINT16: return 2;
    case capnp::schema::Type::INT32:
    case capnp::schema::Type::UINT32:
    case capnp::schema::Type::FLOAT32:
    case capnp::schema::Type::ENUM: return 4;
    default: return 8;
  }
}

// "struct Box (36 bytes in this ABI)": the size the schema's layout gives in this process,
// which the header's struct must have (a member the schema lacks or misplaces shows here).
std::string structName(const cbind::StructLayout& layout) {
  return "struct " + layout.name + " (" + std::to_string(layout.size) + " bytes as laid out here)";
}

bool isSigned(capnp::Type t) {
  return t.isInt8() || t.isInt16() || t.isInt32() || t.isInt64();
}

// Whether a C scalar of (kind, size) holds values of schema type `t` without change.
bool scalarFits(capnp::Type t, bool platformWidth, CKind kind, uint32_t size) {
  bool integer = kind == CKind::Signed || kind == CKind::Unsigned;
  if (t.isBool()) return kind == CKind::Bool || (platformWidth && integer && size == 4);
  if (t.isFloat32() || t.isFloat64()) return kind == CKind::Float && size == widthOf(t);
  if (t.isEnum()) return integer && size == 4;
  if (!integer) return false;
  if (platformWidth) return size == 4 || size == 8;
  // char is signed on x86: a UInt8 array may be a char* too.
  if (size == 1) return true;
  return size == widthOf(t) && (kind == CKind::Signed) == isSigned(t);
}

// A callback parameter's C type: a function pointer whose parameters and result match the
// callback method's, in its declared convention where conventions differ.
template <typename Mismatch>
void checkCallbackCTypes(const CallbackPlan& cb, const CallbackSpec& c, const CType& type,
                         const std::string& what, const Mismatch& mismatch) {
  std::string schemaSide = "a callback (" + std::string(cb.iface.getUnqualifiedName().cStr()) + ")";
  if (c.invoke == nullptr) throw mismatch(what, schemaSide, describe(type.kind, type.size) + " (not a function pointer)");
  if (c.paramCount != cb.params.size()) {
    throw mismatch(what, schemaSide + " of " + std::to_string(cb.params.size()) + " parameter(s)",
                   "function pointer of " + std::to_string(c.paramCount) + " parameter(s)");
  }
  if (kCallingConventionsDiffer && c.stdcall != cb.stdcall) {
    throw mismatch(what, schemaSide + (cb.stdcall ? " declared $C.stdcall" : " without $C.stdcall (cdecl)"),
                   std::string("function pointer declared ") + (c.stdcall ? "__stdcall" : "cdecl"));
  }
  for (size_t j = 0; j < cb.params.size(); ++j) {
    const CallbackParamPlan& p = cb.params[j];
    const CType& t = c.params[j];
    std::string here = what + ", its parameter " + std::to_string(j + 1) + " ('" + p.name + "')";
    switch (p.role) {
      case CallbackParamRole::Value:
        if (!scalarFits(p.scalar, p.platformWidth, t.kind, t.size)) throw mismatch(here, typeName(p.scalar), describe(t.kind, t.size));
        break;
      case CallbackParamRole::Text:
        if (t.kind != CKind::Pointer || t.pointeeSize != 1) throw mismatch(here, "Text (const char*)", describe(t.kind, t.size));
        break;
      case CallbackParamRole::User:
        if (t.kind != CKind::Pointer) throw mismatch(here, "the $C.user context (void*)", describe(t.kind, t.size));
        break;
      case CallbackParamRole::Struct:
        // const S*, or const void* (a qsort comparator's), which the program casts.
        if (t.kind != CKind::Pointer || (t.pointee != CKind::Void && (t.pointee != CKind::Other || t.pointeeSize != p.layout->size)))
          throw mismatch(here, "a pointer to " + structName(*p.layout),
                         t.kind == CKind::Pointer ? "pointer to a " + describe(t.pointee, t.pointeeSize) : describe(t.kind, t.size));
        break;
    }
  }
  if (!cb.resultField) {
    if (c.result.kind != CKind::Void) throw mismatch(what + ", its return value", "absent (no `result` field)", describe(c.result.kind, c.result.size));
  } else if (!scalarFits(cb.resultField->getType(), cb.resultPlatformWidth, c.result.kind, c.result.size)) {
    throw mismatch(what + ", its return value", typeName(cb.resultField->getType()), describe(c.result.kind, c.result.size));
  }
}

}  // namespace

void checkCTypes(const MethodPlan& plan, const MethodSpec& spec, const std::string& schemaFile) {
  auto mismatch = [&](const std::string& what, const std::string& schemaSide, const std::string& cSide) {
    return Error(ErrorKind::BadConfiguration,
                 std::string(spec.symbol) + ": " + what + " is " + schemaSide + " in " + schemaFile +
                     " (" + plan.name + ") but a " + cSide + " in the library's header",
                 "make the schema say what the header declares, and generate the proxy again");
  };
  if (spec.paramCount != plan.params.size()) {
    throw Error(ErrorKind::BadConfiguration,
                std::string(spec.symbol) + " takes " + std::to_string(spec.paramCount) +
                    " parameter(s) in the library's header but " + std::to_string(plan.params.size()) +
                    " in " + schemaFile + " (" + plan.name + ")",
                "one schema parameter per C parameter, in order; generate the proxy again");
  }
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const ParamPlan& p = plan.params[i];
    const CType& c = spec.params[i];
    std::string what = "parameter " + std::to_string(i + 1) + " ('" + p.name + "')";
    switch (p.role) {
      case ParamRole::Value:
        if (!scalarFits(p.scalar, p.platformWidth, c.kind, c.size))
          throw mismatch(what, typeName(p.scalar), describe(c.kind, c.size));
        break;
      case ParamRole::Handle:
        if (c.kind != CKind::Pointer) throw mismatch(what, "a $C.handle", describe(c.kind, c.size));
        break;
      case ParamRole::OutHandle:
        if (c.kind != CKind::Pointer || c.pointee != CKind::Pointer)
          throw mismatch(what, "an $out $C.handle (T**)", describe(c.kind, c.size) + (c.kind == CKind::Pointer ? " to a " + describe(c.pointee, c.pointeeSize) : ""));
        break;
      case ParamRole::OutTextPointer:
        if (c.kind != CKind::Pointer || c.pointee != CKind::Pointer)
          throw mismatch(what, "an $out Text (char**)", describe(c.kind, c.size));
        break;
      case ParamRole::StructByValue:
        if (c.kind != CKind::Other || c.size != p.layout->size)
          throw mismatch(what, structName(*p.layout), describe(c.kind, c.size));
        break;
      case ParamRole::StructIn:
      case ParamRole::StructOut:
      case ParamRole::StructInOut:
        if (c.kind != CKind::Pointer || c.pointee != CKind::Other || c.pointeeSize != p.layout->size)
          throw mismatch(what, "a pointer to " + structName(*p.layout),
                         c.kind == CKind::Pointer ? "pointer to a " + describe(c.pointee, c.pointeeSize)
                                                  : describe(c.kind, c.size));
        break;
      case ParamRole::User:
        if (c.kind != CKind::Pointer) throw mismatch(what, "a callback's context ($C.userFor: void*)", describe(c.kind, c.size));
        break;
      case ParamRole::Callback:
        checkCallbackCTypes(*p.callback, spec.callbacks[i], c, what, mismatch);
        break;
      case ParamRole::TextList:
        if (c.kind != CKind::Pointer || c.pointee != CKind::Pointer)
          throw mismatch(what, "a List(Text) (const char* const*)", describe(c.kind, c.size));
        break;
      default:
        if (c.kind != CKind::Pointer) throw mismatch(what, "a pointer", describe(c.kind, c.size));
        if (p.wide) {  // the program's own wchar_t: this process's, compiled as the program is
          if (c.pointeeSize != sizeof(wchar_t) || (c.pointee != CKind::Signed && c.pointee != CKind::Unsigned))
            throw mismatch(what, "wide text (wchar_t*, " + std::to_string(sizeof(wchar_t)) + " bytes a unit)",
                           "pointer to a " + describe(c.pointee, c.pointeeSize));
          break;
        }
        if (p.layout != nullptr) {  // an array of structs
          if (c.pointee != CKind::Other || c.pointeeSize != p.layout->size)
            throw mismatch(what, "a pointer to " + structName(*p.layout), "pointer to a " + describe(c.pointee, c.pointeeSize));
          break;
        }
        if (!scalarFits(p.scalar, p.platformWidth, c.pointee, c.pointeeSize))
          throw mismatch(what, "a pointer to " + typeName(p.scalar), "pointer to a " + describe(c.pointee, c.pointeeSize));
        break;
    }
  }
  const CType& r = spec.result;
  switch (plan.resultRole) {
    case ResultRole::Void:
      if (r.kind != CKind::Void) throw mismatch("the return value", "absent (no `result` field)", describe(r.kind, r.size));
      break;
    case ResultRole::Value:
      if (!scalarFits(plan.resultField->getType(), plan.resultPlatformWidth, r.kind, r.size))
        throw mismatch("the return value", typeName(plan.resultField->getType()), describe(r.kind, r.size));
      break;
    case ResultRole::Text:
      if (plan.resultWide) {
        if (r.kind != CKind::Pointer || r.pointeeSize != sizeof(wchar_t))
          throw mismatch("the return value", "wide text (wchar_t*)", describe(r.kind, r.size));
        break;
      }
      if (r.kind != CKind::Pointer || r.pointeeSize != 1) throw mismatch("the return value", "Text (char*)", describe(r.kind, r.size));
      break;
    case ResultRole::Handle:
      if (r.kind != CKind::Pointer) throw mismatch("the return value", "a $C.handle", describe(r.kind, r.size));
      break;
    case ResultRole::Struct:
      if (r.kind != CKind::Other || r.size != plan.resultLayout->size)
        throw mismatch("the return value", structName(*plan.resultLayout), describe(r.kind, r.size));
      break;
  }
}

}  // namespace bitbridge::proxy
