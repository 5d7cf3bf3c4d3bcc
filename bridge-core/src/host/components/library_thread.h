// The thread a bound C library's calls run on (Host::bind, c_binding.h): one per library, so
// that its calls run one at a time, always on the same thread (many legacy libraries keep
// thread-local or global state), and the host's RPC thread stays free during a long call.
//
// Built for short calls: the RPC thread hands a call over and waits for it a few microseconds,
// spinning; a call that is done by then is answered at once, with no event-loop round trip
// (which costs two thread wake-ups, a third of a local round trip). A longer call is answered
// through a cross-thread promise when it ends. See docs/performance.md (bind cases).
//
// Lifetime: owned by ComponentThreads (runHost / runSharedHost), outliving every call. The
// destructor stops and joins an idle thread; one stuck in a legacy call is detached (the process
// is ending). Thread assumptions: run() is called on the RPC thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <kj/async.h>
#include <kj/function.h>

namespace bitbridge {

class LibraryThread {
 public:
  explicit LibraryThread(std::string name);
  ~LibraryThread();
  LibraryThread(const LibraryThread&) = delete;
  LibraryThread& operator=(const LibraryThread&) = delete;

  /// Runs `work` on this thread after the work queued before it. Resolves (or breaks with
  /// what `work` threw) on the calling thread's event loop; already resolved when `work` ended
  /// within the spin time.
  kj::Promise<void> run(kj::Function<void()> work);

  /// How long run() waits, spinning, for a call to end before it leaves it to a promise.
  static constexpr auto kSpin = std::chrono::microseconds(200);

 private:
  struct Job;
  void loop();

  std::string name_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::atomic<bool> busy_{false};           // in a call: the destructor must not join
  std::thread thread_;
};

}  // namespace bitbridge
