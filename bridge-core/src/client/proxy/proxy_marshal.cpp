#include "client/proxy/proxy_marshal.h"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "bitbridge/error.h"
#include "client/proxy/proxy_structs.h"

namespace bitbridge::proxy {
namespace {

// A C scalar as read from the caller's memory, before it meets its schema type.
struct Scalar {
  CKind kind = CKind::Signed;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};

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

// The value to set in a field (or list element) of type `t`. Out-of-range numbers are caught
// by Cap'n Proto's own checks when the value is set.
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

// Stores `v` (of schema type `t`) as the C scalar (kind, size) at `p`; refuses a value the C
// type cannot hold (a 64-bit host's `long` in a 32-bit program's 4-byte one).
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

const void* pointerArg(const void* const* args, size_t i) {
  const void* p;
  std::memcpy(&p, args[i], sizeof p);
  return p;
}

// The element count an array parameter has: its count parameter's C value, else $capacity.
uint64_t countOf(const MethodPlan& plan, const MethodSpec& spec, const void* const* args,
                 const ParamPlan& p) {
  if (p.countParam < 0) return p.capacity;
  const CType& c = spec.params[p.countParam];
  Scalar s = readScalar(args[p.countParam], c.kind, c.size);
  if (s.kind == CKind::Signed && s.i < 0) {
    throw Error(ErrorKind::BadConfiguration, plan.name + ": parameter '" + p.name + "': its count '" +
                                                 plan.params[p.countParam].name + "' is " +
                                                 std::to_string(s.i) + ", a negative size");
  }
  return s.kind == CKind::Signed ? static_cast<uint64_t>(s.i) : s.u;
}

uint32_t listSize(const std::string& where, uint64_t n) {
  // Cap'n Proto lists hold at most 2^29 - 1 elements; large arrays belong in bulk buffers.
  if (n >= (uint64_t(1) << 29)) {
    throw Error(ErrorKind::BadConfiguration, where + ": " + std::to_string(n) +
                                                 " elements are more than a message carries");
  }
  return static_cast<uint32_t>(n);
}

void fillList(capnp::DynamicStruct::Builder request, const ParamPlan& p, const CType& c,
              const void* data, uint32_t n, HandleTable& handles) {
  if (p.field.getType().isData()) {
    auto bytes = request.init(p.field, n).as<capnp::Data>();
    if (n > 0) std::memcpy(bytes.begin(), data, n);
    return;
  }
  auto list = request.init(p.field, n).as<capnp::DynamicList>();
  if (p.layout != nullptr) {
    structsToList(*p.layout, data, n, list, handles);
    return;
  }
  auto* base = static_cast<const unsigned char*>(data);
  for (uint32_t k = 0; k < n; ++k) {
    list.set(k, toDynamic(readScalar(base + size_t(k) * c.pointeeSize, c.pointee, c.pointeeSize), p.scalar));
  }
}

void copyListBack(capnp::DynamicValue::Reader value, const ParamPlan& p, const CType& c, void* data,
                  uint64_t n, HandleTable& handles, const std::string& where) {
  if (data == nullptr) return;
  if (p.field.getType().isData()) {
    auto bytes = value.as<capnp::Data>();
    std::memcpy(data, bytes.begin(), std::min<uint64_t>(n, bytes.size()));
    return;
  }
  auto list = value.as<capnp::DynamicList>();
  auto* base = static_cast<unsigned char*>(data);
  uint64_t m = std::min<uint64_t>(n, list.size());
  if (p.layout != nullptr) {
    for (uint32_t k = 0; k < m; ++k) {
      structFromResponse(*p.layout, list[k], base + size_t(k) * p.layout->size, handles,
                         where + "[" + std::to_string(k) + "]");
    }
    return;
  }
  for (uint32_t k = 0; k < m; ++k) {
    writeScalar(base + size_t(k) * c.pointeeSize, c.pointee, c.pointeeSize, p.scalar, list[k], where);
  }
}

// A text for the caller: malloc'd (the caller frees it with free) or interned (the library's).
char* textForCaller(capnp::Text::Reader text, bool callerFrees, InternedTexts& texts) {
  if (callerFrees) {
    char* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy == nullptr) throw Error(ErrorKind::Overloaded, "out of memory copying a string for the caller");
    std::memcpy(copy, text.begin(), text.size());
    copy[text.size()] = '\0';
    return copy;
  }
  return const_cast<char*>(texts.emplace(text.cStr(), text.size()).first->c_str());
}

}  // namespace

