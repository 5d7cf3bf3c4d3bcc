// c_binding_plan.h: from a method's schema and its /bitbridge/c.capnp annotations to a call plan.
#include "c_binding_plan.h"

#include <map>

#include "bitbridge/error.h"

namespace bitbridge::cbind {
namespace {

// The annotation ids of schemas/bitbridge/c.capnp (fixed there with @0x...).
constexpr uint64_t kSymbol = 0xfed246c1d30eb48bull;
constexpr uint64_t kType = 0xa673db53f51a5524ull;
constexpr uint64_t kLengthOf = 0x944f0c1c4f19f055ull;
constexpr uint64_t kOut = 0xde0686b897cd06eeull;
constexpr uint64_t kLength = 0xb835821f7af7aefdull;
constexpr uint64_t kCapacity = 0xdc9584248b436113ull;
constexpr uint64_t kReturns = 0xb118884cbdc24ac3ull;
constexpr uint64_t kStdcall = 0xa35c52a2507b1829ull;
constexpr uint64_t kCdecl = 0xed04ca04cb43c5bfull;
constexpr uint64_t kOrdinal = 0xe51862ced1e23e72ull;

// CType's enumerants, in c.capnp's order.
enum class CType : uint16_t { Long, ULong, Size, SSize, IntPtr, UIntPtr, Int, WChar };

const char* const kHint = "see docs/reference.md, \"Binding a C library\", for the annotations";

[[noreturn]] void refuse(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::BadConfiguration, where + ": " + what, kHint);
}

std::optional<capnp::schema::Value::Reader> annotation(
    capnp::List<capnp::schema::Annotation>::Reader list, uint64_t id) {
  for (auto a : list) {
    if (a.getId() == id) return a.getValue();
  }
  return std::nullopt;
}

CKind signedOfSize(size_t bytes) { return bytes == 8 ? CKind::I64 : CKind::I32; }
CKind unsignedOfSize(size_t bytes) { return bytes == 8 ? CKind::U64 : CKind::U32; }

// The C kind of a scalar field (number, Bool, enum), honouring $type; nullopt if not scalar.
std::optional<CKind> scalarKind(capnp::Type type, std::optional<capnp::schema::Value::Reader> ctype,
                                const std::string& where) {
  using W = capnp::schema::Type;
  if (ctype) {
    auto value = static_cast<CType>(ctype->getEnum());
    auto which = type.which();
    switch (value) {
      case CType::Long:
      case CType::SSize:
      case CType::IntPtr:
        if (which != W::INT64) refuse(where, "$type(long/ssize/intptr) needs an Int64 field");
        return signedOfSize(value == CType::Long ? sizeof(long) : sizeof(void*));
      case CType::ULong:
      case CType::Size:
      case CType::UIntPtr:
        if (which != W::UINT64) refuse(where, "$type(ulong/size/uintptr) needs a UInt64 field");
        return unsignedOfSize(value == CType::ULong ? sizeof(unsigned long)
                                                    : value == CType::Size ? sizeof(size_t)
                                                                           : sizeof(void*));
      case CType::Int:
        if (which != W::BOOL && which != W::INT32 && which != W::ENUM) {
          refuse(where, "$type(int) needs a Bool, Int32 or enum field");
        }
        return CKind::I32;
      case CType::WChar: refuse(where, "$type(wchar) applies to Text fields (wide strings)");
    }
    refuse(where, "unknown $type value " + std::to_string(ctype->getEnum()));
  }
  switch (type.which()) {
    case W::BOOL: return CKind::Bool;
    case W::INT8: return CKind::I8;
    case W::INT16: return CKind::I16;
    case W::INT32: return CKind::I32;
    case W::INT64: return CKind::I64;
    case W::UINT8: return CKind::U8;
    case W::UINT16: return CKind::U16;
    case W::UINT32: return CKind::U32;
    case W::UINT64: return CKind::U64;
    case W::FLOAT32: return CKind::F32;
    case W::FLOAT64: return CKind::F64;
    case W::ENUM: return CKind::I32;  // a C enum is an int
    default: return std::nullopt;
  }
}

bool isInteger(CKind kind) {
  return kind != CKind::Void && kind != CKind::Bool && kind != CKind::F32 &&
         kind != CKind::F64 && kind != CKind::Pointer;
}

// The element kind of a List/Data field (Data: unsigned char); nullopt for anything else.
std::optional<CKind> bufferElement(capnp::Type type, const std::string& where) {
  using W = capnp::schema::Type;
  if (type.which() == W::DATA) return CKind::U8;
  if (type.which() != W::LIST) return std::nullopt;
  auto element = scalarKind(type.asList().getElementType(), std::nullopt, where);
  if (!element) refuse(where, "a list parameter must hold numbers, Bool or enums (a C array)");
  return element;
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

// The C kind of one wchar_t: the host's (2 bytes on Windows, 4 on Linux).
CKind wcharKind() { return sizeof(wchar_t) == 2 ? CKind::U16 : CKind::U32; }

void planArgument(FunctionPlan& plan, capnp::StructSchema::Field field,
                  capnp::StructSchema results) {
  auto proto = field.getProto();
  std::string name = proto.getName();
  std::string where = plan.method + ": parameter '" + name + "'";
  if (proto.isGroup() || proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
    refuse(where, "groups and unions have no C meaning");
  }
  auto annotations = proto.getAnnotations();
  auto ctype = annotation(annotations, kType);
  auto lengthOf = annotation(annotations, kLengthOf);
  auto length = annotation(annotations, kLength);
  auto capacity = annotation(annotations, kCapacity);
  bool out = annotation(annotations, kOut).has_value();
  capnp::Type type = field.getType();

  ArgPlan arg;
  arg.name = name;
  arg.param = field;
  if ((length || capacity) && !out) refuse(where, "$length and $capacity apply to $out buffers");
  if (out) {
    if (lengthOf) refuse(where, "$lengthOf and $out do not go together");
    KJ_IF_MAYBE(result, results.findFieldByName(name)) {
      if (!sameType(result->getType(), type)) {
        refuse(where, "its result field '" + name + "' must have the same type");
      }
      arg.result = *result;
    } else {
      refuse(where, "an $out parameter needs a result field of the same name to come back in");
    }
    if (type.which() == capnp::schema::Type::TEXT) {
      arg.role = ArgRole::OutText;
      arg.wide = isWideText(ctype, where);
      arg.kind = arg.wide ? wcharKind() : CKind::I8;
    } else if (auto element = bufferElement(type, where)) {
      arg.role = ArgRole::OutBuffer;
      arg.kind = *element;
    } else if (auto kind = scalarKind(type, ctype, where)) {
      arg.role = ArgRole::OutValue;
      arg.kind = *kind;
      if (length || capacity) refuse(where, "$length and $capacity apply to out buffers, not values");
    } else {
      refuse(where, "an $out parameter must be a number, Bool, enum, List, Data or Text");
    }
    if (arg.role == ArgRole::OutBuffer || arg.role == ArgRole::OutText) {
      if (length && capacity) refuse(where, "give $length or $capacity, not both");
      if (capacity) {
        arg.capacity = capacity->getUint32();
        if (uint64_t(arg.capacity) * cSize(arg.kind) > kMaxOutBufferBytes) {
          refuse(where, "$capacity is above the largest out buffer (" +
                            std::to_string(kMaxOutBufferBytes) + " bytes)");
        }
      } else if (!length) {
        refuse(where, "an out buffer needs $length(\"<parameter>\") or $capacity(<count>)");
      }
    }
  } else if (lengthOf) {
    auto kind = scalarKind(type, ctype, where);
    if (!kind || !isInteger(*kind)) refuse(where, "$lengthOf needs an integer field");
    arg.role = ArgRole::LengthOf;
    arg.kind = *kind;
  } else if (type.which() == capnp::schema::Type::TEXT) {
    arg.role = ArgRole::Text;
    arg.kind = CKind::Pointer;
    arg.wide = isWideText(ctype, where);
  } else if (auto element = bufferElement(type, where)) {
    arg.role = ArgRole::InBuffer;
    arg.kind = *element;
  } else if (auto kind = scalarKind(type, ctype, where)) {
    arg.role = ArgRole::Value;
    arg.kind = *kind;
  } else {
    refuse(where, "structs, interfaces, AnyPointer and lists of those have no C meaning here");
  }
  plan.args.push_back(std::move(arg));
}

// Second pass: the names $lengthOf and $length refer to, now that every parameter is known.
void resolveReferences(FunctionPlan& plan) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < plan.args.size(); ++i) index[plan.args[i].name] = static_cast<int>(i);
  for (auto& arg : plan.args) {
    std::string where = plan.method + ": parameter '" + arg.name + "'";
    auto annotations = arg.param.getProto().getAnnotations();
    if (arg.role == ArgRole::LengthOf) {
      std::string target = annotation(annotations, kLengthOf)->getText();
      auto it = index.find(target);
      if (it == index.end()) refuse(where, "$lengthOf(\"" + target + "\") names no parameter");
      auto role = plan.args[it->second].role;
      if (role != ArgRole::InBuffer && role != ArgRole::Text) {
        refuse(where, "$lengthOf(\"" + target + "\") must name a List, Data or Text parameter");
      }
      arg.source = it->second;
    } else if ((arg.role == ArgRole::OutBuffer || arg.role == ArgRole::OutText) &&
               arg.capacity == 0) {
      auto length = annotation(annotations, kLength);
      if (!length) continue;  // $capacity(0): an empty buffer
      std::string target = length->getText();
      auto it = index.find(target);
      if (it == index.end()) refuse(where, "$length(\"" + target + "\") names no parameter");
      const ArgPlan& count = plan.args[it->second];
      if ((count.role != ArgRole::Value && count.role != ArgRole::LengthOf) ||
          !isInteger(count.kind)) {
        refuse(where, "$length(\"" + target + "\") must name an integer parameter passed by value");
      }
      arg.source = it->second;
    }
  }
}

