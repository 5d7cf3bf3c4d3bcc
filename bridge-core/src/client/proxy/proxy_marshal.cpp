#include "client/proxy/proxy_marshal.h"

#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <limits>

#include "bitbridge/error.h"
#include "client/proxy/proxy_callbacks.h"
#include "client/proxy/proxy_scalars.h"
#include "client/proxy/proxy_structs.h"
#include "common/wide_text.h"

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

// The element count of a $C.terminated array at `data` (elements of `size` bytes): the index
// of its first element of zeros, looked for within kTerminatedMaxElements only, so that an array
// whose terminator is missing fails the call instead of being read without end.
uint64_t terminatedCount(const void* data, uint32_t size, const std::string& where) {
  static const unsigned char kZeros[16] = {};
  const auto* base = static_cast<const unsigned char*>(data);
  for (uint64_t k = 0; k < kTerminatedMaxElements; ++k) {
    if (std::memcmp(base + k * size, kZeros, size) == 0) return k;
  }
  throw Error(ErrorKind::BadConfiguration,
              where + ": no terminator (an element of zeros, NULL for texts) within its first " +
                  std::to_string(kTerminatedMaxElements) + " elements; the proxy reads no further",
              "end the array with its terminator, or pass its length ($C.lengthOf on a count "
              "parameter) instead of $C.terminated");
}

// The program's wide text as UTF-8; text that is not UTF-16/UTF-32 is refused, naming it.
std::string wideArg(const void* s, const std::string& where) {
  return wideToUtf8Strict(static_cast<const wchar_t*>(s), SIZE_MAX, where);
}

// Writes `text` into the program's buffer of `cap` units (chars, or wchar_t when wide), cut to
// fit with its NUL; a cut never leaves half a UTF-16 surrogate pair (or half a UTF-8 sequence).
void textIntoBuffer(capnp::Text::Reader text, bool wide, void* buffer, uint64_t cap, const std::string& where) {
  if (cap == 0) return;
  if (!wide) {
    size_t n = std::min<uint64_t>(text.size(), cap - 1);
    if (n < text.size()) {
      while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    }
    std::memcpy(buffer, text.begin(), n);
    static_cast<char*>(buffer)[n] = '\0';
    return;
  }
  std::wstring units;
  try {
    units = utf8ToWide(std::string_view(text.begin(), text.size()), where);
  } catch (const Error& e) {
    throw Error(ErrorKind::MalformedPeer, e.message());
  }
  size_t n = std::min<uint64_t>(units.size(), cap - 1);
  if (sizeof(wchar_t) == 2 && n > 0 && n < units.size() && units[n - 1] >= 0xD800 && units[n - 1] <= 0xDBFF) --n;
  std::memcpy(buffer, units.data(), n * sizeof(wchar_t));
  static_cast<wchar_t*>(buffer)[n] = L'\0';
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
      case ParamRole::Text:
      case ParamRole::InOutTextBuffer: {
        // NULL: unset; the host passes NULL if $nullable, refuses it otherwise.
        const void* s = pointerArg(args, i);
        if (s == nullptr) break;
        if (p.wide) {
          std::string utf8 = wideArg(s, where);
          request.set(p.field, capnp::Text::Reader(utf8.c_str(), utf8.size()));
        } else {
          request.set(p.field, capnp::Text::Reader(static_cast<const char*>(s)));
        }
        break;
      }
      case ParamRole::TextList: {
        const void* data = pointerArg(args, i);
        if (data == nullptr) break;  // unset (allowed by $nullable only, host-checked)
        uint32_t n = listSize(where, p.terminated ? terminatedCount(data, sizeof(char*), where)
                                                  : countOf(plan, spec, args, p));
        auto strings = static_cast<const char* const*>(data);
        auto list = request.init(p.field, n).as<capnp::DynamicList>();
        for (uint32_t k = 0; k < n; ++k) {
          // The host would pass "" for it: not what the program passed.
          if (strings[k] == nullptr) {
            throw Error(ErrorKind::BadConfiguration,
                        where + "[" + std::to_string(k) + "] is NULL; a List(Text) carries texts only",
                        "pass a text in every element, or end the list there ($C.terminated)");
          }
          list.set(k, capnp::Text::Reader(strings[k]));
        }
        break;
      }
      case ParamRole::Array:
      case ParamRole::InOutArray: {
        const void* data = pointerArg(args, i);
        if (data == nullptr) {  // NULL: unset (allowed by $nullable only, host-checked)
          if (!p.terminated) listSize(where, countOf(plan, spec, args, p));  // a bad count still fails
          break;
        }
        uint32_t n = listSize(where, p.terminated ? terminatedCount(data, c.pointeeSize, where)
                                                  : countOf(plan, spec, args, p));
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
        request.set(p.field, callbackCapability(*p.callback, spec.callbacks[i], fn, user, scopeFor(i), handles));
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
                                ProgramTexts& texts) {
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const ParamPlan& p = plan.params[i];
    const CType& c = spec.params[i];
    std::string where = plan.name + ": parameter '" + p.name + "'";
    // Only a pointer or handle parameter's slot holds a pointer: a scalar's may be smaller
    // (an int32_t's is 4 bytes; reading 8 there overran it, ASan).
    bool byValue = p.role == ParamRole::Value || p.role == ParamRole::Text || p.role == ParamRole::TextList ||
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
        // Its size: the count's, else (an $inout without one) the text it held, NUL included.
        uint64_t cap = p.countParam >= 0 || p.capacity > 0 ? countOf(plan, spec, args, p)
                       : p.wide ? std::wcslen(static_cast<wchar_t*>(ptr)) + 1
                                : std::strlen(static_cast<char*>(ptr)) + 1;
        textIntoBuffer(response.get(*p.resultField).as<capnp::Text>(), p.wide, ptr, cap, where);
        break;
      }
      case ParamRole::OutTextPointer: {
        if (ptr == nullptr) break;
        void* s = texts.hand(response.get(*p.resultField).as<capnp::Text>(), p.wide, p.freeWith, where);
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
      case ParamRole::TextList:
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
      void* s = texts.hand(response.get(*plan.resultField).as<capnp::Text>(), plan.resultWide,
                           plan.resultFreeWith, plan.name + ": the return value");
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
