// c_struct_layout.h: a Cap'n Proto struct's C layout, measured by this process's compiler.
#include "common/cabi/c_struct_layout.h"

#include <algorithm>
#include <cstddef>

#include "bitbridge/bulk.capnp.h"
#include "bitbridge/error.h"
#include "wire/c_annotation_ids.h"

namespace bitbridge::cbind {
namespace {

using namespace wire::c_annotation;  // kType, kArray, ... and CType

const char* const kHint = "see docs/reference.md, \"Binding a C library\", for the annotations";

bool has(capnp::List<capnp::schema::Annotation>::Reader list, uint64_t id) {
  return findAnnotation(list, id).has_value();
}

CKind signedOfSize(size_t bytes) { return bytes == 8 ? CKind::I64 : CKind::I32; }
CKind unsignedOfSize(size_t bytes) { return bytes == 8 ? CKind::U64 : CKind::U32; }

bool isInteger(CKind kind) {
  return kind != CKind::Void && kind != CKind::Bool && kind != CKind::F32 &&
         kind != CKind::F64 && kind != CKind::Pointer;
}

size_t alignUp(size_t value, size_t align) { return (value + align - 1) / align * align; }

// How this process's compiler aligns a T inside a struct (on i386 Linux a double or int64_t
// member is 4-aligned although alignof says 8; on 32-bit Windows it is 8): measured, not assumed.
template <typename T>
struct AlignProbe {
  char c;
  T t;
};
#define BITBRIDGE_MEMBER_ALIGN(T) offsetof(AlignProbe<T>, t)

CValueType scalarType(CKind kind) {
  CValueType type;
  type.kind = kind;
  return type;
}

}  // namespace

void refuseSchema(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::BadConfiguration, where + ": " + what, kHint);
}

std::optional<capnp::schema::Value::Reader> findAnnotation(
    capnp::List<capnp::schema::Annotation>::Reader list, uint64_t id) {
  for (auto a : list) {
    if (a.getId() == id) return a.getValue();
  }
  return std::nullopt;
}

size_t memberAlign(CKind kind) {
  switch (kind) {
    case CKind::Void: return 1;
    case CKind::Bool: return BITBRIDGE_MEMBER_ALIGN(bool);
    case CKind::I8:
    case CKind::U8: return 1;
    case CKind::I16:
    case CKind::U16: return BITBRIDGE_MEMBER_ALIGN(int16_t);
    case CKind::I32:
    case CKind::U32: return BITBRIDGE_MEMBER_ALIGN(int32_t);
    case CKind::I64:
    case CKind::U64: return BITBRIDGE_MEMBER_ALIGN(int64_t);
    case CKind::F32: return BITBRIDGE_MEMBER_ALIGN(float);
    case CKind::F64: return BITBRIDGE_MEMBER_ALIGN(double);
    case CKind::Pointer: return BITBRIDGE_MEMBER_ALIGN(void*);
  }
  return 1;
}
#undef BITBRIDGE_MEMBER_ALIGN

CKind wcharKind() { return sizeof(wchar_t) == 2 ? CKind::U16 : CKind::U32; }

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

size_t CValueType::size() const { return layout ? layout->size : cSize(kind); }
size_t CValueType::align() const { return layout ? layout->align : memberAlign(kind); }

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
        if (which != W::INT64) refuseSchema(where, "$type(long/ssize/intptr) needs an Int64 field");
        return signedOfSize(value == CType::Long ? sizeof(long) : sizeof(void*));
      case CType::ULong:
      case CType::Size:
      case CType::UIntPtr:
        if (which != W::UINT64) refuseSchema(where, "$type(ulong/size/uintptr) needs a UInt64 field");
        return unsignedOfSize(value == CType::ULong ? sizeof(unsigned long)
                                                    : value == CType::Size ? sizeof(size_t)
                                                                           : sizeof(void*));
      case CType::Int:
        if (which != W::BOOL && which != W::INT32 && which != W::ENUM) {
          refuseSchema(where, "$type(int) needs a Bool, Int32 or enum field");
        }
        return CKind::I32;
      case CType::WChar:
        // One wchar_t by value (a code unit: above 0xFFFF does not fit a Windows host's).
        if (which != W::UINT32) {
          refuseSchema(where, "$type(wchar) applies to Text fields (wide strings) and UInt32 "
                              "fields (one wchar_t)");
        }
        return wcharKind();
    }
    refuseSchema(where, "unknown $type value " + std::to_string(ctype->getEnum()));
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