void planResults(FunctionPlan& plan, capnp::StructSchema results) {
  std::optional<capnp::StructSchema::Field> returnField;
  for (auto field : results.getFields()) {
    if (annotation(field.getProto().getAnnotations(), kReturns)) {
      if (returnField) refuse(plan.method, "two result fields are annotated $returns");
      returnField = field;
    }
  }
  auto isOutName = [&](const std::string& name) {
    for (const auto& arg : plan.args) {
      if (arg.name == name && arg.result) return true;
    }
    return false;
  };
  if (!returnField) {
    KJ_IF_MAYBE(result, results.findFieldByName("result")) {
      if (!isOutName("result")) returnField = *result;
    }
  }
  for (auto field : results.getFields()) {
    std::string name = field.getProto().getName();
    if (returnField && field == *returnField) continue;
    if (!isOutName(name)) {
      refuse(plan.method + ": result '" + name + "'",
             "it is neither the return value (name it 'result' or annotate it $returns) nor an "
             "$out parameter of the same name");
    }
  }
  if (!returnField) return;
  std::string where = plan.method + ": result '" + std::string(returnField->getProto().getName()) + "'";
  auto proto = returnField->getProto();
  if (proto.isGroup() || proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
    refuse(where, "groups and unions have no C meaning");
  }
  capnp::Type type = returnField->getType();
  if (type.which() == capnp::schema::Type::TEXT) {
    plan.returnKind = CKind::Pointer;
    plan.returnsText = true;
    plan.returnsWideText = isWideText(annotation(proto.getAnnotations(), kType), where);
  } else if (auto kind = scalarKind(type, annotation(proto.getAnnotations(), kType), where)) {
    plan.returnKind = *kind;
  } else {
    refuse(where, "a return value must be a number, Bool, enum or Text (const char*)");
  }
  plan.returnField = returnField;
}

}  // namespace

