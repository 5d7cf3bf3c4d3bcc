// c_binding.h with libffi: each planned function gets an ffi_cif once, at bind time; a call
// converts the Cap'n Proto parameters into C values (checking every range, length and handle
// first, c_values.h), calls through libffi, and writes the return value, the out-parameters and
// the last system error into the results.
//
// Nothing the client sends reaches the library unchecked: a value that does not fit its C type,
// a negative or oversized out-buffer length, a null where none is allowed, a forged or stale
// handle, a bulk reference to another client's or no segment or out of its range, or a method
// the plan does not know is an Error naming the method and the parameter, raised before the call.
//
// Bulk references (c_bulk_args.h) are resolved and mapped on the RPC thread, before the call is
// handed to the library's thread; the call carries their mappings until it has returned.
#include <ffi.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

#include <capnp/dynamic.h>

#include "bitbridge/error.h"
#include "common/wide_text.h"
#include "host/bind/c_binding.h"
#include "host/bind/c_binding_plan.h"
#include "host/bind/c_bulk_args.h"
#include "host/bind/c_callbacks.h"
#include "host/bind/c_ffi_types.h"
#include "host/bind/c_handles.h"
#include "host/bind/c_last_error.h"
#include "host/bind/c_library.h"
#include "common/cabi/c_values.h"
#include "host/bulk_registry.h"
#include "host/components/component_threads.h"
#include "host/components/library_thread.h"
#include "host/bind/lane_target.h"

namespace bitbridge {
namespace {

using cbind::ArgPlan;
using cbind::ArgRole;
using cbind::CKind;
using cbind::FunctionPlan;
using cbind::StructLayout;
using cbind::Wide;

using cbind::scalarFfiType;

// libffi's descriptions of the structs passed or returned by value, made once per binding, and
// checked against the plan's layout: if libffi lays a struct out otherwise than the plan (which
// measured the host's compiler), the binding is refused rather than a call corrupted.
class FfiStructTypes {
 public:
  ffi_type* typeOf(const StructLayout& layout) {
    auto known = types_.find(&layout);
    if (known != types_.end()) return known->second;
    elements_.emplace_back();
    std::vector<ffi_type*>& elements = elements_.back();
    for (const auto& m : layout.members) {
      ffi_type* member = nullptr;
      switch (m.role) {
        case cbind::MemberRole::Value:
        case cbind::MemberRole::LengthOf: member = scalarFfiType(m.type.kind); break;
        case cbind::MemberRole::Struct: member = typeOf(*m.type.layout); break;
        case cbind::MemberRole::Pointer:
        case cbind::MemberRole::Handle: member = &ffi_type_pointer; break;
        case cbind::MemberRole::Array: {
          ffi_type* element = m.type.isStruct() ? typeOf(*m.type.layout) : scalarFfiType(m.type.kind);
          elements.insert(elements.end(), m.count, element);
          continue;
        }
      }
      elements.push_back(member);
    }
    elements.push_back(nullptr);
    types_storage_.emplace_back();
    ffi_type& type = types_storage_.back();
    type.size = 0;
    type.alignment = 0;
    type.type = FFI_TYPE_STRUCT;
    type.elements = elements.data();
    // A throwaway cif makes libffi compute the struct's size and alignment.
    ffi_cif probe;
    ffi_type* args[] = {&type};
    if (ffi_prep_cif(&probe, FFI_DEFAULT_ABI, 1, &ffi_type_void, args) != FFI_OK ||
        type.size != layout.size || type.alignment != layout.align) {
      throw Error(ErrorKind::BadConfiguration,
                  "struct " + layout.name + ": laid out in " + std::to_string(layout.size) +
                      " bytes (alignment " + std::to_string(layout.align) + ") by the host's "
                      "compiler's rules, but libffi makes it " + std::to_string(type.size) +
                      " (alignment " + std::to_string(type.alignment) + ")",
                  "pass the struct by pointer (drop $byValue), or report this layout as a bug");
    }
    types_.emplace(&layout, &type);
    return &type;
  }

