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

void LibraryThread::loop() {
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
    {
      auto work = kj::mv(job->work);  // what it captured goes at the end of this scope
      job->failure = kj::runCatchingExceptions([&] { work(); });
    }
    job->finished.store(true);
    busy_.store(false);
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
  } while (std::chrono::steady_clock::now() < deadline);

  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  job->fulfiller = kj::mv(paf.fulfiller);
  int expected = Job::Pending;
  if (job->state.compare_exchange_strong(expected, Job::Waiting)) {
    // The library thread answers when the call ends. If the caller gives up first (the client
    // went away), the work still reads its params and writes its results: dropping the promise
    // waits for it to return, as kj::Executor::executeAsync does, so nothing it uses is freed
    // under it.
    return paf.promise.attach(kj::defer([job] {
      while (!job->finished.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }));
  }
  return answer();  // it ended just now
}

}  // namespace bitbridge
