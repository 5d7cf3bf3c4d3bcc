#include "host/components/component_threads.h"

#include <future>

#include <kj/debug.h>

namespace bitbridge {

ComponentThread::ComponentThread(std::string name) : name_(std::move(name)) {
  std::promise<const kj::Executor*> ready;
  auto started = ready.get_future();
  thread_ = std::thread([this, &ready]() {
    kj::EventLoop loop;
    kj::WaitScope waitScope(loop);
    auto stop = kj::newPromiseAndFulfiller<void>();
    stop_ = &stop.fulfiller;
    ready.set_value(&kj::getCurrentThreadExecutor());
    stop.promise.wait(waitScope);
  });
  executor_ = started.get();
}

ComponentThread::~ComponentThread() {
  if (busy_->load() > 0) {
    // Stuck in a legacy call: joining would hang the host's exit. The thread dies with the
    // process; its loop and executor are never touched again.
    thread_.detach();
    return;
  }
  executor_->executeSync([this]() { (*stop_)->fulfill(); });
  thread_.join();
}

kj::Promise<void> ComponentThread::run(kj::Function<void()> work) {
  return executor_->executeAsync([busy = busy_, work = kj::mv(work)]() mutable {
    ++*busy;
    KJ_DEFER(--*busy);
    work();
  });
}

class ComponentThreads::ClassContext final : public ComponentContext {
 public:
  ClassContext(ComponentThreads& owner, std::string componentPath, uint32_t flags)
      : owner_(owner), componentPath_(std::move(componentPath)), flags_(flags) {}
  spdlog::logger& logger() override { return owner_.logger_; }
  const char* componentPath() const override { return componentPath_.c_str(); }
  BulkAccess& bulk() override { return owner_.bulk_; }
  kj::Promise<void> offloadWork(kj::Function<void()> work) override {
    ComponentThread& thread = (flags_ & kClassConcurrent) ? owner_.nextConcurrentThread()
                                                          : owner_.serialThreadFor(componentPath_);
    return thread.run(kj::mv(work));
  }

 private:
  ComponentThreads& owner_;
  std::string componentPath_;
  uint32_t flags_;
};

ComponentThreads::ComponentThreads(spdlog::logger& logger, BulkAccess& bulk)
    : logger_(logger), bulk_(bulk) {}
ComponentThreads::~ComponentThreads() = default;

ComponentContext& ComponentThreads::contextFor(const std::string& className,
                                               const std::string& componentPath, uint32_t flags) {
  auto& slot = contexts_[className];
  if (!slot) slot = std::make_unique<ClassContext>(*this, componentPath, flags);
  return *slot;
}

ComponentThread& ComponentThreads::serialThreadFor(const std::string& componentPath) {
  auto& slot = serialThreads_[componentPath];
  if (!slot) slot = std::make_unique<ComponentThread>(componentPath);
  return *slot;
}

ComponentThread& ComponentThreads::nextConcurrentThread() {
  if (concurrentThreads_.size() < kConcurrentThreads) {
    concurrentThreads_.push_back(
        std::make_unique<ComponentThread>("concurrent-" + std::to_string(concurrentThreads_.size())));
    return *concurrentThreads_.back();
  }
  return *concurrentThreads_[nextConcurrent_++ % concurrentThreads_.size()];
}

LibraryThread& ComponentThreads::libraryThreadFor(const std::string& path, bool threadSafe) {
  if (threadSafe) {
    if (concurrentLibraryThreads_.size() < kConcurrentThreads) {
      concurrentLibraryThreads_.push_back(std::make_unique<LibraryThread>(
          "library-pool-" + std::to_string(concurrentLibraryThreads_.size())));
      return *concurrentLibraryThreads_.back();
    }
    return *concurrentLibraryThreads_[nextConcurrentLibrary_++ % concurrentLibraryThreads_.size()];
  }
  auto& slot = libraryThreads_[path];
  if (!slot) slot = std::make_unique<LibraryThread>(path);
  return *slot;
}

}  // namespace bitbridge