 private:
  std::map<const StructLayout*, ffi_type*> types_;
  std::deque<std::vector<ffi_type*>> elements_;
  std::deque<ffi_type> types_storage_;
};

// A value libffi returned: integers narrower than a register come back as a whole ffi_arg.
Wide loadReturn(CKind kind, const void* at) {
  bool integer = kind != CKind::F32 && kind != CKind::F64;
  if (!integer || cbind::cSize(kind) >= sizeof(ffi_arg)) return cbind::loadScalar(kind, at);
  ffi_arg word;
  std::memcpy(&word, at, sizeof(word));
  unsigned char narrow[8] = {};
  switch (kind) {
    case CKind::Bool: narrow[0] = (word & 0xff) != 0; break;
    case CKind::I8:
    case CKind::U8: { uint8_t v = uint8_t(word); std::memcpy(narrow, &v, 1); break; }
    case CKind::I16:
    case CKind::U16: { uint16_t v = uint16_t(word); std::memcpy(narrow, &v, 2); break; }
    default: { uint32_t v = uint32_t(word); std::memcpy(narrow, &v, 4); break; }
  }
  return cbind::loadScalar(kind, narrow);
}

using FreeFunction = void (*)(void*);

class BoundFunction {
 public:
  // `library` null: a dry run (dryRunCall), which prepares arguments but never calls.
  BoundFunction(FunctionPlan plan, void* address, const CLibrary* library, FfiStructTypes& structs)
      : plan_(std::move(plan)), address_(address) {
    for (const ArgPlan& arg : plan_.args) {
      wheres_.push_back(plan_.method + ": parameter '" + arg.name + "'");
      switch (arg.role) {
        case ArgRole::Value:
        case ArgRole::LengthOf: types_.push_back(scalarFfiType(arg.kind)); break;
        case ArgRole::StructByValue: types_.push_back(structs.typeOf(*arg.element.layout)); break;
        default: types_.push_back(&ffi_type_pointer); break;
      }
      if (!arg.freeWith.empty() && library != nullptr) {
        argFree_.emplace(arg.name, resolveFree(*library, arg.freeWith));
      }
    }
    ffi_type* returnType = plan_.returnStruct ? structs.typeOf(*plan_.returnStruct)
                                              : scalarFfiType(plan_.returnKind);
    if (!plan_.freeReturnWith.empty() && library != nullptr) {
      returnFree_ = resolveFree(*library, plan_.freeReturnWith);
    }
    ffi_status status = ffi_prep_cif(&cif_, abiOf(plan_), static_cast<unsigned>(types_.size()),
                                     returnType, types_.data());
    if (status != FFI_OK) {
      throw Error(ErrorKind::BadConfiguration,
                  plan_.method + ": libffi cannot prepare a call to " + plan_.symbol +
                      " (ffi_prep_cif status " + std::to_string(int(status)) + ")");
    }
  }

  // Not movable once prepared: cif_ points into types_.
  BoundFunction(const BoundFunction&) = delete;
  BoundFunction& operator=(const BoundFunction&) = delete;

  // One argument's state during a call.
  struct ArgState {
    uint64_t slot = 0;               // a scalar argument, or what an out value pointer points to
    void* pointer = nullptr;         // the C value of a pointer argument
    unsigned char* storage = nullptr;  // what a pointer argument points to (or `slot`)
    uint64_t count = 0;              // elements of a buffer argument
    bool inResults = false;          // `storage` is the result field's own list (initInPlace)
  };
  static constexpr size_t kStackArgs = 12;

  // The arguments of one call: on the stack for the usual few (this is the hot path: a scalar
  // call allocates nothing here).
  class Arguments {
   public:
    explicit Arguments(size_t n) {
      if (n > kStackArgs) {
        heapState_.resize(n);
        heapValues_.resize(n);
        state = heapState_.data();
        values = heapValues_.data();
      }
    }
    ArgState* state = stackState_;
    void** values = stackValues_;  // libffi: where each argument's value is

   private:
    ArgState stackState_[kStackArgs];
    void* stackValues_[kStackArgs];
    std::vector<ArgState> heapState_;
    std::vector<void*> heapValues_;
  };

  // `bulk`: the call's BulkRef arguments, resolved on the RPC thread (c_bulk_args.h).
  // `callbacks`: the call's function pointers, made on the RPC thread (c_callbacks.h).
  void call(capnp::DynamicStruct::Reader params, capnp::DynamicStruct::Builder results,
            cbind::HandleTable& handles, const cbind::BulkArguments& bulk,
            const cbind::CallbackArguments& callbacks) const {
    const size_t n = plan_.args.size();
    cbind::CallScratch scratch;  // allocates nothing until asked
    cbind::CodecContext context{scratch, handles};
    Arguments arguments(n);
    prepare(params, arguments, context, bulk, callbacks, &results);
    ArgState* state = arguments.state;
    void** values = arguments.values;
    auto counts = [&](size_t i) -> uint64_t& { return state[i].count; };

    // The call. Nothing may run between it and reading the last error.
    alignas(16) unsigned char returnedHere[16] = {};  // any scalar, pointer or ffi_arg
    unsigned char* returned = plan_.returnStruct && plan_.returnStruct->size > sizeof(returnedHere)
                                  ? scratch.allocate(plan_.returnStruct->size)
                                  : returnedHere;
    int32_t lastError = 0;
    cbind::CallbackFailureScope callbackFailures;  // what callbacks fired in this call met
    if (plan_.lastErrorField) cbind::clearLastSystemError();
    ffi_call(const_cast<ffi_cif*>(&cif_), FFI_FN(address_), returned, values);
    if (plan_.lastErrorField) lastError = cbind::lastSystemError();

    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      if (arg.role == ArgRole::HandleIn && arg.releases) {
        handles.release(params.get(arg.param).as<uint64_t>());
      }
    }
    if (callbackFailures.count() > 0) {
      // The library went on with the declared defaults (and has freed what it frees, above);
      // the client learns why its answers were not used rather than a result computed from them.
      throw Error(ErrorKind::Remote,
                  plan_.method + ": " + std::to_string(callbackFailures.count()) +
                      " callback(s) could not be answered by the client; the library got their "
                      "declared default. First: " + callbackFailures.first(),
                  "a callback's object must not throw; keep it and its client alive while the "
                  "library may call it");
    }
    if (plan_.returnField) writeReturn(returned, results, context);
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      // (An array the library wrote right into the results is there already.)
      if (arg.result && !state[i].inResults) {
        writeBack(arg, state[i].storage, counts(i), results, context);
      }
    }
    if (plan_.lastErrorField) {
      auto field = *plan_.lastErrorField;
      if (field.getType().which() == capnp::schema::Type::UINT32) {
        results.set(field, static_cast<uint32_t>(lastError));
      } else {
        results.set(field, lastError);
      }
    }
  }

