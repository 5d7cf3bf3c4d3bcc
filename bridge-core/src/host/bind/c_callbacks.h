// Callbacks of a bound C library (Host::bind): a function-pointer parameter, declared as a
// Cap'n Proto interface, becomes a libffi closure that calls the client's capability and
// returns its answer to the library (c.capnp "Callbacks").
//
// How a callback travels. The library calls the closure on some thread: the library's own
// LibraryThread (inside a bound call), or a thread the library made. ClosureRecord::entry
// converts the C arguments into a params message there, posts it to the binding's
// CallbackHub and blocks that thread. The hub wakes the RPC thread (a cross-thread fulfiller),
// where CallbackServer sends the request to the client's capability; the answer (or the
// failure) completes the invocation and wakes the library's thread, which returns the value
// to the library. While a LibraryThread waits, it serves calls queued to it (re-entrantly):
// that is how a client that calls the library from inside its callback is answered. The RPC
// thread never waits for a library thread that waits for it: a cancelled call marks its job
// abandoned, and the callback gives up (LibraryThread::serveUntil).
//
// When the client cannot answer (its object threw, its process is gone, the callback was
// released, the binding is gone, the call was cancelled), the library gets the callback's
// declared default (CallbackPlan::fallback) and the failure is reported: to the bound call
// the callback fired in (CallbackFailureScope: the client's call fails with it), or, for a
// stored callback fired outside any call, to the host's log.
//
// Lifetimes: the hub is shared by the binding and its live closures, so a closure fired after
// its binding is gone still finds what it needs to answer the default. A closure for one call
// is freed when the call returns. A $callback(released) one is released when its $releasedBy
// method returns (from then on it answers the default) and freed a grace period later
// (BITBRIDGE_CALLBACK_GRACE_MS, default 10 s), once no thread is inside it: a library thread
// that read the pointer just before the unregister call returned may still call it, but a
// library that registers and unregisters handlers for hours must not grow the host without
// bound. A $callback(host) one, and a released one whose binding went before its $releasedBy
// method was called, is never freed: the library may call it until the host exits.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <ffi.h>

#include <capnp/dynamic.h>
#include <kj/async.h>

#include "bitbridge/detail/capnp_schema.h"  // before schema-loader.h: see there
#include <capnp/schema-loader.h>
#include <spdlog/logger.h>

#include "host/bind/c_binding_plan.h"
#include "host/bind/c_handles.h"

namespace bitbridge::cbind {

struct CallbackInvocation;

/// The meeting point of the threads that fire a binding's callbacks and its RPC thread.
/// Thread-safe; shared by the binding (CallbackServer) and every live closure.
class CallbackHub {
 public:
  /// `keepAlive`: what the plans' struct layouts and schemas live in (the binding's), kept while
  /// a closure may still convert arguments with them.
  CallbackHub(std::shared_ptr<capnp::SchemaLoader> schemas, std::shared_ptr<const void> keepAlive,
              std::shared_ptr<HandleTable> handles, std::shared_ptr<spdlog::logger> logger);

  /// On any thread but the RPC thread: calls the client for `record`'s capability with the C
  /// arguments `args` and waits for its answer (serving nested calls on a LibraryThread).
  /// Returns the C return value's bytes, or the plan's fallback with `failure` set.
  uint64_t invoke(uint64_t capId, const std::shared_ptr<const CallbackPlan>& plan, void** args,
                  std::string& failure);

  /// RPC thread: `wake` is fulfilled when invocations are waiting (at once if some already are).
  void arm(kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake);
  /// RPC thread: the invocations waiting, in arrival order.
  std::deque<std::shared_ptr<CallbackInvocation>> take();
  /// RPC thread: no more invocations; those waiting get their fallback.
  void close();

  spdlog::logger& logger() { return *logger_; }

 private:
  bool post(std::shared_ptr<CallbackInvocation> invocation);

  std::shared_ptr<capnp::SchemaLoader> schemas_;
  std::shared_ptr<const void> keepAlive_;
  std::shared_ptr<HandleTable> handles_;
  std::shared_ptr<spdlog::logger> logger_;
  std::thread::id rpcThread_;  // where a callback must never wait (it would wait for itself)

  std::mutex mutex_;
  std::deque<std::shared_ptr<CallbackInvocation>> queue_;  // guarded by mutex_
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake_;    // guarded by mutex_
  bool closed_ = false;                                    // guarded by mutex_
};

/// One C function pointer handed to the library: a libffi closure with its cif.
class ClosureRecord {
 public:
  ClosureRecord(std::shared_ptr<const CallbackPlan> plan, std::shared_ptr<CallbackHub> hub,
                uint64_t capId);
  ~ClosureRecord();
  ClosureRecord(const ClosureRecord&) = delete;
  ClosureRecord& operator=(const ClosureRecord&) = delete;

