// Windows builds only. See wait-win32.h.
#include "common/platform/wait-win32.h"

#include "bitbridge/error.h"
#include "common/platform/text-win32.h"

namespace bitbridge {
namespace {

// Owns one registered wait. Thread: created and destroyed on the loop's thread; the callback
// runs on a thread-pool thread and only touches the cross-thread fulfiller.
struct RegisteredWait {
  HANDLE wait = nullptr;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> fulfiller;
  ~RegisteredWait() {
    // INVALID_HANDLE_VALUE: wait for a running callback, so it never sees a destroyed fulfiller.
    if (wait != nullptr) ::UnregisterWaitEx(wait, INVALID_HANDLE_VALUE);
  }
  static void CALLBACK signaled(void* context, BOOLEAN) {
    static_cast<RegisteredWait*>(context)->fulfiller->fulfill();
  }
};

}  // namespace

kj::Promise<void> whenSignaled(HANDLE handle) {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  auto registered = kj::heap<RegisteredWait>();
  registered->fulfiller = kj::mv(paf.fulfiller);
  if (!::RegisterWaitForSingleObject(&registered->wait, handle, &RegisteredWait::signaled,
                                     registered.get(), INFINITE,
                                     WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD)) {
    registered->wait = nullptr;
    throw Error(ErrorKind::BadConfiguration,
                "RegisterWaitForSingleObject failed: " + lastWin32ErrorText());
  }
  return paf.promise.attach(kj::mv(registered));
}

}  // namespace bitbridge
