// c_binding.h with libffi: each planned function gets an ffi_cif once, at bind time; a call
// converts the Cap'n Proto parameters into C values (checking every range and length first),
// calls through libffi, and writes the return value and out-parameters into the results.
//
// Nothing the client sends reaches the library unchecked: a value that does not fit its C type,
// a negative or oversized out-buffer length, or a method the plan does not know is an Error
// naming the method and the parameter, raised before the call.
#include <ffi.h>

#include <cstring>
#include <vector>

#include <capnp/dynamic.h>

#include "bitbridge/error.h"
#include "c_binding.h"
#include "c_binding_plan.h"
#include "c_library.h"
#include "wide_text.h"

namespace bitbridge {
namespace {

using cbind::ArgPlan;
using cbind::ArgRole;
using cbind::CKind;
using cbind::FunctionPlan;

ffi_type* ffiType(CKind kind) {
  switch (kind) {
    case CKind::Void: return &ffi_type_void;
    case CKind::Bool: return sizeof(bool) == 1 ? &ffi_type_uint8 : &ffi_type_uint32;
    case CKind::I8: return &ffi_type_sint8;
    case CKind::U8: return &ffi_type_uint8;
    case CKind::I16: return &ffi_type_sint16;
    case CKind::U16: return &ffi_type_uint16;
    case CKind::I32: return &ffi_type_sint32;
    case CKind::U32: return &ffi_type_uint32;
    case CKind::I64: return &ffi_type_sint64;
    case CKind::U64: return &ffi_type_uint64;
    case CKind::F32: return &ffi_type_float;
    case CKind::F64: return &ffi_type_double;
    case CKind::Pointer: return &ffi_type_pointer;
  }
  return &ffi_type_void;
}

// One C value: big and aligned enough for any scalar or pointer (and for libffi's return
// value, which is at least an ffi_arg).
union Slot {
  uint64_t u;
  int64_t i;
  double d;
  void* p;
  ffi_arg word;
  unsigned char bytes[8];
};
static_assert(sizeof(Slot) == 8 && sizeof(ffi_arg) <= 8, "a slot holds any C scalar");

// A scalar on its way between Cap'n Proto and C, in its widest form.
struct Wide {
  enum Class { Signed, Unsigned, Float } cls = Signed;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};

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

template <typename T>
void put(Slot& slot, T value) {
  slot.u = 0;
  std::memcpy(slot.bytes, &value, sizeof(T));
}

template <typename T>
T get(const Slot& slot) {
  T value;
  std::memcpy(&value, slot.bytes, sizeof(T));
  return value;
}

// Stores `w` as a C `kind` in `slot`; an integer that does not fit is an error naming `where`.
void store(CKind kind, const Wide& w, Slot& slot, const std::string& where) {
  auto fits = [&](int64_t lo, uint64_t hi) {
    if (w.cls == Wide::Signed) return w.i >= lo && (w.i < 0 || uint64_t(w.i) <= hi);
    return w.u <= hi;
  };
  auto check = [&](int64_t lo, uint64_t hi) {
    if (!fits(lo, hi)) {
      std::string value = w.cls == Wide::Signed ? std::to_string(w.i) : std::to_string(w.u);
      throw Error(ErrorKind::BadConfiguration,
                  where + " is " + value + ", which does not fit a C " + cKindName(kind) +
                      " in this host (" + std::to_string(sizeof(void*) * 8) + "-bit)",
                  "pass a value in range; platform-width types ($C.type) follow the host's ABI");
    }
  };
  int64_t asSigned = w.cls == Wide::Signed ? w.i : static_cast<int64_t>(w.u);
  switch (kind) {
    case CKind::Bool: put<bool>(slot, (w.cls == Wide::Signed ? w.i : int64_t(w.u)) != 0); break;
    case CKind::I8: check(INT8_MIN, INT8_MAX); put<int8_t>(slot, int8_t(asSigned)); break;
    case CKind::U8: check(0, UINT8_MAX); put<uint8_t>(slot, uint8_t(asSigned)); break;
    case CKind::I16: check(INT16_MIN, INT16_MAX); put<int16_t>(slot, int16_t(asSigned)); break;
    case CKind::U16: check(0, UINT16_MAX); put<uint16_t>(slot, uint16_t(asSigned)); break;
    case CKind::I32: check(INT32_MIN, INT32_MAX); put<int32_t>(slot, int32_t(asSigned)); break;
    case CKind::U32: check(0, UINT32_MAX); put<uint32_t>(slot, uint32_t(asSigned)); break;
    case CKind::I64: check(INT64_MIN, INT64_MAX); put<int64_t>(slot, asSigned); break;
    case CKind::U64:
      check(0, UINT64_MAX);
      put<uint64_t>(slot, w.cls == Wide::Signed ? uint64_t(w.i) : w.u);
      break;
    case CKind::F32: put<float>(slot, static_cast<float>(w.d)); break;
    case CKind::F64: put<double>(slot, w.d); break;
    case CKind::Void:
    case CKind::Pointer: KJ_FAIL_ASSERT("not a value kind");
  }
}

// The C `kind` in `slot`, widened. `fromReturn`: libffi returns integers narrower than a
// register as a whole ffi_arg.
Wide load(CKind kind, const Slot& slot, bool fromReturn = false) {
  Wide w;
  auto narrow = [&](auto typed) {
    using T = decltype(typed);
    T value = fromReturn && sizeof(T) < sizeof(ffi_arg) ? static_cast<T>(slot.word) : get<T>(slot);
    if constexpr (std::is_signed_v<T>) {
      w.cls = Wide::Signed;
      w.i = value;
    } else {
      w.cls = Wide::Unsigned;
      w.u = value;
    }
  };
  switch (kind) {
    case CKind::Bool:
      w.cls = Wide::Unsigned;
      w.u = fromReturn ? (slot.word & 0xff) != 0 : get<bool>(slot);
      break;
    case CKind::I8: narrow(int8_t()); break;
    case CKind::U8: narrow(uint8_t()); break;
    case CKind::I16: narrow(int16_t()); break;
    case CKind::U16: narrow(uint16_t()); break;
    case CKind::I32: narrow(int32_t()); break;
    case CKind::U32: narrow(uint32_t()); break;
    case CKind::I64: narrow(int64_t()); break;
    case CKind::U64: narrow(uint64_t()); break;
    case CKind::F32: w.cls = Wide::Float; w.d = get<float>(slot); break;
    case CKind::F64: w.cls = Wide::Float; w.d = get<double>(slot); break;
    case CKind::Void:
    case CKind::Pointer: KJ_FAIL_ASSERT("not a value kind");
  }
  return w;
}

// `w` as a value of Cap'n Proto `type` (the field's; an enum needs its schema).
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

class BoundFunction {
 public:
  BoundFunction(FunctionPlan plan, void* address) : plan_(std::move(plan)), address_(address) {
    for (const ArgPlan& arg : plan_.args) {
      bool pointer = arg.role != ArgRole::Value && arg.role != ArgRole::LengthOf;
      types_.push_back(pointer ? &ffi_type_pointer : ffiType(arg.kind));
    }
    ffi_status status = ffi_prep_cif(&cif_, abiOf(plan_), static_cast<unsigned>(types_.size()),
                                     ffiType(plan_.returnKind), types_.data());
    if (status != FFI_OK) {
      throw Error(ErrorKind::BadConfiguration,
                  plan_.method + ": libffi cannot prepare a call to " + plan_.symbol +
                      " (ffi_prep_cif status " + std::to_string(int(status)) + ")");
    }
  }