// A Bulk.BulkRef (/bitbridge/bulk.capnp), known by its node id. The node is the client's: one
// that reuses the id with other fields is refused, so that a call reads segment, offset and
// length where bitbridge's own BulkRef has them (fromWire reads it as that type).
bool isBulkRef(capnp::Type type, const std::string& where) {
  if (type.which() != capnp::schema::Type::STRUCT) return false;
  capnp::StructSchema schema = type.asStruct();
  if (schema.getProto().getId() != capnp::typeId<proto::BulkRef>()) return false;
  auto fields = schema.getFields();
  const char* const names[] = {"segment", "offset", "length"};
  bool same = fields.size() == 3 && schema.getUnionFields().size() == 0;
  for (uint32_t i = 0; same && i < 3; ++i) {
    auto proto = fields[i].getProto();
    same = proto.getName() == names[i] && proto.isSlot() && proto.getSlot().getOffset() == i &&
           fields[i].getType().which() == capnp::schema::Type::UINT64;
  }
  if (!same) {
    refuseSchema(where, "its BulkRef struct is not the one of /bitbridge/bulk.capnp (segment, "
                        "offset, length: UInt64)");
  }
  return true;
}

const StructLayout* StructLayouts::layoutOf(capnp::StructSchema schema, const std::string& where) {
  uint64_t id = schema.getProto().getId();
  if (isBulkRef(capnp::Type(schema), where)) {
    refuseSchema(where, "a Bulk.BulkRef becomes a pointer only as a parameter of its own, not "
                        "inside a struct or a list, nor as a result");
  }
  for (const auto& layout : layouts_) {
    if (layout->id == id) {
      if (layout->size == 0) {
        refuseSchema(where, "struct " + layout->name + " contains itself, which a C struct cannot");
      }
      return layout.get();
    }
  }
  auto owned = std::make_unique<StructLayout>();
  StructLayout& layout = *owned;
  layout.name = schema.getShortDisplayName();
  layout.id = id;
  layout.schema = schema;
  layouts_.push_back(std::move(owned));  // size 0 marks it in progress (see above)
  std::string structWhere = "struct " + layout.name;
  if (schema.getUnionFields().size() > 0) refuseSchema(structWhere, "unions have no C meaning here");
  for (auto field : schema.getFields()) layout.members.push_back(member(field, structWhere));
  if (layout.members.empty()) refuseSchema(structWhere, "a C struct needs at least one field");
  resolveMemberLengths(layout, structWhere);
  size_t offset = 0;
  for (auto& m : layout.members) {
    bool pointer = m.role == MemberRole::Pointer || m.role == MemberRole::Handle;
    size_t align = pointer ? memberAlign(CKind::Pointer) : m.type.align();
    size_t size = pointer                        ? sizeof(void*)
                  : m.role == MemberRole::Array ? m.type.size() * m.count
                                                : m.type.size();
    offset = alignUp(offset, align);
    m.offset = offset;
    offset += size;
    layout.align = std::max(layout.align, align);
    if (offset > kMaxStructBytes) {
      refuseSchema(structWhere, "larger than " + std::to_string(kMaxStructBytes) + " bytes");
    }
  }
  layout.size = alignUp(offset, layout.align);
  return &layout;
}

std::optional<CValueType> StructLayouts::bufferElement(capnp::Type type, const std::string& where) {
  using W = capnp::schema::Type;
  if (type.which() == W::DATA) return scalarType(CKind::U8);
  if (type.which() != W::LIST) return std::nullopt;
  capnp::Type element = type.asList().getElementType();
  if (element.which() == W::STRUCT) {
    CValueType t;
    t.layout = layoutOf(element.asStruct(), where);
    return t;
  }
  auto kind = scalarKind(element, std::nullopt, where);
  if (!kind) refuseSchema(where, "a list must hold numbers, Bool, enums or structs (a C array)");
  return scalarType(*kind);
}

