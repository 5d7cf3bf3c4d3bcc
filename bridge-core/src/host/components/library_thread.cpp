// library_thread.h
#include "host/components/library_thread.h"

#include <chrono>

#include <kj/debug.h>

namespace bitbridge {

// One call handed over. `state` settles who answers: the RPC thread while it is spinning
// (Pending -> Done by the library thread), or the cross-thread fulfiller once the RPC thread
// stopped spinning (Pending -> Waiting by the RPC thread, then fulfilled by the library thread).
struct LibraryThread::Job {
  enum State : int { Pending, Done, Waiting };
  kj::Function<void()> work;
  std::atomic<int> state{Pending};
  kj::Maybe<kj::Exception> failure;  // written before state leaves Pending
  std::atomic<bool> finished{false};  // the work has returned (and dropped what it captured)
  // Its caller went away while it runs: a callback inside it stops waiting (serveUntil).
  std::atomic<bool> abandoned{false};
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> fulfiller;  // set before state is Waiting
};

LibraryThread::LibraryThread(std::string name) : name_(std::move(name)) {
  thread_ = std::thread([this] { loop(); });
}

LibraryThread::~LibraryThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (busy_.load()) {
    thread_.detach();  // stuck in a legacy call: joining would hang the host's exit
  } else {
    thread_.join();
  }
}

namespace {
// The LibraryThread whose loop() runs on this thread: a per-thread fact, not a registry.
thread_local LibraryThread* tCurrentLibraryThread = nullptr;
}  // namespace

LibraryThread* LibraryThread::current() { return tCurrentLibraryThread; }

void LibraryThread::loop() {
  tCurrentLibraryThread = this;
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_.store(true);
    }
    runJob(job);
    busy_.store(false);
  }
}

bool LibraryThread::givenUp() const {
  for (const Job* job : stack_) {
    if (job->abandoned.load()) return true;
  }
  return stopping_;
}

bool LibraryThread::serveUntil(const std::function<bool()>& done) {
  callbackWaits_.fetch_add(1, std::memory_order_release);
  struct Leave {
    std::atomic<int>& waits;
    ~Leave() { waits.fetch_sub(1, std::memory_order_release); }
  } leave{callbackWaits_};
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (done()) return true;
    if (givenUp()) return false;
    if (!queue_.empty()) {
      std::shared_ptr<Job> nested = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      runJob(nested);  // re-entrantly: this thread is inside the library, in a callback
      lock.lock();
      continue;
    }
    wake_.wait(lock);
  }
}

void LibraryThread::wake() {
  { std::lock_guard<std::mutex> lock(mutex_); }  // orders the caller's write before the check
  wake_.notify_all();
}

void LibraryThread::runJob(const std::shared_ptr<Job>& job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stack_.push_back(job.get());
  }
  {
    {
      auto work = kj::mv(job->work);  // what it captured goes at the end of this scope
      std::lock_guard<std::recursive_mutex> gate(callGate_);  // one call at a time with lanes
      job->failure = kj::runCatchingExceptions([&] { work(); });
    }
    job->finished.store(true);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stack_.pop_back();
    }
    int expected = Job::Pending;
    if (!job->state.compare_exchange_strong(expected, Job::Done)) {
      // The RPC thread stopped waiting: answer through its event loop.
      KJ_IF_MAYBE(exception, job->failure) {
        job->fulfiller->reject(kj::mv(*exception));
      } else {
        job->fulfiller->fulfill();
      }
    }
  }
}

kj::Promise<void> LibraryThread::run(kj::Function<void()> work) {
  auto job = std::make_shared<Job>();
  job->work = kj::mv(work);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
  }
  wake_.notify_one();

  auto answer = [&]() -> kj::Promise<void> {
    KJ_IF_MAYBE(exception, job->failure) { return kj::mv(*exception); }
    return kj::READY_NOW;
  };
  auto deadline = std::chrono::steady_clock::now() + kSpin;
  do {
    if (job->state.load(std::memory_order_acquire) == Job::Done) return answer();
    // A callback is waiting for this (RPC) thread to carry it: spinning on would only delay it.
    if (callbackWaits_.load(std::memory_order_acquire) > 0) break;
  } while (std::chrono::steady_clock::now() < deadline);

  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  job->fulfiller = kj::mv(paf.fulfiller);
  int expected = Job::Pending;
  if (job->state.compare_exchange_strong(expected, Job::Waiting)) {
    // The library thread answers when the call ends. If the caller gives up first (the client
    // went away), the work still reads its params and writes its results: dropping the promise
    // waits for it to return, as kj::Executor::executeAsync does, so nothing it uses is freed
    // under it. A callback inside it waiting for the gone client is told to give up first
    // (it answers its default), or this wait would wait for it, and it for this thread.
    return paf.promise.attach(kj::defer([this, job] {
      if (!job->finished.load()) {
        job->abandoned.store(true);
        wake();
      }
      while (!job->finished.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }));
  }
  return answer();  // it ended just now
}

}  // namespace bitbridge
