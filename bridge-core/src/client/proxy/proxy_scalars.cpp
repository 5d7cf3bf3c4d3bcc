#include "client/proxy/proxy_scalars.h"

#include <cstring>
#include <limits>

#include "bitbridge/error.h"

namespace bitbridge::proxy {

Scalar readScalar(const void* p, CKind kind, uint32_t size) {
  Scalar s;
  s.kind = kind;
  switch (kind) {
    case CKind::Bool: {
      unsigned char b = 0;
      std::memcpy(&b, p, 1);
      s.u = b != 0;
      s.kind = CKind::Unsigned;
      break;
    }
    case CKind::Float:
      if (size == 4) {
        float f;
        std::memcpy(&f, p, 4);
        s.d = f;
      } else {
        std::memcpy(&s.d, p, 8);
      }
      break;
    case CKind::Signed:
      if (size == 1) { int8_t v; std::memcpy(&v, p, 1); s.i = v; }
      else if (size == 2) { int16_t v; std::memcpy(&v, p, 2); s.i = v; }
      else if (size == 4) { int32_t v; std::memcpy(&v, p, 4); s.i = v; }
      else { std::memcpy(&s.i, p, 8); }
      break;
    default:
      if (size == 1) { uint8_t v; std::memcpy(&v, p, 1); s.u = v; }
      else if (size == 2) { uint16_t v; std::memcpy(&v, p, 2); s.u = v; }
      else if (size == 4) { uint32_t v; std::memcpy(&v, p, 4); s.u = v; }
      else { std::memcpy(&s.u, p, 8); }
      s.kind = CKind::Unsigned;
      break;
  }
  return s;
}

capnp::DynamicValue::Reader toDynamic(const Scalar& s, capnp::Type t) {
  if (t.isBool()) return s.kind == CKind::Signed ? s.i != 0 : s.u != 0;
  if (t.isEnum()) {
    uint64_t raw = s.kind == CKind::Signed ? static_cast<uint64_t>(s.i) : s.u;
    if (raw > std::numeric_limits<uint16_t>::max()) {
      throw Error(ErrorKind::BadConfiguration, "the value " + std::to_string(raw) + " is not a value of enum " + t.asEnum().getUnqualifiedName().cStr());
    }
    return capnp::DynamicEnum(t.asEnum(), static_cast<uint16_t>(raw));
  }
  if (s.kind == CKind::Float) return s.d;
  if (s.kind == CKind::Signed) return s.i;
  return s.u;
}

void writeScalar(void* p, CKind kind, uint32_t size, capnp::Type t, capnp::DynamicValue::Reader v,
                 const std::string& where) {
  if (kind == CKind::Bool) {
    bool b = t.isBool() ? v.as<bool>() : v.as<int64_t>() != 0;
    unsigned char c = b ? 1 : 0;
    std::memcpy(p, &c, 1);
    return;
  }
  if (kind == CKind::Float) {
    double d = v.as<double>();
    if (size == 4) {
      float f = static_cast<float>(d);
      std::memcpy(p, &f, 4);
    } else {
      std::memcpy(p, &d, 8);
    }
    return;
  }
  int64_t i = 0;
  uint64_t u = 0;
  bool negative = false;
  if (t.isBool()) {
    u = v.as<bool>() ? 1 : 0;
  } else if (t.isEnum()) {
    u = v.as<capnp::DynamicEnum>().getRaw();
  } else if (t.isInt8() || t.isInt16() || t.isInt32() || t.isInt64()) {
    i = v.as<int64_t>();
    negative = i < 0;
    u = static_cast<uint64_t>(i);
  } else {
    u = v.as<uint64_t>();
  }
  if (size < 8) {
    bool fits;
    if (kind == CKind::Signed) {
      int64_t lo = -(int64_t(1) << (size * 8 - 1));
      int64_t hi = (int64_t(1) << (size * 8 - 1)) - 1;
      int64_t value = negative ? i : static_cast<int64_t>(u);
      fits = (negative || u <= static_cast<uint64_t>(hi)) && value >= lo && value <= hi;
    } else {
      fits = !negative && u <= ((uint64_t(1) << (size * 8)) - 1);
    }
    if (!fits) {
      throw Error(ErrorKind::BadConfiguration,
                  where + ": the library's value " + (negative ? std::to_string(i) : std::to_string(u)) +
                      " does not fit the program's " + std::to_string(size) + "-byte C type");
    }
  }
  if (size == 1) { uint8_t x = static_cast<uint8_t>(u); std::memcpy(p, &x, 1); }
  else if (size == 2) { uint16_t x = static_cast<uint16_t>(u); std::memcpy(p, &x, 2); }
  else if (size == 4) { uint32_t x = static_cast<uint32_t>(u); std::memcpy(p, &x, 4); }
  else { std::memcpy(p, &u, 8); }
}

}  // namespace bitbridge::proxy