MemberPlan StructLayouts::member(capnp::StructSchema::Field field, const std::string& structWhere) {
  auto proto = field.getProto();
  MemberPlan m;
  m.name = proto.getName();
  m.field = field;
  std::string where = structWhere + ", field '" + m.name + "'";
  if (proto.isGroup()) refuseSchema(where, "groups have no C meaning");
  auto annotations = proto.getAnnotations();
  auto array = findAnnotation(annotations, kArray);
  auto handle = findAnnotation(annotations, kHandle);
  using W = capnp::schema::Type;
  capnp::Type type = field.getType();
  for (uint64_t id : {kOut, kLength, kCapacity, kReturns, kByValue, kReleases, kFreeWith,
                      kLastError}) {
    if (has(annotations, id)) refuseSchema(where, "this annotation applies to parameters and results");
  }
  if (array) {
    m.count = array->getUint32();
    if (m.count == 0 || m.count > kMaxInlineArray) {
      refuseSchema(where, "$array(N) needs 1 <= N <= " + std::to_string(kMaxInlineArray));
    }
  }
  if (type.which() == W::TEXT || type.which() == W::DATA || type.which() == W::LIST) {
    if (handle || has(annotations, kLengthOf)) refuseSchema(where, "$handle/$lengthOf need an integer");
    m.text = type.which() == W::TEXT;
    m.type = m.text ? scalarType(CKind::I8) : *bufferElement(type, where);
    m.role = array ? MemberRole::Array : MemberRole::Pointer;
    return m;
  }
  if (array) refuseSchema(where, "$array applies to List, Text and Data fields");
  if (type.which() == W::STRUCT) {
    if (handle || has(annotations, kLengthOf)) refuseSchema(where, "$handle/$lengthOf need an integer");
    m.role = MemberRole::Struct;
    m.type.layout = layoutOf(type.asStruct(), where);
    return m;
  }
  if (handle) {
    if (type.which() != W::UINT64) refuseSchema(where, "$handle needs a UInt64 field (the token)");
    m.role = MemberRole::Handle;
    m.handleKind = handle->getText();
    m.type = scalarType(CKind::Pointer);
    return m;
  }
  auto kind = scalarKind(type, findAnnotation(annotations, kType), where);
  if (!kind) refuseSchema(where, "interfaces and AnyPointer have no C meaning");
  m.type = scalarType(*kind);
  m.role = has(annotations, kLengthOf) ? MemberRole::LengthOf : MemberRole::Value;
  if (m.role == MemberRole::LengthOf && !isInteger(*kind)) {
    refuseSchema(where, "$lengthOf needs an integer field");
  }
  return m;
}

void StructLayouts::resolveMemberLengths(StructLayout& layout, const std::string& structWhere) {
  for (auto& m : layout.members) {
    if (m.role != MemberRole::LengthOf) continue;
    std::string target = findAnnotation(m.field.getProto().getAnnotations(), kLengthOf)->getText();
    std::string where = structWhere + ", field '" + m.name + "'";
    bool found = false;
    for (size_t i = 0; i < layout.members.size(); ++i) {
      auto& other = layout.members[i];
      if (other.name != target) continue;
      if (other.role != MemberRole::Pointer || other.text) {
        refuseSchema(where, "$lengthOf(\"" + target + "\") must name a List or Data field (not $array)");
      }
      if (other.source >= 0) refuseSchema(where, "two fields are the $lengthOf '" + target + "'");
      m.source = static_cast<int>(i);
      other.source = static_cast<int>(&m - layout.members.data());
      found = true;
    }
    if (!found) refuseSchema(where, "$lengthOf(\"" + target + "\") names no field of the struct");
  }
}

}  // namespace bitbridge::cbind