  // Not movable once prepared: cif_ points into types_.
  BoundFunction(const BoundFunction&) = delete;
  BoundFunction& operator=(const BoundFunction&) = delete;

  void call(capnp::DynamicStruct::Reader params, capnp::DynamicStruct::Builder results) const {
    const size_t n = plan_.args.size();
    std::vector<Slot> slots(n);
    std::vector<void*> values(n);
    std::vector<std::vector<unsigned char>> buffers(n);
    std::vector<uint64_t> counts(n, 0);  // elements of each buffer argument

    // Pass 1: everything but the out buffers, whose sizes may come from other arguments.
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      std::string where = plan_.method + ": parameter '" + arg.name + "'";
      values[i] = &slots[i];
      switch (arg.role) {
        case ArgRole::Value:
          store(arg.kind, fromDynamic(params.get(arg.param)), slots[i], where);
          break;
        case ArgRole::Text: {
          auto text = params.get(arg.param).as<capnp::Text>();
          if (arg.wide) {
            slots[i].p = wideText(text, buffers[i], counts[i], where);
            break;
          }
          // A Text in a Cap'n Proto message is NUL-terminated in place.
          slots[i].p = const_cast<char*>(text.cStr());
          counts[i] = text.size();
          break;
        }
        case ArgRole::InBuffer:
          slots[i].p = inBuffer(arg, params.get(arg.param), buffers[i], counts[i], where);
          break;
        case ArgRole::OutValue:
          buffers[i].assign(sizeof(Slot), 0);
          slots[i].p = buffers[i].data();
          break;
        case ArgRole::LengthOf:
        case ArgRole::OutBuffer:
        case ArgRole::OutText: break;  // below
      }
    }
    // Pass 2: counts of buffers, then the out buffers sized by them.
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      if (arg.role != ArgRole::LengthOf) continue;
      Wide count;
      count.cls = Wide::Unsigned;
      count.u = counts[arg.source];
      store(arg.kind, count, slots[i], plan_.method + ": parameter '" + arg.name + "' (the length of '" +
                                           plan_.args[arg.source].name + "')");
    }
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      if (arg.role != ArgRole::OutBuffer && arg.role != ArgRole::OutText) continue;
      std::string where = plan_.method + ": parameter '" + arg.name + "'";
      uint64_t count = arg.capacity;
      if (arg.source >= 0) {
        const ArgPlan& countArg = plan_.args[arg.source];
        Wide w = load(countArg.kind, slots[arg.source]);
        if (w.cls == Wide::Signed && w.i < 0) {
          throw Error(ErrorKind::BadConfiguration,
                      where + ": its length '" + countArg.name + "' is " + std::to_string(w.i) +
                          ", a negative size");
        }
        count = w.cls == Wide::Signed ? uint64_t(w.i) : w.u;
      }
      uint64_t bytes = count * cbind::cSize(arg.kind);
      if (count > cbind::kMaxOutBufferBytes || bytes > cbind::kMaxOutBufferBytes) {
        throw Error(ErrorKind::BadConfiguration,
                    where + ": an out buffer of " + std::to_string(count) + " elements is above the "
                        "limit of " + std::to_string(cbind::kMaxOutBufferBytes) + " bytes",
                    "pass large arrays as bulk buffers (Host::allocate)");
      }
      counts[i] = count;
      // One unit more for text: the host's copy ends at a NUL even if the library wrote none.
      size_t terminator = arg.role == ArgRole::OutText ? cbind::cSize(arg.kind) : 0;
      buffers[i].assign(static_cast<size_t>(bytes) + terminator, 0);
      slots[i].p = buffers[i].data();
    }