  // Converts and checks every argument into `arguments` (nothing reaches the library yet): a
  // value out of range, a null where none is allowed, a forged handle... throws here.
  // `results` (null in a dry run): out arrays whose result list has the C layout are made
  // there, so that the library writes its answer in place (no copy, no conversion after it).
  void prepare(capnp::DynamicStruct::Reader params, Arguments& arguments,
               cbind::CodecContext& context, const cbind::BulkArguments& bulk,
               const cbind::CallbackArguments& callbacks,
               capnp::DynamicStruct::Builder* results) const {
    const size_t n = plan_.args.size();
    ArgState* state = arguments.state;
    void** values = arguments.values;
    cbind::CallScratch& scratch = context.scratch;
    cbind::HandleCodec& handles = context.handles;
    auto pointers = [&](size_t i) -> void*& { return state[i].pointer; };
    auto counts = [&](size_t i) -> uint64_t& { return state[i].count; };
    auto slot = [&](size_t i) { return reinterpret_cast<unsigned char*>(&state[i].slot); };
    // An out array's memory in the results message, or nullptr (then scratch, and writeBack).
    auto inResults = [&](size_t i, uint64_t count) -> unsigned char* {
      const ArgPlan& arg = plan_.args[i];
      if (results == nullptr || !arg.result || count > UINT32_MAX) return nullptr;
      unsigned char* at =
          cbind::initInPlace(arg.element, *results, *arg.result, static_cast<uint32_t>(count));
      state[i].inResults = at != nullptr;
      return at;
    };

    // Pass 1: everything but lengths and the buffers sized by them.
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      const std::string& where = wheres_[i];
      values[i] = &state[i].pointer;
      auto value = [&] { return params.get(arg.param); };
      auto present = [&] {
        if (params.has(arg.param)) return true;
        if (arg.nullable) return false;
        throw Error(ErrorKind::BadConfiguration, where + " is not set, and NULL is not allowed",
                    "set it, or annotate the parameter $nullable if the function accepts NULL");
      };
      switch (arg.role) {
        case ArgRole::Value:
          state[i].storage = slot(i);
          cbind::storeScalar(arg.kind, cbind::fromDynamic(value()), state[i].storage, where);
          values[i] = state[i].storage;
          break;
        case ArgRole::Text:
          if (present()) {
            auto text = value().as<capnp::Text>();
            if (arg.wide) {
              pointers(i) = wideText(text, scratch, counts(i), where);
              break;
            }
            pointers(i) = const_cast<char*>(text.cStr());  // NUL-terminated in place
            counts(i) = text.size();
          }
          break;
        case ArgRole::InBuffer:
          if (present()) pointers(i) = inBuffer(arg, value(), scratch, counts(i), context, where);
          break;
        case ArgRole::InOutBuffer: {
          // A copy even for Data: the function writes, and the message is read-only.
          auto v = value();
          if (v.getType() == capnp::DynamicValue::DATA) {
            auto data = v.as<capnp::Data>();
            counts(i) = data.size();
            state[i].storage = inResults(i, data.size());
            if (state[i].storage == nullptr) state[i].storage = scratch.allocate(data.size());
            if (data.size() > 0) std::memcpy(state[i].storage, data.begin(), data.size());
          } else {
            auto list = v.as<capnp::DynamicList>();
            counts(i) = list.size();
            state[i].storage = inResults(i, list.size());
            if (state[i].storage == nullptr) {
              state[i].storage = scratch.allocate(size_t(list.size()) * arg.element.size());
            }
            cbind::encodeList(arg.element, list, state[i].storage, context, where);
          }
          pointers(i) = state[i].storage;
          break;
        }
        case ArgRole::OutValue:
        case ArgRole::OutTextPointer:
        case ArgRole::HandleOut:
          state[i].storage = slot(i);
          pointers(i) = state[i].storage;
          break;
        case ArgRole::StructOut:
          state[i].storage = scratch.allocate(arg.element.size());
          pointers(i) = state[i].storage;
          break;
        case ArgRole::InOutValue:
          state[i].storage = slot(i);
          cbind::storeScalar(arg.kind, cbind::fromDynamic(value()), state[i].storage, where);
          pointers(i) = state[i].storage;
          break;
        case ArgRole::StructIn:
          if (!params.has(arg.param) && arg.nullable) break;  // NULL
          [[fallthrough]];
        case ArgRole::StructInOut:
        case ArgRole::StructByValue:
          state[i].storage = scratch.allocate(arg.element.size());
          cbind::encodeStruct(*arg.element.layout, value().as<capnp::DynamicStruct>(), state[i].storage,
                              context, where);
          pointers(i) = state[i].storage;
          if (arg.role == ArgRole::StructByValue) values[i] = state[i].storage;
          break;
        case ArgRole::HandleIn:
          pointers(i) = handles.pointerFor(arg.handleKind, value().as<uint64_t>(), arg.nullable,
                                           where);
          break;
        case ArgRole::Callback:  // a closure calling the client's object (null: NULL)
          pointers(i) = callbacks.codeAt(i);
          break;
        case ArgRole::CallbackUser:  // the host's context for that closure, never the client's
          pointers(i) = callbacks.userAt(static_cast<size_t>(arg.source));
          break;
        case ArgRole::BulkRef:  // the client's own bytes, mapped: nothing to convert or copy
          pointers(i) = bulk.pointer(i);
          counts(i) = bulk.bytes(i) / arg.elementSize;
          break;
        case ArgRole::LengthOf:
        case ArgRole::OutBuffer:
        case ArgRole::OutText:
        case ArgRole::InOutText: break;  // below
      }
    }
    // Pass 2: counts of buffers, then the buffers sized by them.
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      if (arg.role != ArgRole::LengthOf) continue;
      Wide count;
      count.cls = Wide::Unsigned;
      count.u = counts(arg.source);
      state[i].storage = slot(i);
      cbind::storeScalar(arg.kind, count, state[i].storage,
                         wheres_[i] + " (the length of '" + plan_.args[arg.source].name + "')");
      values[i] = state[i].storage;
    }
    // An input list or bulk reference whose length the function takes from another parameter
    // ($length): it must hold at least that many elements, or the library would run past its end.
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      if ((arg.role != ArgRole::InBuffer && arg.role != ArgRole::BulkRef) || arg.source < 0) {
        continue;
      }
      const ArgPlan& countArg = plan_.args[arg.source];
      Wide w = cbind::loadScalar(countArg.kind, state[arg.source].storage);
      bool negative = w.cls == Wide::Signed && w.i < 0;
      uint64_t wanted = w.cls == Wide::Signed ? uint64_t(w.i) : w.u;
      bool isBulk = arg.role == ArgRole::BulkRef;
      // (A dry run maps no bulk reference: its pointer is null, its count is the reference's.)
      if (negative || (pointers(i) == nullptr && wanted > 0 && !isBulk) || wanted > counts(i)) {
        std::string elements = isBulk ? " elements of " + std::to_string(arg.elementSize) +
                                            " bytes"
                                      : " elements";
        throw Error(ErrorKind::BadConfiguration,
                    wheres_[i] + (isBulk ? " references " : " has ") + std::to_string(counts(i)) +
                        elements + ", but '" + countArg.name + "' says the function reads " +
                        (negative ? std::to_string(w.i) : std::to_string(wanted)),
                    std::string(isBulk ? "reference a range" : "pass a list") +
                        " at least as long as '" + countArg.name + "' (or declare '" +
                        countArg.name + "' $lengthOf(\"" + arg.name + "\") and let the host set it)");
      }
    }
    for (size_t i = 0; i < n; ++i) {
      const ArgPlan& arg = plan_.args[i];
      if (arg.role != ArgRole::OutBuffer && arg.role != ArgRole::OutText &&
          arg.role != ArgRole::InOutText) {
        continue;
      }
      const std::string& where = wheres_[i];
      uint64_t count = arg.capacity;
      if (arg.source >= 0) {
        const ArgPlan& countArg = plan_.args[arg.source];
        Wide w = cbind::loadScalar(countArg.kind, state[arg.source].storage);
        if (w.cls == Wide::Signed && w.i < 0) {
          throw Error(ErrorKind::BadConfiguration,
                      where + ": its length '" + countArg.name + "' is " + std::to_string(w.i) +
                          ", a negative size");
        }
        count = w.cls == Wide::Signed ? uint64_t(w.i) : w.u;
      }
      uint64_t bytes = count * arg.element.size();
      if (count > cbind::kMaxOutBufferBytes || bytes > cbind::kMaxOutBufferBytes) {
        throw Error(ErrorKind::BadConfiguration,
                    where + ": an out buffer of " + std::to_string(count) + " elements is above the "
                        "limit of " + std::to_string(cbind::kMaxOutBufferBytes) + " bytes",
                    "pass large arrays as bulk buffers (Host::allocate)");
      }
      counts(i) = count;
      if (arg.role == ArgRole::OutBuffer) {
        if (unsigned char* at = inResults(i, count)) {
          state[i].storage = at;
          pointers(i) = at;
          continue;
        }
      }
      // One unit more for text: the host's copy ends at a NUL even if the library wrote none.
      state[i].storage = scratch.allocate(static_cast<size_t>(bytes) + arg.element.size());
      if (arg.role == ArgRole::InOutText && arg.wide) {
        // The host's wchar_t text in the buffer; `count` is in wchar_t units.
        auto text = params.get(arg.param).as<capnp::Text>();
        std::wstring wide = utf8ToWide(std::string_view(text.begin(), text.size()), where);
        if (wide.size() + 1 > count) {
          throw Error(ErrorKind::BadConfiguration,
                      where + ": a text of " + std::to_string(wide.size()) + " wchar_t units "
                          "does not fit its buffer of " + std::to_string(count) +
                          " units with its NUL",
                      "pass a shorter text or declare a larger $capacity");
        }
        std::memcpy(state[i].storage, wide.data(), wide.size() * sizeof(wchar_t));
      } else if (arg.role == ArgRole::InOutText) {
        auto text = params.get(arg.param).as<capnp::Text>();
        if (text.size() + 1 > count) {
          throw Error(ErrorKind::BadConfiguration,
                      where + ": a text of " + std::to_string(text.size()) + " bytes does not fit "
                          "its buffer of " + std::to_string(count) + " bytes with its NUL",
                      "pass a shorter text or declare a larger $capacity");
        }
        std::memcpy(state[i].storage, text.begin(), text.size());
      }
      pointers(i) = state[i].storage;
    }

  }

  // Everything a call does before the library is called (dryRunCall).
  void dryRun(capnp::DynamicStruct::Reader params, cbind::HandleTable& handles) const {
    cbind::CallScratch scratch;
    cbind::CodecContext context{scratch, handles};
    Arguments arguments(plan_.args.size());
    auto bulk = cbind::BulkArguments::resolve(plan_, wheres_, params, nullptr);  // maps nothing
    cbind::CallbackArguments callbacks;  // no closures: function pointers stay NULL
    prepare(params, arguments, context, bulk, callbacks, nullptr);
  }

  // The call's bulk references checked and mapped (c_bulk_args.h): on the RPC thread.
  cbind::BulkArguments resolveBulk(capnp::DynamicStruct::Reader params,
                                   BulkRegistry& registry) const {
    return cbind::BulkArguments::resolve(plan_, wheres_, params, &registry);
  }

  const FunctionPlan& plan() const { return plan_; }

 private:
  // The calling convention: stdcall exists on 32-bit x86 only (Windows, and GCC's
  // __attribute__((stdcall)) on i386 Linux); x86-64 has one convention per OS, so $stdcall is
  // accepted there and means the default.
  static ffi_abi abiOf(const FunctionPlan& plan) { return cbind::ffiAbi(plan.stdcall); }

  // A Text parameter as the host's wchar_t text, NUL-terminated, in call scratch memory;
  // `count` is its length in wchar_t units (what $lengthOf passes).
  static void* wideText(capnp::Text::Reader text, cbind::CallScratch& scratch, uint64_t& count,
                        const std::string& where) {
    std::wstring wide = utf8ToWide(std::string_view(text.begin(), text.size()), where);
    count = wide.size();
    size_t bytes = (wide.size() + 1) * sizeof(wchar_t);
    unsigned char* buffer = scratch.allocate(bytes);
    std::memcpy(buffer, wide.c_str(), bytes);
    return buffer;
  }

  static FreeFunction resolveFree(const CLibrary& library, const std::string& name) {
    return reinterpret_cast<FreeFunction>(
        library.function(name, "the $freeWith(\"" + name + "\") function"));
  }

  // A List or Data parameter as a C array: Data in place, a List converted element by element
  // (its wire form is Cap'n Proto's, which need not be the C layout: Bool is bit-packed).
  static void* inBuffer(const ArgPlan& arg, capnp::DynamicValue::Reader value,
                        cbind::CallScratch& scratch, uint64_t& count,
                        cbind::CodecContext& context, const std::string& where) {
    if (value.getType() == capnp::DynamicValue::DATA) {
      auto data = value.as<capnp::Data>();
      count = data.size();
      if (!arg.terminated) return const_cast<unsigned char*>(data.begin());
      unsigned char* copy = scratch.allocate(data.size() + 1);  // zeroed: the terminator
      if (data.size() > 0) std::memcpy(copy, data.begin(), data.size());
      return copy;
    }
    auto list = value.as<capnp::DynamicList>();
    count = list.size();
    if (arg.textList) {
      // const char* const*: each Text is NUL-terminated in place; a NULL after the last.
      auto strings = reinterpret_cast<const char**>(scratch.allocate((count + 1) * sizeof(char*)));
      for (uint32_t e = 0; e < list.size(); ++e) strings[e] = list[e].as<capnp::Text>().cStr();
      strings[count] = nullptr;
      return strings;
    }
    // Read-only (const T*): the message's own elements when they are the C array already.
    if (!arg.terminated) {
      if (const void* same = cbind::elementsInPlace(arg.element, list)) {
        return const_cast<void*>(same);
      }
    }
    // Zeroed, one element more when $terminated: the terminator.
    unsigned char* buffer =
        scratch.allocate(size_t(count + (arg.terminated ? 1 : 0)) * arg.element.size());
    cbind::encodeList(arg.element, list, buffer, context, where);
    return buffer;
  }

  void writeReturn(const unsigned char* returned, capnp::DynamicStruct::Builder results,
                   cbind::CodecContext& context) const {
    auto field = *plan_.returnField;
    if (plan_.returnStruct) {
      cbind::decodeStruct(*plan_.returnStruct, returned,
                          results.init(field).as<capnp::DynamicStruct>(), context);
      return;
    }
    void* pointer = nullptr;
    std::memcpy(&pointer, returned, sizeof(pointer));
    if (!plan_.returnHandleKind.empty()) {
      results.set(field, context.handles.tokenFor(plan_.returnHandleKind, pointer));
    } else if (plan_.returnsWideText) {
      const wchar_t* text = static_cast<const wchar_t*>(pointer);
      std::string utf8 = text ? wideToUtf8(text, SIZE_MAX) : std::string();
      results.set(field, capnp::Text::Reader(utf8.data(), utf8.size()));
      if (text != nullptr && returnFree_ != nullptr) returnFree_(pointer);
    } else if (plan_.returnsText) {
      const char* text = static_cast<const char*>(pointer);
      results.set(field, capnp::Text::Reader(text ? text : ""));
      if (text != nullptr && returnFree_ != nullptr) returnFree_(pointer);
    } else {
      results.set(field, cbind::toDynamic(field.getType(), loadReturn(plan_.returnKind, returned)));
    }
  }

  void writeBack(const ArgPlan& arg, const unsigned char* storage, uint64_t count,
                 capnp::DynamicStruct::Builder results, cbind::CodecContext& context) const {
    capnp::Type type = arg.result->getType();
    switch (arg.role) {
      case ArgRole::OutValue:
      case ArgRole::InOutValue:
        results.set(*arg.result, cbind::toDynamic(type, cbind::loadScalar(arg.kind, storage)));
        break;
      case ArgRole::OutText:
      case ArgRole::InOutText: {
        if (arg.wide) {
          std::string utf8 =
              wideToUtf8(reinterpret_cast<const wchar_t*>(storage), static_cast<size_t>(count));
          results.set(*arg.result, capnp::Text::Reader(utf8.data(), utf8.size()));
          break;
        }
        const char* text = reinterpret_cast<const char*>(storage);
        results.set(*arg.result, capnp::Text::Reader(text, ::strnlen(text, count)));
        break;
      }
      case ArgRole::OutTextPointer: {
        char* text = nullptr;
        std::memcpy(&text, storage, sizeof(text));
        if (text == nullptr) break;  // left unset: the client sees has() == false
        if (arg.wide) {  // wchar_t**: the host's wide text, copied as UTF-8
          std::string utf8 = wideToUtf8(reinterpret_cast<const wchar_t*>(text), SIZE_MAX);
          results.set(*arg.result, capnp::Text::Reader(utf8.data(), utf8.size()));
        } else {
          results.set(*arg.result, capnp::Text::Reader(text));
        }
        auto free = argFree_.find(arg.name);
        if (free != argFree_.end()) free->second(text);
        break;
      }
      case ArgRole::OutBuffer:
      case ArgRole::InOutBuffer: {
        if (type.which() == capnp::schema::Type::DATA) {
          results.set(*arg.result, capnp::Data::Reader(storage, count));
          break;
        }
        auto list = results.init(*arg.result, static_cast<uint32_t>(count)).as<capnp::DynamicList>();
        cbind::decodeList(arg.element, storage, static_cast<uint32_t>(count), list, context);
        break;
      }
      case ArgRole::StructOut:
      case ArgRole::StructInOut:
        cbind::decodeStruct(*arg.element.layout, storage,
                            results.init(*arg.result).as<capnp::DynamicStruct>(), context);
        break;
      case ArgRole::HandleOut: {
        void* pointer = nullptr;
        std::memcpy(&pointer, storage, sizeof(pointer));
        results.set(*arg.result, context.handles.tokenFor(arg.handleKind, pointer));
        break;
      }
      default: break;
    }
  }

  FunctionPlan plan_;
  std::vector<std::string> wheres_;  // "Iface.method: parameter 'x'", made once
  void* address_;
  std::vector<ffi_type*> types_;
  ffi_cif cif_;
  FreeFunction returnFree_ = nullptr;
  std::map<std::string, FreeFunction> argFree_;  // by parameter name
};

