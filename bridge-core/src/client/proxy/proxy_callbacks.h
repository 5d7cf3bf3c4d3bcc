// Callbacks through a drop-in proxy: the program passes a C function pointer (and maybe its
// `void* user`); the proxy passes the host a capability of its own, which the host's closure
// calls; each call is converted on the proxy's thread and the program's function is run on the
// program's thread that made the proxied call, which waits in Proxy::call meanwhile (a library
// calls a synchronous callback on the caller's thread; the program may call the proxy again from
// inside it, on that thread). The program's pointers (function, user) never leave this process.
//
// Lifetime: the capability is usable while the call that passed it runs (CallScope::open, cut
// by the proxy's thread when that call ends); a call after that, or one the program's thread
// can no longer take, fails, and the host hands the library the callback's declared default.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <capnp/dynamic.h>
#include <kj/async.h>

#include "client/proxy/proxy_plan.h"

namespace bitbridge::proxy {

/// The lock and wake-up that the proxy's thread and the program's waiting threads share
/// (Proxy::Impl's, which lives as long as the process).
struct CallbackSync {
  std::mutex& mutex;
  std::condition_variable& wake;  // the program's waiting threads: a call is done or work came
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
  alignas(8) unsigned char result[16] = {};
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> done;
  std::shared_ptr<CallScope> scope;  // whose call it belongs to

  /// On the program's thread: calls the program's function, then wakes the proxy's thread.
  void run();
};

/// A program thread inside Proxy::call (the outermost one on that thread): the callbacks the
/// proxy's thread hands it. Guarded by CallbackSync::mutex.
struct CallerThread {
  std::deque<std::shared_ptr<CallbackWork>> work;
};

/// The callbacks one proxied call passed. Guarded by CallbackSync::mutex.
struct CallScope {
  CallScope(CallbackSync s, CallerThread* t) : sync(s), thread(t) {}
  CallbackSync sync;
  CallerThread* thread;  // valid while `open`
  bool open = true;
};

/// The capability passed for a callback parameter: calls `fn` (with `user` for the callback's
/// $C.user parameter) on `scope`'s thread while `scope` is open. `plan` and `spec` live as long
/// as the proxy (its plans, the generated code's static tables).
capnp::DynamicCapability::Client callbackCapability(const CallbackPlan& plan, const CallbackSpec& spec,
                                                    void (*fn)(), void* user,
                                                    std::shared_ptr<CallScope> scope);

}  // namespace bitbridge::proxy
