// c_values.h
#include "common/cabi/c_values.h"

#include <cstring>
#include <type_traits>

#include <capnp/any.h>

#include "bitbridge/error.h"

namespace bitbridge::cbind {
namespace {

template <typename T>
void put(void* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}

template <typename T>
T get(const void* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

void* loadPointer(const unsigned char* at) { return get<void*>(at); }

std::string memberWhere(const std::string& where, const MemberPlan& m) {
  return where + "." + m.name;
}

[[noreturn]] void refuseValue(const std::string& where, const std::string& what,
                              const std::string& hint = {}) {
  throw Error(ErrorKind::BadConfiguration, where + ": " + what, hint);
}

bool isDataField(const MemberPlan& m) {
  return m.field.getType().which() == capnp::schema::Type::DATA;
}

// The element count of a Pointer member's list as the library left it (its $lengthOf member).
uint64_t pointedCount(const StructLayout& layout, const MemberPlan& m, const unsigned char* at,
                      const std::string& where) {
  const MemberPlan& length = layout.members[static_cast<size_t>(m.source)];
  Wide w = loadScalar(length.type.kind, at + length.offset);
  if (w.cls == Wide::Signed && w.i < 0) {
    refuseValue(where, "its length '" + length.name + "' is " + std::to_string(w.i));
  }
  uint64_t count = w.cls == Wide::Signed ? uint64_t(w.i) : w.u;
  if (count * m.type.size() > kMaxOutBufferBytes) {
    refuseValue(where, "its length '" + length.name + "' is " + std::to_string(count) +
                           ", above the limit of " + std::to_string(kMaxOutBufferBytes) + " bytes");
  }
  return count;
}

}  // namespace

unsigned char* CallScratch::allocate(size_t bytes) {
  size_t blocks = bytes / sizeof(std::max_align_t) + 1;  // never empty: a valid pointer
  blocks_.emplace_back(new std::max_align_t[blocks]);
  // Zeroed explicitly: terminators, NULs after out text and struct padding rely on it, and
  // value-initialising max_align_t[] did not zero it in the mingw-w64 x86-64 build.
  auto* memory = reinterpret_cast<unsigned char*>(blocks_.back().get());
  std::memset(memory, 0, blocks * sizeof(std::max_align_t));
  return memory;
}

Wide fromDynamic(capnp::DynamicValue::Reader value) {
  Wide w;
  switch (value.getType()) {
    case capnp::DynamicValue::BOOL: w.cls = Wide::Unsigned; w.u = value.as<bool>() ? 1 : 0; break;
    case capnp::DynamicValue::INT: w.cls = Wide::Signed; w.i = value.as<int64_t>(); break;
    case capnp::DynamicValue::UINT: w.cls = Wide::Unsigned; w.u = value.as<uint64_t>(); break;
    case capnp::DynamicValue::FLOAT: w.cls = Wide::Float; w.d = value.as<double>(); break;
    case capnp::DynamicValue::ENUM:
      w.cls = Wide::Signed;
      w.i = value.as<capnp::DynamicEnum>().getRaw();
      break;
    default: KJ_FAIL_ASSERT("not a scalar", value.getType());
  }
  return w;
}

capnp::DynamicValue::Reader toDynamic(capnp::Type type, const Wide& w) {
  switch (type.which()) {
    case capnp::schema::Type::BOOL: return (w.cls == Wide::Signed ? w.i != 0 : w.u != 0);
    case capnp::schema::Type::FLOAT32:
    case capnp::schema::Type::FLOAT64: return w.d;
    case capnp::schema::Type::ENUM:
      return capnp::DynamicEnum(type.asEnum(), static_cast<uint16_t>(w.i));
    default: break;
  }
  if (w.cls == Wide::Signed) return w.i;
  return w.u;
}

void storeScalar(CKind kind, const Wide& w, void* at, const std::string& where,
                 const char* process) {
  auto fits = [&](int64_t lo, uint64_t hi) {
    if (w.cls == Wide::Signed) return w.i >= lo && (w.i < 0 || uint64_t(w.i) <= hi);
    return w.u <= hi;
  };
  auto check = [&](int64_t lo, uint64_t hi) {
    if (!fits(lo, hi)) {
      std::string value = w.cls == Wide::Signed ? std::to_string(w.i) : std::to_string(w.u);
      throw Error(ErrorKind::BadConfiguration,
                  where + " is " + value + ", which does not fit a C " + cKindName(kind) +
                      " in " + process + " (" + std::to_string(sizeof(void*) * 8) + "-bit)",
                  "pass a value in range; platform-width types ($C.type) are each process's own "
                  "C types (a host's, a proxy's program's)");
    }
  };
  int64_t asSigned = w.cls == Wide::Signed ? w.i : static_cast<int64_t>(w.u);
  switch (kind) {
    case CKind::Bool: put<bool>(at, asSigned != 0); break;
    case CKind::I8: check(INT8_MIN, INT8_MAX); put<int8_t>(at, int8_t(asSigned)); break;
    case CKind::U8: check(0, UINT8_MAX); put<uint8_t>(at, uint8_t(asSigned)); break;
    case CKind::I16: check(INT16_MIN, INT16_MAX); put<int16_t>(at, int16_t(asSigned)); break;
    case CKind::U16: check(0, UINT16_MAX); put<uint16_t>(at, uint16_t(asSigned)); break;
    case CKind::I32: check(INT32_MIN, INT32_MAX); put<int32_t>(at, int32_t(asSigned)); break;
    case CKind::U32: check(0, UINT32_MAX); put<uint32_t>(at, uint32_t(asSigned)); break;
    case CKind::I64: check(INT64_MIN, INT64_MAX); put<int64_t>(at, asSigned); break;
    case CKind::U64:
      check(0, UINT64_MAX);
      put<uint64_t>(at, w.cls == Wide::Signed ? uint64_t(w.i) : w.u);
      break;
    case CKind::F32: put<float>(at, static_cast<float>(w.d)); break;
    case CKind::F64: put<double>(at, w.d); break;
    case CKind::Void:
    case CKind::Pointer: KJ_FAIL_ASSERT("not a value kind");
  }
}

Wide loadScalar(CKind kind, const void* at) {
  Wide w;
  auto integer = [&](auto typed) {
    using T = decltype(typed);
    T value = get<T>(at);
    if constexpr (std::is_signed_v<T>) {
      w.cls = Wide::Signed;
      w.i = value;
    } else {
      w.cls = Wide::Unsigned;
      w.u = value;
    }
  };
  switch (kind) {
    case CKind::Bool: w.cls = Wide::Unsigned; w.u = get<uint8_t>(at) != 0; break;
    case CKind::I8: integer(int8_t()); break;
    case CKind::U8: integer(uint8_t()); break;
    case CKind::I16: integer(int16_t()); break;
    case CKind::U16: integer(uint16_t()); break;
    case CKind::I32: integer(int32_t()); break;
    case CKind::U32: integer(uint32_t()); break;
    case CKind::I64: integer(int64_t()); break;
    case CKind::U64: integer(uint64_t()); break;
    case CKind::F32: w.cls = Wide::Float; w.d = get<float>(at); break;
    case CKind::F64: w.cls = Wide::Float; w.d = get<double>(at); break;
    case CKind::Void:
    case CKind::Pointer: KJ_FAIL_ASSERT("not a value kind");
  }
  return w;
}

void encodeValue(const CValueType& type, capnp::DynamicValue::Reader value, unsigned char* at,
                 CodecContext& context, const std::string& where) {
  if (type.isStruct()) {
    encodeStruct(*type.layout, value.as<capnp::DynamicStruct>(), at, context, where);
  } else {
    storeScalar(type.kind, fromDynamic(value), at, where, context.process);
  }
}

namespace {

// Calls `body` with the C type of `kind` when a Cap'n Proto list of `type` elements holds them
// bit for bit (same fixed-width integer or float: not Bool, which is bit-packed, nor an enum,
// which is 16 bits); returns false otherwise.
template <typename Body>
bool withSameLayout(CKind kind, capnp::Type type, Body&& body) {
  using W = capnp::schema::Type;
  switch (type.which()) {
    case W::INT8: return kind == CKind::I8 && (body(int8_t()), true);
    case W::UINT8: return kind == CKind::U8 && (body(uint8_t()), true);
    case W::INT16: return kind == CKind::I16 && (body(int16_t()), true);
    case W::UINT16: return kind == CKind::U16 && (body(uint16_t()), true);
    case W::INT32: return kind == CKind::I32 && (body(int32_t()), true);
    case W::UINT32: return kind == CKind::U32 && (body(uint32_t()), true);
    case W::INT64: return kind == CKind::I64 && (body(int64_t()), true);
    case W::UINT64: return kind == CKind::U64 && (body(uint64_t()), true);
    case W::FLOAT32: return kind == CKind::F32 && (body(float()), true);
    case W::FLOAT64: return kind == CKind::F64 && (body(double()), true);
    default: return false;
  }
}

}  // namespace

const void* elementsInPlace(const CValueType& element, capnp::DynamicList::Reader list) {
  if (element.isStruct() || list.size() == 0) return nullptr;
  const void* found = nullptr;
  withSameLayout(element.kind, list.getSchema().getElementType(), [&](auto typed) {
    using T = decltype(typed);
    capnp::AnyList::Reader any(list.as<capnp::List<T>>());
    auto bytes = any.getRawBytes();
    // A list sent in another encoding (e.g. structs, which a reader may take as a list of
    // their first field) is not contiguous T: it takes the converting path.
    if (bytes.size() == size_t(list.size()) * sizeof(T)) found = bytes.begin();
  });
  return found;
}

unsigned char* initInPlace(const CValueType& element, capnp::DynamicStruct::Builder results,
                           capnp::StructSchema::Field field, uint32_t count) {
  if (element.isStruct() || count == 0) return nullptr;
  capnp::Type type = field.getType();
  if (type.isData()) {
    if (element.size() != 1) return nullptr;
    return results.init(field, count).as<capnp::Data>().begin();
  }
  if (!type.isList()) return nullptr;
  unsigned char* found = nullptr;
  withSameLayout(element.kind, type.asList().getElementType(), [&](auto typed) {
    using T = decltype(typed);
    auto list = results.init(field, count).as<capnp::List<T>>();
    // Freshly allocated by this builder: always the plain contiguous encoding.
    auto bytes = capnp::AnyList::Reader(list.asReader()).getRawBytes();
    found = const_cast<unsigned char*>(bytes.begin());
  });
  return found;
}

void encodeList(const CValueType& element, capnp::DynamicList::Reader list, unsigned char* at,
                CodecContext& context, const std::string& where) {
  if (const void* same = elementsInPlace(element, list)) {
    std::memcpy(at, same, size_t(list.size()) * element.size());
    return;
  }
  size_t size = element.size();
  for (uint32_t e = 0; e < list.size(); ++e) {
    try {
      encodeValue(element, list[e], at + size_t(e) * size, context, where);
    } catch (const Error& error) {
      // Named with its index only when it fails: no string per element on the way.
      std::string message = error.message();
      if (message.compare(0, where.size(), where) == 0) {
        message = where + "[" + std::to_string(e) + "]" + message.substr(where.size());
      }
      throw Error(error.kind(), message, error.hint());
    }
  }
}

void encodeStruct(const StructLayout& layout, capnp::DynamicStruct::Reader value,
                  unsigned char* at, CodecContext& context, const std::string& where) {
  for (const MemberPlan& m : layout.members) {
    std::string here = memberWhere(where, m);
    unsigned char* slot = at + m.offset;
    switch (m.role) {
      case MemberRole::Value:
        storeScalar(m.type.kind, fromDynamic(value.get(m.field)), slot, here, context.process);
        break;
      case MemberRole::Struct:
        encodeStruct(*m.type.layout, value.get(m.field).as<capnp::DynamicStruct>(), slot, context,
                     here);
        break;
      case MemberRole::Array:
        if (m.text) {
          auto text = value.get(m.field).as<capnp::Text>();
          if (text.size() + 1 > m.count) {
            refuseValue(here, "a text of " + std::to_string(text.size()) +
                                  " bytes does not fit char[" + std::to_string(m.count) +
                                  "] with its NUL");
          }
          std::memcpy(slot, text.begin(), text.size());
        } else if (isDataField(m)) {
          auto data = value.get(m.field).as<capnp::Data>();
          if (data.size() > m.count) {
            refuseValue(here, std::to_string(data.size()) + " bytes do not fit unsigned char[" +
                                  std::to_string(m.count) + "]");
          }
          if (data.size() > 0) std::memcpy(slot, data.begin(), data.size());  // unset: no bytes
        } else {
          auto list = value.get(m.field).as<capnp::DynamicList>();
          if (list.size() > m.count) {
            refuseValue(here, std::to_string(list.size()) + " elements do not fit an array of " +
                                  std::to_string(m.count));
          }
          encodeList(m.type, list, slot, context, here);
        }
        break;
      case MemberRole::Pointer: {
        if (!value.has(m.field)) break;  // NULL
        const void* pointer = nullptr;
        if (m.text) {
          pointer = value.get(m.field).as<capnp::Text>().cStr();  // NUL-terminated in place
        } else if (isDataField(m)) {
          pointer = value.get(m.field).as<capnp::Data>().begin();
        } else {
          auto list = value.get(m.field).as<capnp::DynamicList>();
          unsigned char* elements = context.scratch.allocate(size_t(list.size()) * m.type.size());
          encodeList(m.type, list, elements, context, here);
          pointer = elements;
        }
        put<const void*>(slot, pointer);
        break;
      }
      case MemberRole::LengthOf: {
        const MemberPlan& counted = layout.members[static_cast<size_t>(m.source)];
        Wide count;
        count.cls = Wide::Unsigned;
        if (value.has(counted.field)) {
          auto field = value.get(counted.field);
          count.u = field.getType() == capnp::DynamicValue::DATA ? field.as<capnp::Data>().size()
                                                                 : field.as<capnp::DynamicList>().size();
        }
        storeScalar(m.type.kind, count, slot, here + " (the length of '" + counted.name + "')",
                    context.process);
        break;
      }
      case MemberRole::Handle: {
        uint64_t token = value.get(m.field).as<uint64_t>();
        put<void*>(slot, context.handles.pointerFor(m.handleKind, token, true, here));
        break;
      }
    }
  }
}

void decodeList(const CValueType& element, const unsigned char* at, uint32_t count,
                capnp::DynamicList::Builder out, CodecContext& context) {
  size_t size = element.size();
  capnp::Type type = out.getSchema().getElementType();
  if (!element.isStruct() && withSameLayout(element.kind, type, [&](auto typed) {
        using T = decltype(typed);
        auto list = out.as<capnp::List<T>>();
        for (uint32_t e = 0; e < count; ++e) list.set(e, get<T>(at + size_t(e) * sizeof(T)));
      })) {
    return;
  }
  for (uint32_t e = 0; e < count; ++e) {
    const unsigned char* item = at + size_t(e) * size;
    if (element.isStruct()) {
      decodeStruct(*element.layout, item, out[e].as<capnp::DynamicStruct>(), context);
    } else {
      out.set(e, toDynamic(type, loadScalar(element.kind, item)));
    }
  }
}

void decodeStruct(const StructLayout& layout, const unsigned char* at,
                  capnp::DynamicStruct::Builder out, CodecContext& context) {
  for (const MemberPlan& m : layout.members) {
    const unsigned char* slot = at + m.offset;
    std::string here = "struct " + layout.name + ", field '" + m.name + "'";
    switch (m.role) {
      case MemberRole::Value:
      case MemberRole::LengthOf:
        out.set(m.field, toDynamic(m.field.getType(), loadScalar(m.type.kind, slot)));
        break;
      case MemberRole::Struct:
        decodeStruct(*m.type.layout, slot, out.init(m.field).as<capnp::DynamicStruct>(), context);
        break;
      case MemberRole::Array:
        if (m.text) {
          auto text = reinterpret_cast<const char*>(slot);
          out.set(m.field, capnp::Text::Reader(text, ::strnlen(text, m.count)));
        } else if (isDataField(m)) {
          out.set(m.field, capnp::Data::Reader(slot, m.count));
        } else {
          decodeList(m.type, slot, m.count, out.init(m.field, m.count).as<capnp::DynamicList>(),
                     context);
        }
        break;
      case MemberRole::Pointer: {
        auto pointer = static_cast<const unsigned char*>(loadPointer(slot));
        if (pointer == nullptr) break;  // left unset
        if (m.text) {
          out.set(m.field, capnp::Text::Reader(reinterpret_cast<const char*>(pointer)));
          break;
        }
        if (m.source < 0) break;  // no $lengthOf: the count is not known, so it stays unset
        uint64_t count = pointedCount(layout, m, at, here);
        if (isDataField(m)) {
          out.set(m.field, capnp::Data::Reader(pointer, count));
        } else {
          auto list = out.init(m.field, static_cast<uint32_t>(count)).as<capnp::DynamicList>();
          decodeList(m.type, pointer, static_cast<uint32_t>(count), list, context);
        }
        break;
      }
      case MemberRole::Handle:
        out.set(m.field, context.handles.tokenFor(m.handleKind, loadPointer(slot)));
        break;
    }
  }
}

}  // namespace bitbridge::cbind