  /// The function pointer the library gets.
  void* code() const { return code_; }
  uint64_t capId() const { return capId_; }
  /// From now on the closure answers its fallback without calling anyone. Any thread.
  void release();
  /// Whether a thread is running the closure's entry now (it may not be freed). Any thread.
  bool busy() const { return active_.load() != 0; }

 private:
  static void entry(ffi_cif* cif, void* ret, void** args, void* self);
  std::shared_ptr<CallbackHub> hub();

  std::shared_ptr<const CallbackPlan> plan_;
  uint64_t capId_;
  std::vector<ffi_type*> types_;
  ffi_cif cif_;
  ffi_closure* closure_ = nullptr;
  void* code_ = nullptr;
  std::atomic<int> active_{0};  // threads inside entry()
  std::mutex mutex_;
  std::shared_ptr<CallbackHub> hub_;  // guarded by mutex_; null once released
};

/// The callbacks of one bound call, made on the RPC thread and carried with the call to the
/// library's thread: the function pointers and user contexts by argument index, and the
/// closures that live for this call only (freed with this object, once the call returned).
struct CallbackArguments {
  std::vector<void*> code;  // by argument index; null where none
  std::vector<void*> user;  // the context of each Callback argument, by its index
  std::vector<std::unique_ptr<ClosureRecord>> callScoped;
  std::vector<uint64_t> callScopedCaps;  // their capabilities, forgotten on the RPC thread

  void* codeAt(size_t i) const { return i < code.size() ? code[i] : nullptr; }
  void* userAt(size_t i) const { return i < user.size() ? user[i] : nullptr; }
};

/// The RPC thread's side of a binding's callbacks: the clients' capabilities, the requests in
/// flight, the stored closures. Owned by the bound object; lives and dies on the RPC thread.
class CallbackServer final : private kj::TaskSet::ErrorHandler {
 public:
  explicit CallbackServer(std::shared_ptr<CallbackHub> hub);
  ~CallbackServer() noexcept(false);

  /// The closures for `plan`'s Callback arguments from `params` (a capability each; an unset
  /// one is NULL if $nullable, refused otherwise). Stored ones are kept under (function, arg).
  CallbackArguments prepare(const FunctionPlan& plan, capnp::DynamicStruct::Reader params);
  /// After a call: its call-scoped capabilities go; a $releasedBy method's stored callbacks are
  /// released.
  void finish(const FunctionPlan& plan, const std::vector<uint64_t>& callScopedCaps);

 private:
  kj::Promise<void> pump();
  void dispatch(std::shared_ptr<CallbackInvocation> invocation);
  /// Frees the released closures whose grace period is over and that no thread is inside.
  void freeReleased();
  void taskFailed(kj::Exception&& exception) override;

  std::shared_ptr<CallbackHub> hub_;
  // Held by pointer: Client's copy constructor takes a non-const reference, which clang will
  // not pair with std::pair's const one (GCC lets it pass until a copy is made).
  std::map<uint64_t, std::unique_ptr<capnp::DynamicCapability::Client>> caps_;
  uint64_t nextCap_ = 1;
  // Stored closures by (function, argument), not yet released: never freed while here (see the
  // top of this file).
  std::map<std::pair<uint16_t, uint16_t>, std::vector<ClosureRecord*>> stored_;
  // Released by their $releasedBy method, in release order, freed after the grace period.
  struct Released {
    std::unique_ptr<ClosureRecord> record;
    std::chrono::steady_clock::time_point at;
  };
  std::deque<Released> released_;
  std::chrono::milliseconds grace_;
  uint64_t freed_ = 0;  // in all, for the log
  kj::TaskSet tasks_;
  kj::Promise<void> pump_ = nullptr;
};

/// While alive on a thread, collects the failures of callbacks fired on that thread (a bound
/// call's), so the call can report them to its client. Scopes nest (nested calls).
class CallbackFailureScope {
 public:
  CallbackFailureScope();
  ~CallbackFailureScope();
  CallbackFailureScope(const CallbackFailureScope&) = delete;
  CallbackFailureScope& operator=(const CallbackFailureScope&) = delete;

  /// The first failure, and how many there were; empty when none.
  const std::string& first() const { return first_; }
  uint64_t count() const { return count_; }

  /// Records `failure` in the thread's innermost scope; false when the thread has none.
  static bool report(const std::string& failure);

 private:
  CallbackFailureScope* previous_;
  std::string first_;
  uint64_t count_ = 0;
};

}  // namespace bitbridge::cbind
