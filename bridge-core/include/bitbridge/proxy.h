// What the code `bitbridge proxy` generates is built on (docs/reference.md "Drop-in proxy
// libraries"): a drop-in library of the program's bitness that exports a vendor's C functions
// and forwards each call to the real library, bound (Host::bind) in a host of the other bitness.
//
// The generated code defines each exported function with the vendor header's own types (taken
// with decltype from the header's declaration, so they cannot drift), describes those C types
// to the proxy (CType), and calls Proxy::call with the addresses of its arguments. Everything
// else happens here, driven by the bind schema's /bitbridge/c.capnp annotations.
//
// Lifetime: one Proxy per generated library, created on the first call (a function-local
// static of the generated code, so thread-safe) and never destroyed: the program may call the
// C API from any thread, from static constructors and destructors and atexit handlers, so the
// proxy must outlive every one of them. Its host exits when the process does (the channel's EOF).
// Threading: any thread may call; calls run one at a time on the proxy's own thread, which owns
// the bitbridge Runtime (Cap'n Proto's event loop belongs to one thread) and, once its host holds
// a stored callback, runs its event loop while idle too. A callback for the call the program passed (a C function pointer) is called
// on the program's thread that made the call, while that call waits, as the library would call
// it; from inside it the program may call the proxy again on that same thread (nested calls). A
// stored callback ($C.callback(released|host)) is called on a thread of the proxy's own, the
// stored-callback thread, whenever the library fires it; its calls into the proxy are served
// at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "bitbridge/detail/capnp_schema.h"
#include "bitbridge/export.h"

namespace bitbridge::proxy {

/// What a C type is, as far as the proxy converts it. Every C type of a proxied signature is
/// described by kind and size, measured by the program's own compiler (cTypeOf<T>()).
enum class CKind : uint8_t { Void, Bool, Signed, Unsigned, Float, Pointer, Other };

struct CType {
  CKind kind = CKind::Void;
  uint32_t size = 0;            // sizeof(T); 0 for void
  CKind pointee = CKind::Void;  // for a pointer: what it points to
  uint32_t pointeeSize = 0;     // sizeof(*T); 0 for void* and an incomplete (opaque) struct
  CKind pointee2 = CKind::Void; // for a pointer to a pointer (T**): what that points to
};

namespace detail {
template <typename T>
constexpr CKind kindOf() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_void_v<U>) return CKind::Void;
  else if constexpr (std::is_same_v<U, bool>) return CKind::Bool;
  else if constexpr (std::is_enum_v<U>)
    return std::is_signed_v<std::underlying_type_t<U>> ? CKind::Signed : CKind::Unsigned;
  else if constexpr (std::is_integral_v<U>) return std::is_signed_v<U> ? CKind::Signed : CKind::Unsigned;
  else if constexpr (std::is_floating_point_v<U>) return CKind::Float;
  else if constexpr (std::is_pointer_v<U>) return CKind::Pointer;
  else return CKind::Other;
}
template <typename T, typename = void>
struct IsComplete : std::false_type {};
template <typename T>
struct IsComplete<T, std::void_t<decltype(sizeof(T))>> : std::true_type {};
// sizeof(T), 0 for void, functions and incomplete types (an opaque `struct calc_handle`). A
// struct's size is checked against its layout in the schema (the program's ABI).
template <typename T>
constexpr uint32_t sizeOfMaybeIncomplete() {
  if constexpr (std::is_void_v<T> || std::is_function_v<T>) return 0;
  else if constexpr (IsComplete<T>::value) return static_cast<uint32_t>(sizeof(T));
  else return 0;
}
}  // namespace detail

template <typename T>
constexpr CType cTypeOf() {
  CType t;
  t.kind = detail::kindOf<T>();
  t.size = detail::sizeOfMaybeIncomplete<T>();
  if constexpr (std::is_pointer_v<T>) {
    using P = std::remove_cv_t<std::remove_pointer_t<T>>;
    t.pointee = detail::kindOf<P>();
    t.pointeeSize = detail::sizeOfMaybeIncomplete<P>();
    if constexpr (std::is_pointer_v<P>) {
      t.pointee2 = detail::kindOf<std::remove_cv_t<std::remove_pointer_t<P>>>();
    }
  }
  return t;
}

/// A C function pointer parameter (a callback, $C.callback in the schema), as the vendor's header
/// declares its type: how the proxy calls the program's function, and its C types. `invoke` is
/// nullptr for a parameter that is not a function pointer.
struct CallbackSpec {
  /// Calls `fn` (the program's function, as the header's pointer type) with the C values at
  /// `args` (one address per parameter) and stores its return value at `result` (sizeof the
  /// return type; unused for void). Runs on the program's thread that made the proxied call.
  void (*invoke)(void (*fn)(), const void* const* args, void* result) = nullptr;
  CType result;
  const CType* params = nullptr;
  uint32_t paramCount = 0;
  /// Declared __stdcall (32-bit Windows only: one convention elsewhere).
  bool stdcall = false;
};

namespace detail {
template <typename F, typename R, typename... A, std::size_t... I>
void invokeAs(void (*fn)(), const void* const* args, void* result, std::index_sequence<I...>) {
  // A C function cannot throw; the values were converted (and range-checked) by the proxy.
  F f = reinterpret_cast<F>(fn);
  if constexpr (std::is_void_v<R>) {
    (void)result;
    f(*static_cast<const A*>(args[I])...);
  } else {
    R r = f(*static_cast<const A*>(args[I])...);
    std::memcpy(result, &r, sizeof r);
  }
}
template <typename T>
constexpr bool isFunctionPointer() {
  return std::is_pointer_v<T> && std::is_function_v<std::remove_pointer_t<T>>;
}
}  // namespace detail