class CLibraryServer final : public capnp::DynamicCapability::Server, public LaneTarget {
 public:
  CLibraryServer(capnp::InterfaceSchema schema, std::shared_ptr<capnp::SchemaLoader> schemas,
                 cbind::LibraryPlan plan, std::unique_ptr<FfiStructTypes> structTypes,
                 std::vector<std::unique_ptr<BoundFunction>> functions,
                 ComponentThreads& threads, BulkRegistry& bulk, std::string path,
                 std::shared_ptr<spdlog::logger> logger)
      : capnp::DynamicCapability::Server(schema),
        schemas_(std::move(schemas)),
        structs_(std::make_shared<StructLayouts>(std::move(plan.structs))),
        structTypes_(std::move(structTypes)),
        functions_(std::move(functions)),
        threads_(threads),
        bulk_(bulk),
        path_(std::move(path)),
        callThread_(plan.callThread),
        schema_(schema) {
    // Looked up here, on the RPC thread (ComponentThreads is not for other threads); the
    // library thread lives as long as `threads`.
    if (callThread_ == cbind::LibraryPlan::CallThread::Library) {
      laneGate_ = &threads_.libraryThreadFor(path_, false).callGate();
    }
    for (const auto& function : functions_) {
      if (!function->plan().hasCallbacks) continue;
      // The hub keeps what a stored closure converts its arguments with (schemas, layouts,
      // handles) for as long as the closure may be fired, even after this object is gone.
      callbacks_ = std::make_unique<cbind::CallbackServer>(std::make_shared<cbind::CallbackHub>(
          schemas_, structs_, handles_, std::move(logger)));
      break;
    }
  }

