// Work handed to one thread's KJ event loop from other threads, without ever blocking them:
// how a COM apartment thread (StaThread) reaches the host's RPC thread to call a client's
// capability (an event sink), since capabilities may be touched on their own loop only.
//
// Unlike kj::Executor::executeSync, post() never waits for the loop: an apartment that waited
// there while the RPC thread joins it (a connection closing) would deadlock.
//
// Lifetime: shared (shared_ptr) by the loop's owner, which runs serve() on its thread and calls
// close() before it goes, and by the threads that post. After close(), post() refuses work and
// what was queued is destroyed unrun (on the closing thread), so a poster that waits for its
// work must also learn of its destruction (see the events' Answer guard). Thread assumptions:
// serve() and close() on the loop's thread; post() from any thread.
#pragma once

#include <deque>
#include <functional>
#include <mutex>

#include <kj/async.h>

namespace bitbridge {

class LoopInbox {
 public:
  /// Runs posted work on this thread's loop, in the order posted, until close(). The promise
  /// must be kept (eagerlyEvaluate'd) by the owner and dropped no later than this inbox.
  kj::Promise<void> serve();
  /// Refuses later posts and drops what is queued. Idempotent.
  void close();
  /// Queues `work` for the loop; false (and `work` dropped at once) after close().
  bool post(std::function<void()> work);

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;               // guarded by mutex_
  bool closed_ = false;                                   // guarded by mutex_
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake_;   // guarded by mutex_; set while serve() waits
};

}  // namespace bitbridge
