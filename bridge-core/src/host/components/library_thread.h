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
#include <functional>
#include <thread>
#include <vector>

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

  /// The LibraryThread the calling thread is, or nullptr (the RPC thread, a thread the library
  /// created). Read by a callback (c_callbacks.h) to know whether it may serve nested calls.
  static LibraryThread* current();

  /// On this thread, inside a call (a callback waiting for the client's answer): returns true
  /// once `done()` is, meanwhile running the calls queued here, re-entrantly: a client that
  /// calls the library from inside its callback is served on the thread that is inside the
  /// library, as a nested C call would be. Returns false, without waiting for `done()`, when a
  /// call this thread is in was given up (its caller went away: the callback must answer its
  /// default) or the thread is stopping. `done()` is read under this thread's lock; whoever
  /// makes it true calls wake() after.
  bool serveUntil(const std::function<bool()>& done);
  /// Makes serveUntil re-check `done()`. Any thread.
  void wake();

  /// Held by this thread around each call it runs (recursively: a nested call served from a
  /// callback takes it again), and by a fast lane's thread (host/bind/lane_thread.h) around each
  /// call it makes into the same library, so that a library that is not thread-safe sees one
  /// call at a time whichever path the call took.
  std::recursive_mutex& callGate() { return callGate_; }

 private:
  struct Job;
  void loop();
  void runJob(const std::shared_ptr<Job>& job);
  bool givenUp() const;  // a job on stack_ was abandoned; under mutex_

  std::string name_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::atomic<bool> busy_{false};           // in a call: the destructor must not join
  std::vector<Job*> stack_;  // the calls this thread is in, outermost first; guarded by mutex_
  std::recursive_mutex callGate_;
  std::atomic<int> callbackWaits_{0};  // serveUntil is waiting: run() stops spinning at once
  std::thread thread_;
};

}  // namespace bitbridge