// One parameter of fillRequest.
static void fillParam(const MethodPlan& plan, const MethodSpec& spec, const void* const* args,
                      HandleTable& handles, capnp::DynamicStruct::Builder request, size_t i);

void fillRequest(const MethodPlan& plan, const MethodSpec& spec, const void* const* args,
                 HandleTable& handles, capnp::DynamicStruct::Builder request) {
  for (size_t i = 0; i < plan.params.size(); ++i) {
    // Cap'n Proto's own range checks (a negative value for a UInt32, 300 for a UInt8) throw a
    // kj::Exception; name the parameter instead.
    try {
      fillParam(plan, spec, args, handles, request, i);
    } catch (const kj::Exception& e) {
      throw Error(ErrorKind::BadConfiguration,
                  plan.name + ": parameter '" + plan.params[i].name +
                      "': the program's value does not fit the schema's type: " + e.getDescription().cStr());
    }
  }
}

static void fillParam(const MethodPlan& plan, const MethodSpec& spec, const void* const* args,
                      HandleTable& handles, capnp::DynamicStruct::Builder request, size_t i) {
  {
    const ParamPlan& p = plan.params[i];
    const CType& c = spec.params[i];
    std::string where = plan.name + ": parameter '" + p.name + "'";
    switch (p.role) {
      case ParamRole::Value:
        request.set(p.field, toDynamic(readScalar(args[i], c.kind, c.size), p.scalar));
        break;
      case ParamRole::InOutValue: {
        const void* ptr = pointerArg(args, i);
        if (ptr != nullptr) request.set(p.field, toDynamic(readScalar(ptr, c.pointee, c.pointeeSize), p.scalar));
        break;
      }
      case ParamRole::Text: {
        const char* s = static_cast<const char*>(pointerArg(args, i));
        if (s != nullptr) request.set(p.field, capnp::Text::Reader(s));
        break;  // NULL: unset; the host passes NULL if $nullable, refuses it otherwise
      }
      case ParamRole::InOutTextBuffer: {
        const char* s = static_cast<const char*>(pointerArg(args, i));
        if (s != nullptr) request.set(p.field, capnp::Text::Reader(s));
        break;
      }
      case ParamRole::Array:
      case ParamRole::InOutArray: {
        const void* data = pointerArg(args, i);
        uint32_t n = listSize(where, countOf(plan, spec, args, p));
        if (data == nullptr) break;  // NULL: unset (allowed by $nullable only, host-checked)
        fillList(request, p, c, data, n, handles);
        break;
      }
      case ParamRole::Handle: {
        const void* ptr = pointerArg(args, i);
        auto token = handles.tokenFor(ptr);
        if (!token) {
          throw Error(ErrorKind::BadConfiguration,
                      where + ": " + std::to_string(reinterpret_cast<uintptr_t>(ptr)) +
                          " is not a handle this proxy handed out (never returned through it, "
                          "already released, or from before its host was restarted)");
        }
        request.set(p.field, *token);
        break;
      }
      case ParamRole::StructByValue:
        structToRequest(*p.layout, args[i], request, p.field, handles);
        break;
      case ParamRole::StructIn:
      case ParamRole::StructInOut: {
        const void* ptr = pointerArg(args, i);
        if (ptr != nullptr) {
          structToRequest(*p.layout, ptr, request, p.field, handles);
        } else if (p.role == ParamRole::StructIn && !p.nullable) {
          // Left unset, the host would pass a struct of zeros where the program passed NULL.
          throw Error(ErrorKind::BadConfiguration, where + " is NULL, and the schema does not allow NULL",
                      "pass a struct, or annotate the parameter $C.nullable if the function accepts NULL");
        }
        break;  // an $inout NULL: unset, and nothing is written back (as for numbers)
      }
      case ParamRole::StructOut:
      case ParamRole::OutValue:
      case ParamRole::OutTextBuffer:
      case ParamRole::OutTextPointer:
      case ParamRole::OutArray:
      case ParamRole::OutHandle:
        break;  // nothing to send; $length's parameter is sent as its own Value
    }
  }
}

