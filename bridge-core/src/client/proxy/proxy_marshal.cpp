#include "client/proxy/proxy_marshal.h"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "bitbridge/error.h"
#include "client/proxy/proxy_callbacks.h"
#include "client/proxy/proxy_scalars.h"
#include "client/proxy/proxy_structs.h"

namespace bitbridge::proxy {
namespace {

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
                      HandleTable& handles, capnp::DynamicStruct::Builder request, size_t i,
                      const ScopeFor& scopeFor);

void fillRequest(const MethodPlan& plan, const MethodSpec& spec, const void* const* args,
                 HandleTable& handles, capnp::DynamicStruct::Builder request, const ScopeFor& scopeFor) {
  for (size_t i = 0; i < plan.params.size(); ++i) {
    // Cap'n Proto's own range checks (a negative value for a UInt32, 300 for a UInt8) throw a
    // kj::Exception; name the parameter instead.
    try {
      fillParam(plan, spec, args, handles, request, i, scopeFor);
    } catch (const kj::Exception& e) {
      throw Error(ErrorKind::BadConfiguration,
                  plan.name + ": parameter '" + plan.params[i].name +
                      "': the program's value does not fit the schema's type: " + e.getDescription().cStr());
    }
  }
}

static void fillParam(const MethodPlan& plan, const MethodSpec& spec, const void* const* args,
                      HandleTable& handles, capnp::DynamicStruct::Builder request, size_t i,
                      const ScopeFor& scopeFor) {
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
      case ParamRole::Callback: {
        void (*fn)() = nullptr;
        std::memcpy(&fn, args[i], sizeof fn);
        if (fn == nullptr) {
          if (!p.nullable) {
            throw Error(ErrorKind::BadConfiguration, where + " is NULL, and the schema does not allow NULL",
                        "pass a function, or annotate the parameter $C.nullable if the function accepts NULL");
          }
          break;  // unset: the host passes NULL
        }
        void* user = p.userParam >= 0 ? const_cast<void*>(pointerArg(args, static_cast<size_t>(p.userParam))) : nullptr;
        request.set(p.field, callbackCapability(*p.callback, spec.callbacks[i], fn, user, scopeFor(i)));
        break;
      }
      case ParamRole::User:  // stays here: the callback's capability hands it back
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
                   p.role == ParamRole::Array || p.role == ParamRole::StructByValue ||
                   p.role == ParamRole::Callback || p.role == ParamRole::User;
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
      case ParamRole::Callback:
      case ParamRole::User:
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