template <typename T>
constexpr CallbackSpec callbackSpecOf();

/// The C signature of a function pointer type, as the vendor's header declares it.
template <typename F>
struct Signature;
template <typename R, typename... A>
struct Signature<R (*)(A...)> {
  using Result = R;
  template <std::size_t I>
  using Arg = std::tuple_element_t<I, std::tuple<A...>>;
  static constexpr std::size_t arity = sizeof...(A);
  static constexpr CType result = cTypeOf<R>();
  static constexpr CType params[sizeof...(A) + 1] = {cTypeOf<A>()..., CType{}};
  /// For each parameter that is itself a function pointer: how to call it (callbacks).
  static constexpr CallbackSpec callbacks[sizeof...(A) + 1] = {callbackSpecOf<A>()..., CallbackSpec{}};
  static constexpr bool stdcall = false;
  static void invoke(void (*fn)(), const void* const* args, void* result) {
    detail::invokeAs<R (*)(A...), R, A...>(fn, args, result, std::index_sequence_for<A...>{});
  }
};
#if defined(_WIN32) && defined(__i386__)
// On 32-bit Windows __stdcall is part of a function pointer's type ($C.stdcall functions, the
// header's WINAPI and CALLBACK): the same signature, the callee pops its arguments, so a
// callback is called through its own (stdcall) pointer type.
template <typename R, typename... A>
struct Signature<R(__stdcall*)(A...)> : Signature<R (*)(A...)> {
  static constexpr bool stdcall = true;
  static void invoke(void (*fn)(), const void* const* args, void* result) {
    detail::invokeAs<R(__stdcall*)(A...), R, A...>(fn, args, result, std::index_sequence_for<A...>{});
  }
};
#endif

/// Whether cdecl and __stdcall differ in this build (32-bit Windows): where a callback's
/// declared convention ($C.stdcall) must match the header's pointer type.
#if defined(_WIN32) && defined(__i386__)
inline constexpr bool kCallingConventionsDiffer = true;
#else
inline constexpr bool kCallingConventionsDiffer = false;
#endif

template <typename T>
constexpr CallbackSpec callbackSpecOf() {
  if constexpr (detail::isFunctionPointer<std::remove_cv_t<T>>()) {
    using S = Signature<std::remove_cv_t<T>>;
    return CallbackSpec{&S::invoke, S::result, S::params, static_cast<uint32_t>(S::arity), S::stdcall};
  } else {
    return CallbackSpec{};
  }
}

template <typename F>
using Result = typename Signature<F>::Result;
template <typename F, std::size_t I>
using Arg = typename Signature<F>::template Arg<I>;

/// Where a function's return value is written: nothing for void.
template <typename R>
struct ResultSlot {
  R value{};
  void* address() { return &value; }
  R take() { return value; }
};
template <>
struct ResultSlot<void> {
  void* address() { return nullptr; }
  void take() {}
};

/// One exported function: its C name, the bind schema's method (by its index in the
/// interface), its C types, and what it returns when bitbridge fails.
struct MethodSpec {
  const char* symbol;
  uint16_t method;
  CType result;
  const CType* params;
  uint32_t paramCount;
  /// One per parameter: how to call it when it is a C function pointer (a callback).
  const CallbackSpec* callbacks;
  /// Whether $C.onFailure applies (the generated code then returns its value); without it a
  /// failure is logged and the process aborted.
  bool failureDeclared;
  /// $C.onFailure as written, for the log line ("result = CALC_E_NOMEM, errno = EIO").
  const char* failureText;
};

template <typename F>
constexpr MethodSpec methodSpec(const char* symbol, uint16_t method, bool failureDeclared,
                                const char* failureText) {
  return MethodSpec{symbol, method, Signature<F>::result, Signature<F>::params,
                    static_cast<uint32_t>(Signature<F>::arity), Signature<F>::callbacks,
                    failureDeclared, failureText};
}

struct ProxySpec {
  /// The proxy's name (the library's base name): in log lines and in its environment variable
  /// BITBRIDGE_PROXY_<NAME>_LIBRARY (upper case, other characters as '_').
  const char* name;
  /// The library the host binds, unless that variable is set (may be empty: then it must be).
  const char* defaultLibrary;
  capnp::InterfaceSchema schema;
  const MethodSpec* methods;
  uint32_t methodCount;
  /// The schema file's name, for messages.
  const char* schemaFile;
};

/// The state behind one generated proxy library: see this file's top comment.
class BITBRIDGE_API Proxy {
 public:
  explicit Proxy(const ProxySpec& spec);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  /// Calls methods[index] with `args` (the address of each C argument, in order) and writes its
  /// return value to `result` (nullptr for void), its out-parameters through the C pointers,
  /// and errno if the schema declares $C.lastError. True on success. On a bitbridge failure the
  /// full error is logged; then false when the method declares $C.onFailure (the generated code
  /// returns that value), and the process aborts otherwise. Starts the host on the first call.
  bool call(uint32_t index, const void* const* args, void* result) noexcept;

  /// The program called the vendor's deallocator `function` (a $C.freeWith name the proxy
  /// defines) on `p`: frees the copy the proxy handed it under that $C.freeWith. Any thread; no
  /// call to the host. NULL is ignored, as `free` does; a pointer the proxy did not hand out for
  /// `function` is logged (error) and left alone, never freed.
  void release(const char* function, void* p) noexcept;

  /// The program is exiting (the generated code registers this with atexit at the first call):
  /// its stored callbacks are no longer run, since the statics they use are being destroyed; a
  /// library that fires one from now on gets its declared default. Calls still work.
  void programExiting() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitbridge::proxy