std::optional<int> writeResults(const MethodPlan& plan, const MethodSpec& spec,
                                const void* const* args, void* result,
                                capnp::DynamicStruct::Reader response, HandleTable& handles,
                                InternedTexts& texts) {
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const ParamPlan& p = plan.params[i];
    const CType& c = spec.params[i];
    std::string where = plan.name + ": parameter '" + p.name + "'";
    // Only a pointer or handle parameter's slot holds a pointer: a scalar's may be smaller
    // (an int32_t's is 4 bytes; reading 8 there overran it, ASan).
    bool byValue = p.role == ParamRole::Value || p.role == ParamRole::Text ||
                   p.role == ParamRole::Array || p.role == ParamRole::StructByValue;
    void* ptr = byValue ? nullptr : const_cast<void*>(pointerArg(args, i));
    switch (p.role) {
      case ParamRole::OutValue:
      case ParamRole::InOutValue:
        if (ptr != nullptr) writeScalar(ptr, c.pointee, c.pointeeSize, p.scalar, response.get(*p.resultField), where);
        break;
      case ParamRole::OutTextBuffer:
      case ParamRole::InOutTextBuffer: {
        if (ptr == nullptr) break;
        uint64_t cap = p.countParam >= 0 || p.capacity > 0 ? countOf(plan, spec, args, p)
                                                            : std::strlen(static_cast<char*>(ptr)) + 1;
        if (cap == 0) break;
        auto text = response.get(*p.resultField).as<capnp::Text>();
        size_t n = std::min<uint64_t>(text.size(), cap - 1);
        std::memcpy(ptr, text.begin(), n);
        static_cast<char*>(ptr)[n] = '\0';
        break;
      }
      case ParamRole::OutTextPointer: {
        if (ptr == nullptr) break;
        char* s = textForCaller(response.get(*p.resultField).as<capnp::Text>(), p.callerFrees, texts);
        std::memcpy(ptr, &s, sizeof s);
        break;
      }
      case ParamRole::OutArray:
      case ParamRole::InOutArray:
        copyListBack(response.get(*p.resultField), p, c, ptr, countOf(plan, spec, args, p), handles, where);
        break;
      case ParamRole::OutHandle: {
        if (ptr == nullptr) break;
        void* h = handles.pointerFor(response.get(*p.resultField).as<uint64_t>());
        std::memcpy(ptr, &h, sizeof h);
        break;
      }
      case ParamRole::StructOut:
      case ParamRole::StructInOut:
        if (ptr != nullptr) structFromResponse(*p.layout, response.get(*p.resultField), ptr, handles, where);
        break;
      case ParamRole::Handle:
        if (p.releases) handles.release(ptr);
        break;
      case ParamRole::Value:
      case ParamRole::Text:
      case ParamRole::Array:
      case ParamRole::StructIn:
      case ParamRole::StructByValue:
        break;
    }
  }
  switch (plan.resultRole) {
    case ResultRole::Void:
      break;
    case ResultRole::Value:
      writeScalar(result, spec.result.kind, spec.result.size, plan.resultField->getType(),
                  response.get(*plan.resultField), plan.name + ": the return value");
      break;
    case ResultRole::Text: {
      char* s = textForCaller(response.get(*plan.resultField).as<capnp::Text>(), plan.resultCallerFrees, texts);
      std::memcpy(result, &s, sizeof s);
      break;
    }
    case ResultRole::Handle: {
      void* h = handles.pointerFor(response.get(*plan.resultField).as<uint64_t>());
      std::memcpy(result, &h, sizeof h);
      break;
    }
    case ResultRole::Struct:
      structFromResponse(*plan.resultLayout, response.get(*plan.resultField), result, handles,
                         plan.name + ": the return value");
      break;
  }
  if (plan.lastErrorField) return static_cast<int>(response.get(*plan.lastErrorField).as<int64_t>());
  return std::nullopt;
}

}  // namespace bitbridge::proxy