    Slot returned{};
    ffi_call(const_cast<ffi_cif*>(&cif_), FFI_FN(address_), &returned, values.data());

    if (plan_.returnField) {
      if (plan_.returnsWideText) {
        const wchar_t* text = static_cast<const wchar_t*>(returned.p);
        std::string utf8 = text ? wideToUtf8(text, SIZE_MAX) : std::string();
        results.set(*plan_.returnField, capnp::Text::Reader(utf8.data(), utf8.size()));
      } else if (plan_.returnsText) {
        const char* text = static_cast<const char*>(returned.p);
        results.set(*plan_.returnField, capnp::Text::Reader(text ? text : ""));
      } else {
        results.set(*plan_.returnField,
                    toDynamic(plan_.returnField->getType(), load(plan_.returnKind, returned, true)));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      if (!arg.result) continue;
      writeBack(arg, buffers[i], counts[i], results);
    }
  }

  const FunctionPlan& plan() const { return plan_; }

 private:
  // The calling convention: stdcall exists on 32-bit x86 only (Windows, and GCC's
  // __attribute__((stdcall)) on i386 Linux); x86-64 has one convention per OS, so $stdcall is
  // accepted there and means the default.
  static ffi_abi abiOf(const FunctionPlan& plan) {
#if defined(__i386__)
    if (plan.stdcall) return FFI_STDCALL;
#endif
    (void)plan;
    return FFI_DEFAULT_ABI;
  }

  // A Text parameter as the host's wchar_t text, NUL-terminated, in `buffer`; `count` is its
  // length in wchar_t units (what $lengthOf passes).
  static void* wideText(capnp::Text::Reader text, std::vector<unsigned char>& buffer,
                        uint64_t& count, const std::string& where) {
    std::wstring wide = utf8ToWide(std::string_view(text.begin(), text.size()), where);
    count = wide.size();
    buffer.resize((wide.size() + 1) * sizeof(wchar_t));
    std::memcpy(buffer.data(), wide.c_str(), buffer.size());
    return buffer.data();
  }

  // A List or Data parameter as a C array: Data in place, a List converted element by element
  // (its wire form is Cap'n Proto's, which need not be the C layout: Bool is bit-packed).
  static void* inBuffer(const ArgPlan& arg, capnp::DynamicValue::Reader value,
                        std::vector<unsigned char>& buffer, uint64_t& count,
                        const std::string& where) {
    if (value.getType() == capnp::DynamicValue::DATA) {
      auto data = value.as<capnp::Data>();
      count = data.size();
      return const_cast<unsigned char*>(data.begin());
    }
    auto list = value.as<capnp::DynamicList>();
    count = list.size();
    size_t size = cbind::cSize(arg.kind);
    buffer.resize(static_cast<size_t>(count) * size + 1);  // never empty: a valid pointer
    for (uint32_t e = 0; e < list.size(); ++e) {
      Slot slot;
      store(arg.kind, fromDynamic(list[e]), slot, where + "[" + std::to_string(e) + "]");
      std::memcpy(buffer.data() + e * size, slot.bytes, size);
    }
    return buffer.data();
  }

