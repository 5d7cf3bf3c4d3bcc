#include "host/com/loop_inbox.h"

namespace bitbridge {

kj::Promise<void> LoopInbox::serve() {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return kj::NEVER_DONE;
    if (queue_.empty()) {
      wake_ = kj::mv(paf.fulfiller);
    } else {
      paf.fulfiller->fulfill();
    }
  }
  return paf.promise.then([this]() -> kj::Promise<void> {
    for (;;) {
      std::function<void()> work;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_ || queue_.empty()) break;
        work = std::move(queue_.front());
        queue_.pop_front();
      }
      work();
    }
    return serve();
  });
}

void LoopInbox::close() {
  std::deque<std::function<void()>> dropped;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    dropped.swap(queue_);
    wake = kj::mv(wake_);
  }
  // Destroyed outside the lock: the work's captures may post or signal in their destructors.
}

bool LoopInbox::post(std::function<void()> work) {
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    queue_.push_back(std::move(work));
    wake = kj::mv(wake_);
  }
  if (wake.get() != nullptr) wake->fulfill();
  return true;
}

}  // namespace bitbridge