  kj::Promise<void> call(capnp::InterfaceSchema::Method method,
                         capnp::CallContext<capnp::DynamicStruct, capnp::DynamicStruct> context)
      override {
    uint16_t index = method.getIndex();
    if (index >= functions_.size()) {
      throwAsKj(Error(ErrorKind::Unimplemented, "method " + std::to_string(index) +
                                                    " is not part of the bound interface"));
    }
    auto params = context.getParams();
    auto results = context.getResults();
    const BoundFunction* function = functions_[index].get();
    // Bulk references first, here on the RPC thread: fromWire's check that the segment is the
    // caller's reads this thread's registry scope (c_bulk_args.h). Nothing when there are none.
    cbind::BulkArguments bulk;
    if (function->plan().hasBulkRefs) {
      try {
        bulk = function->resolveBulk(params, bulk_);
      } catch (const Error& e) {
        throwAsKj(e);
      }
    }
    if (callThread_ == cbind::LibraryPlan::CallThread::Host) {
      try {
        function->call(params, results, *handles_, bulk, cbind::CallbackArguments{});
      } catch (const Error& e) {
        throwAsKj(e);  // keeps the kind across the wire
      }
      return kj::READY_NOW;
    }
    // Converted and called on the library's thread (or the pool); this (RPC) thread does not
    // touch the params and results until the promise resolves, and the context keeps them. The
    // bulk mappings go with the call and are dropped on that thread once it has returned.
    // Callbacks: closures made here (capabilities are this thread's); those for this call
    // only travel with it and are freed on the library's thread when it returns.
    cbind::CallbackArguments callbacks;
    std::vector<uint64_t> callScopedCaps;
    bool callbackWork = callbacks_ && (function->plan().hasCallbacks ||
                                       !function->plan().releasesCallbacks.empty());
    if (callbacks_ && function->plan().hasCallbacks) {
      try {
        callbacks = callbacks_->prepare(function->plan(), params);
      } catch (const Error& e) {
        throwAsKj(e);
      }
      callScopedCaps = callbacks.callScopedCaps;
    }
    bool pool = callThread_ == cbind::LibraryPlan::CallThread::Pool;
    auto done = threads_.libraryThreadFor(path_, pool)
        .run([this, function, params, results, bulk = std::move(bulk),
              callbacks = std::move(callbacks)]() mutable {
          try {
            function->call(params, results, *handles_, bulk, callbacks);
          } catch (const Error& e) {
            throwAsKj(e);  // keeps the kind across the wire (and across the thread)
          }
        });
    if (!callbackWork) return done;
    // Back on this thread once the call has returned (or was dropped and has returned): its
    // call-scoped capabilities go, a $releasedBy method releases its stored callbacks.
    return done.attach(kj::defer([this, function, caps = std::move(callScopedCaps)] {
      callbacks_->finish(function->plan(), caps);
    }));
  }

