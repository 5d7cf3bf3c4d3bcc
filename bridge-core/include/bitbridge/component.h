// What a component author writes against: a component is a shared library of the host's
// bitness that exports one versioned C entry point listing its classes.
//
//   #include <bitbridge/component.h>
//   #include "calc.capnp.h"
//   class CalcImpl final : public Calc::Server { ... };
//   BITBRIDGE_COMPONENT(bitbridge::serve<CalcImpl>("legacy-calc"))
//
// Each client `activate("legacy-calc")` creates a new CalcImpl inside the host (like COM's
// CoCreateInstance); the client holds it as a capability and it is destroyed when released.
//
// Threading model. Classes are created and their methods called on the host's RPC thread, one
// call at a time. A method that calls into a legacy library which may block hands that call to
// bitbridge::offload(context, [=] { return legacy_fn(a, b); }): it then runs on the
// component's own thread, still one at a time per component (legacy libraries are rarely
// thread-safe), while the RPC thread goes on answering other components, other instances and
// the client's heartbeat. A class registered with kClassConcurrent declares its library
// thread-safe: its offloaded work may run on several threads at once.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include <capnp/capability.h>
#include <capnp/common.h>
#include <kj/async.h>
#include <kj/debug.h>
#include <kj/function.h>
#include <kj/memory.h>

#include "bitbridge/arch.h"
#include "bitbridge/export.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

class BulkAccess;  // bitbridge/bulk.h

/// Bumped on any incompatible change of ComponentTable, ClassFactory or ComponentContext.
/// The entry point's name carries it too (bitbridge_component_v1).
inline constexpr uint32_t kComponentAbiVersion = 1;

/// Services the host offers to the classes it creates. Owned by the host; valid for as long
/// as the component stays loaded (the whole host lifetime).
class BITBRIDGE_API ComponentContext {
 public:
  virtual ~ComponentContext() = default;
  /// The host's logger; lines reach the client's log tagged with the host pid.
  virtual spdlog::logger& logger() = 0;
  /// Path of the component library this class came from.
  virtual const char* componentPath() const = 0;
  /// Resolves BulkRefs sent by clients to mapped bytes (include bitbridge/bulk.h).
  virtual BulkAccess& bulk() = 0;
  /// Runs `work` off the RPC thread (see the threading model above); the promise resolves on
  /// the RPC thread when it is done, or rejects with what it threw. `work` must not touch
  /// Cap'n Proto objects (params, results, capabilities): copy plain values in and out.
  /// Prefer the typed bitbridge::offload() below.
  virtual kj::Promise<void> offloadWork(kj::Function<void()> work) = 0;
};

/// Class flag: the class's offloaded work may run concurrently (its library is thread-safe).
inline constexpr uint32_t kClassConcurrent = 1u << 0;

/// One class a component offers. Plain data so that a component's table can be a constant.
struct ClassFactory {
  const char* name;                                           ///< what clients activate
  capnp::Capability::Client (*create)(ComponentContext& context);
  uint32_t flags;                                             ///< kClass* bits; 0: serialized
};

/// The table the entry point returns. Pointers here are in-process only (same bitness); the
/// table never crosses a process boundary.
struct ComponentTable {
  uint32_t abiVersion;     ///< kComponentAbiVersion the component was built with
  uint32_t capnpVersion;   ///< CAPNP_VERSION the component was built with (must match host)
  uint32_t classCount;
  const ClassFactory* classes;
};

/// Runs `func` (returning a plain value or void) off the RPC thread; see
/// ComponentContext::offloadWork. Example, inside a Cap'n Proto method:
///   int32_t a = params.getA(), b = params.getB();
///   return bitbridge::offload(context_, [a, b] { return legacy_add(a, b); })
///       .then([context](int32_t sum) mutable { context.getResults().setSum(sum); });
template <typename Func>
auto offload(ComponentContext& context, Func&& func) -> kj::Promise<decltype(func())> {
  using Result = decltype(func());
  if constexpr (std::is_void_v<Result>) {
    return context.offloadWork(kj::Function<void()>(std::forward<Func>(func)));
  } else {
    // The slot is written on the worker thread and read on the RPC thread after the promise
    // resolves (the executor's hand-over orders the two).
    auto slot = kj::heap<kj::Maybe<Result>>(nullptr);
    auto* out = slot.get();
    return context
        .offloadWork(kj::Function<void()>(
            [out, f = std::forward<Func>(func)]() mutable { *out = f(); }))
        .then([slot = kj::mv(slot)]() mutable -> Result {
          KJ_IF_MAYBE(value, *slot) { return kj::mv(*value); }
          KJ_UNREACHABLE;
        });
  }
}

/// A factory that creates `Impl` (constructed from ComponentContext& if it accepts one, else
/// default-constructed) and serves it as a capability. `flags`: kClass* bits.
template <typename Impl>
constexpr ClassFactory serve(const char* name, uint32_t flags = 0) {
  static_assert(std::is_base_of_v<capnp::Capability::Server, Impl>,
                "serve<Impl>: Impl must implement a Cap'n Proto interface (derive from X::Server)");
  return ClassFactory{name,
                      [](ComponentContext& context) -> capnp::Capability::Client {
                        if constexpr (std::is_constructible_v<Impl, ComponentContext&>) {
                          return kj::heap<Impl>(context);
                        } else {
                          (void)context;
                          return kj::heap<Impl>();
                        }
                      },
                      flags};
}

}  // namespace bitbridge

#define BITBRIDGE_COMPONENT_ENTRY_NAME "bitbridge_component_v1"

#if defined(_WIN32)
#define BITBRIDGE_COMPONENT_EXPORT __declspec(dllexport)
#else
#define BITBRIDGE_COMPONENT_EXPORT __attribute__((visibility("default")))
#endif

/// Exports the component entry point with the given class factories (one or more
/// `bitbridge::serve<Impl>("name")`). Use once per component library, at namespace scope.
#define BITBRIDGE_COMPONENT(...)                                                          \
  extern "C" BITBRIDGE_COMPONENT_EXPORT const ::bitbridge::ComponentTable*                \
  bitbridge_component_v1() {                                                              \
    static const ::bitbridge::ClassFactory bitbridgeClasses[] = {__VA_ARGS__};            \
    static const ::bitbridge::ComponentTable bitbridgeTable{                              \
        ::bitbridge::kComponentAbiVersion, CAPNP_VERSION,                                 \
        static_cast<uint32_t>(sizeof(bitbridgeClasses) / sizeof(bitbridgeClasses[0])),    \
        bitbridgeClasses};                                                                \
    return &bitbridgeTable;                                                               \
  }
