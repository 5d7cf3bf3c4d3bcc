// Callbacks through a drop-in proxy: the program passes a C function pointer (and maybe its
// `void* user`); the proxy passes the host a capability of its own, which the host's closure
// calls; each call is converted on the proxy's thread and the program's function is run on a
// program-side thread (CallerThread), which waits in Proxy::call or in the stored-callback
// thread's loop meanwhile. The program's pointers (function, user) never leave this process.
//
// Which thread runs the program's function (CallScope::thread):
//   - a callback for the call ($C.callback(call)): the program's thread that made the proxied
//     call, as the library would call it (synchronously, on the caller's thread); the program
//     may call the proxy again from inside it, on that thread (nested);
//   - a stored callback ($C.callback(released|host)): the proxy's stored-callback thread, one
//     thread of the proxy's own (not the event-loop thread), whether the library fires it
//     inside a proxied call or later from a thread of its own; its calls into the proxy are
//     served at once, whatever else runs, so a handler that calls the library never deadlocks.
//
// Lifetime (CallScope::open, cut on the proxy's thread, or at exit): a callback for the call is
// usable while that call runs; a released one until its $C.releasedBy method's call returns; a
// host one until its host dies. All close when the program exits. A call after that, or one
// the program-side thread can no longer take, fails, and the host hands the library the
// callback's declared default.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <capnp/dynamic.h>
#include <kj/async.h>

#include "client/proxy/proxy_handles.h"
#include "client/proxy/proxy_plan.h"

namespace bitbridge::proxy {

/// The lock and wake-up that the proxy's thread and the program's waiting threads share
/// (Proxy::Impl's, which lives as long as the process).
struct CallbackSync {
  std::mutex& mutex;
  std::condition_variable& wake;  // the program's waiting threads: a call is done or work came
  const std::atomic<bool>& exiting;  // the program is exiting: no more stored callbacks run
};

struct CallScope;

/// One call of a program's callback: its C arguments, prepared on the proxy's thread, run on
/// the program's (run()), its result read back on the proxy's thread after `done`.
struct CallbackWork {
  const CallbackSpec* spec = nullptr;
  void (*fn)() = nullptr;
  std::vector<uint64_t> slots;     // one 8-byte-aligned C value per parameter
  std::vector<const void*> args;   // &slots[i]
  std::deque<std::string> texts;   // the Text arguments, copied: the request may go first
  std::deque<std::vector<unsigned char>> structs;  // the struct arguments, in the program's ABI
  alignas(8) unsigned char result[16] = {};
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> done;
  std::shared_ptr<CallScope> scope;  // whose call it belongs to

  /// On the program's thread: calls the program's function, then wakes the proxy's thread.
  void run();
};

/// A program-side thread that runs the program's callbacks the proxy's thread hands it: a
/// program thread inside Proxy::call (the outermost call on that thread), or the proxy's
/// stored-callback thread. Guarded by CallbackSync::mutex.
struct CallerThread {
  std::deque<std::shared_ptr<CallbackWork>> work;
  /// Whether its outermost call is done (false for the stored-callback thread, which has
  /// none): a call made from a callback after that has nobody serving it.
  const bool* outerDone = nullptr;
};

/// The callbacks one proxied call passed for the call, or one stored callback. Guarded by
/// CallbackSync::mutex.
struct CallScope {
  CallScope(CallbackSync s, CallerThread* t, bool isStored) : sync(s), thread(t), stored(isStored) {}
  CallbackSync sync;
  CallerThread* thread;  // valid while `open`
  bool stored;           // $C.callback(released|host)
  bool open = true;
};

/// The capability passed for a callback parameter: calls `fn` (with `user` for the callback's
/// $C.user parameter) on `scope`'s thread while `scope` is open. `plan` and `spec` live as long
/// as the proxy (its plans, the generated code's static tables), and so does `handles` (the
/// proxy's, for $C.handle members of struct arguments; used on the proxy's thread only).
capnp::DynamicCapability::Client callbackCapability(const CallbackPlan& plan, const CallbackSpec& spec,
                                                    void (*fn)(), void* user,
                                                    std::shared_ptr<CallScope> scope, HandleTable& handles);

}  // namespace bitbridge::proxy