  // LaneTarget (lane_target.h): the same call from a fast lane's thread.
  capnp::InterfaceSchema laneSchema() const override { return schema_; }
  const std::string& lanePath() const override { return path_; }
  bool laneCallable(uint16_t index) const override {
    if (index >= functions_.size() || callThread_ == cbind::LibraryPlan::CallThread::Host) {
      return false;
    }
    const auto& plan = functions_[index]->plan();
    return !plan.hasBulkRefs && !plan.hasCallbacks && plan.releasesCallbacks.empty();
  }
  void laneCall(uint16_t index, capnp::DynamicStruct::Reader params,
                capnp::DynamicStruct::Builder results) override {
    const BoundFunction* function = functions_[index].get();  // laneCallable was checked
    if (callThread_ == cbind::LibraryPlan::CallThread::Pool) {  // declared thread-safe
      function->call(params, results, *handles_, cbind::BulkArguments{}, cbind::CallbackArguments{});
      return;
    }
    // One call at a time with the library's own thread (and other lanes): its gate.
    std::lock_guard<std::recursive_mutex> gate(*laneGate_);
    function->call(params, results, *handles_, cbind::BulkArguments{}, cbind::CallbackArguments{});
  }

 private:
  using StructLayouts = cbind::StructLayouts;
  std::shared_ptr<capnp::SchemaLoader> schemas_;  // the schema the base class points into
  // The layouts and libffi types the functions point into: destroyed after them (the layouts
  // shared with stored callbacks' closures, which may outlive this object).
  std::shared_ptr<StructLayouts> structs_;
  std::unique_ptr<FfiStructTypes> structTypes_;
  std::vector<std::unique_ptr<BoundFunction>> functions_;  // by method index
  // This binding's tokens (locks itself: calls may overlap); shared with callbacks' closures.
  std::shared_ptr<cbind::HandleTable> handles_ = std::make_shared<cbind::HandleTable>();
  ComponentThreads& threads_;   // outlives this object (owned by runHost / runSharedHost)
  BulkRegistry& bulk_;          // the host's segments; outlives this object, as threads_ does
  std::string path_;            // the library's: its calls share one thread
  cbind::LibraryPlan::CallThread callThread_;
  capnp::InterfaceSchema schema_;  // points into schemas_
  std::recursive_mutex* laneGate_ = nullptr;  // the library thread's call gate (Library only)
  // Callbacks (c_callbacks.h), when a function takes one: last, so it goes first, releasing
  // the clients' objects and answering what waits while everything else is still here.
  std::unique_ptr<cbind::CallbackServer> callbacks_;
};

}  // namespace