size_t cSize(CKind kind) {
  switch (kind) {
    case CKind::Void: return 0;
    case CKind::Bool: return sizeof(bool);
    case CKind::I8:
    case CKind::U8: return 1;
    case CKind::I16:
    case CKind::U16: return 2;
    case CKind::I32:
    case CKind::U32:
    case CKind::F32: return 4;
    case CKind::I64:
    case CKind::U64:
    case CKind::F64: return 8;
    case CKind::Pointer: return sizeof(void*);
  }
  return 0;
}

const char* cKindName(CKind kind) {
  switch (kind) {
    case CKind::Void: return "void";
    case CKind::Bool: return "bool";
    case CKind::I8: return "int8";
    case CKind::U8: return "uint8";
    case CKind::I16: return "int16";
    case CKind::U16: return "uint16";
    case CKind::I32: return "int32";
    case CKind::U32: return "uint32";
    case CKind::I64: return "int64";
    case CKind::U64: return "uint64";
    case CKind::F32: return "float";
    case CKind::F64: return "double";
    case CKind::Pointer: return "pointer";
  }
  return "?";
}

uint32_t stdcallArgumentBytes(const FunctionPlan& plan) {
  uint32_t bytes = 0;
  for (const auto& arg : plan.args) {
    bool pointer = arg.role != ArgRole::Value && arg.role != ArgRole::LengthOf;
    size_t size = pointer ? sizeof(void*) : cSize(arg.kind);
    bytes += static_cast<uint32_t>((size + 3) / 4 * 4);
  }
  return bytes;
}

std::vector<FunctionPlan> planLibrary(capnp::InterfaceSchema iface) {
  std::vector<FunctionPlan> plans;
  std::string interfaceName = iface.getShortDisplayName();
  bool interfaceStdcall = annotation(iface.getProto().getAnnotations(), kStdcall).has_value();
  if (iface.getSuperclasses().size() > 0) {
    refuse(interfaceName, "a bound library's interface cannot extend another interface");
  }
  auto methods = iface.getMethods();
  for (auto method : methods) {
    FunctionPlan plan;
    auto proto = method.getProto();
    plan.method = interfaceName + "." + std::string(proto.getName());
    plan.methodIndex = method.getIndex();
    auto symbol = annotation(proto.getAnnotations(), kSymbol);
    plan.symbol = symbol ? std::string(symbol->getText()) : std::string(proto.getName());
    if (plan.symbol.empty()) refuse(plan.method, "$symbol(\"\") names nothing");
    bool stdcall = annotation(proto.getAnnotations(), kStdcall).has_value();
    bool cdecl = annotation(proto.getAnnotations(), kCdecl).has_value();
    if (stdcall && cdecl) refuse(plan.method, "$stdcall and $cdecl contradict each other");
    plan.stdcall = stdcall || (interfaceStdcall && !cdecl);
    if (auto ordinal = annotation(proto.getAnnotations(), kOrdinal)) {
      if (ordinal->getUint16() == 0) refuse(plan.method, "$ordinal(0): export ordinals start at 1");
      plan.ordinal = ordinal->getUint16();
    }
    auto results = method.getResultType();
    for (auto field : method.getParamType().getFields()) planArgument(plan, field, results);
    resolveReferences(plan);
    planResults(plan, results);
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace bitbridge::cbind