  static void writeBack(const ArgPlan& arg, const std::vector<unsigned char>& buffer,
                        uint64_t count, capnp::DynamicStruct::Builder results) {
    capnp::Type type = arg.result->getType();
    switch (arg.role) {
      case ArgRole::OutValue: {
        Slot slot{};
        std::memcpy(slot.bytes, buffer.data(), cbind::cSize(arg.kind));
        results.set(*arg.result, toDynamic(type, load(arg.kind, slot)));
        break;
      }
      case ArgRole::OutText: {
        if (arg.wide) {
          std::string utf8 =
              wideToUtf8(reinterpret_cast<const wchar_t*>(buffer.data()), static_cast<size_t>(count));
          results.set(*arg.result, capnp::Text::Reader(utf8.data(), utf8.size()));
          break;
        }
        const char* text = reinterpret_cast<const char*>(buffer.data());
        results.set(*arg.result, capnp::Text::Reader(text, ::strnlen(text, count)));
        break;
      }
      case ArgRole::OutBuffer: {
        if (type.which() == capnp::schema::Type::DATA) {
          results.set(*arg.result, capnp::Data::Reader(buffer.data(), count));
          break;
        }
        auto list = results.init(*arg.result, static_cast<uint32_t>(count)).as<capnp::DynamicList>();
        capnp::Type element = type.asList().getElementType();
        size_t size = cbind::cSize(arg.kind);
        for (uint32_t e = 0; e < count; ++e) {
          Slot slot{};
          std::memcpy(slot.bytes, buffer.data() + e * size, size);
          list.set(e, toDynamic(element, load(arg.kind, slot)));
        }
        break;
      }
      default: break;
    }
  }

  FunctionPlan plan_;
  void* address_;
  std::vector<ffi_type*> types_;
  ffi_cif cif_;
};

class CLibraryServer final : public capnp::DynamicCapability::Server {
 public:
  CLibraryServer(capnp::InterfaceSchema schema, std::shared_ptr<capnp::SchemaLoader> schemas,
                 std::vector<std::unique_ptr<BoundFunction>> functions)
      : capnp::DynamicCapability::Server(schema),
        schemas_(std::move(schemas)),
        functions_(std::move(functions)) {}

  kj::Promise<void> call(capnp::InterfaceSchema::Method method,
                         capnp::CallContext<capnp::DynamicStruct, capnp::DynamicStruct> context)
      override {
    uint16_t index = method.getIndex();
    if (index >= functions_.size()) {
      throwAsKj(Error(ErrorKind::Unimplemented, "method " + std::to_string(index) +
                                                    " is not part of the bound interface"));
    }
    try {
      functions_[index]->call(context.getParams(), context.getResults());
    } catch (const Error& e) {
      throwAsKj(e);  // keeps the kind across the wire
    }
    return kj::READY_NOW;
  }

 private:
  std::shared_ptr<capnp::SchemaLoader> schemas_;  // the schema the base class points into
  std::vector<std::unique_ptr<BoundFunction>> functions_;  // by method index
};

}  // namespace

BoundLibrary bindCLibrary(const std::string& path, std::shared_ptr<capnp::SchemaLoader> schemas,
                          uint64_t interfaceId, std::shared_ptr<spdlog::logger> logger) {
  capnp::Schema schema = schemas->get(interfaceId);
  if (!schema.getProto().isInterface()) {
    throw Error(ErrorKind::MalformedPeer,
                "bind: node " + std::to_string(interfaceId) + " is not an interface");
  }
  capnp::InterfaceSchema iface = schema.asInterface();
  auto plans = cbind::planLibrary(iface);  // schema mistakes first: nothing loaded yet
  CLibrary library = CLibrary::open(path);
  std::vector<std::unique_ptr<BoundFunction>> functions;
  for (auto& plan : plans) {
    void* address = library.function(plan);
    functions.push_back(std::make_unique<BoundFunction>(std::move(plan), address));
  }
  logger->info("bound {} ({} functions of {})", library.path(), functions.size(),
               iface.getShortDisplayName().cStr());
  BoundLibrary bound;
  bound.functions = static_cast<uint32_t>(functions.size());
  bound.object = kj::heap<CLibraryServer>(iface, std::move(schemas), std::move(functions));
  return bound;
}

}  // namespace bitbridge