BoundLibrary bindCLibrary(const std::string& path, std::shared_ptr<capnp::SchemaLoader> schemas,
                          uint64_t interfaceId, std::shared_ptr<spdlog::logger> logger,
                          ComponentThreads& threads, BulkRegistry& bulk) {
  capnp::Schema schema = schemas->get(interfaceId);
  if (!schema.getProto().isInterface()) {
    throw Error(ErrorKind::MalformedPeer,
                "bind: node " + std::to_string(interfaceId) + " is not an interface");
  }
  capnp::InterfaceSchema iface = schema.asInterface();
  cbind::LibraryPlan plan = cbind::planLibrary(iface);  // schema mistakes first: nothing loaded
  CLibrary library = CLibrary::open(path);
  auto structTypes = std::make_unique<FfiStructTypes>();
  std::vector<std::unique_ptr<BoundFunction>> functions;
  for (auto& function : plan.functions) {
    void* address = library.function(function);
    functions.push_back(
        std::make_unique<BoundFunction>(std::move(function), address, &library, *structTypes));
  }
  logger->info("bound {} ({} functions of {})", library.path(), functions.size(),
               iface.getShortDisplayName().cStr());
  BoundLibrary bound;
  bound.functions = static_cast<uint32_t>(functions.size());
  auto server = kj::heap<CLibraryServer>(iface, std::move(schemas), std::move(plan),
                                         std::move(structTypes), std::move(functions), threads,
                                         bulk, library.path(), logger);
  bound.lane = server.get();  // lives as long as the capability below
  bound.object = kj::mv(server);
  return bound;
}

void dryRunCall(capnp::InterfaceSchema iface, uint16_t methodIndex,
                capnp::DynamicStruct::Reader params) {
  cbind::LibraryPlan plan = cbind::planLibrary(iface);
  if (methodIndex >= plan.functions.size()) return;
  FfiStructTypes structTypes;
  BoundFunction function(std::move(plan.functions[methodIndex]), nullptr, nullptr, structTypes);
  cbind::HandleTable handles;
  function.dryRun(params, handles);
}

}  // namespace bitbridge
