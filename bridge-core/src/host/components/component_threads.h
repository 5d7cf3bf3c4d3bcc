// The threads component work is offloaded to (ComponentContext::offloadWork), and the context
// each class's instances see.
//
// Each loaded component gets one thread of its own, created on first use: work offloaded by
// any of its classes runs there in arrival order, one item at a time, because a legacy library
// is rarely thread-safe and often keeps global state. Classes flagged kClassConcurrent share a
// small pool instead, round-robin, so their work may overlap.
//
// Lifetime: owned by runHost, declared before the RPC system so that it outlives every
// instance and every call in flight. Destruction stops and joins idle threads; a thread still
// stuck in a legacy call is detached (the process is ending; joining would hang it).
// Thread assumptions: contextFor() and offloadWork() are called on the RPC thread only.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <kj/async.h>

#include "bitbridge/component.h"
#include "host/components/library_thread.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

/// One worker thread with its own KJ event loop; work arrives through its kj::Executor.
class ComponentThread {
 public:
  explicit ComponentThread(std::string name);
  ~ComponentThread();
  ComponentThread(const ComponentThread&) = delete;
  ComponentThread& operator=(const ComponentThread&) = delete;

  /// Runs `work` on this thread; resolves on the calling thread's loop.
  kj::Promise<void> run(kj::Function<void()> work);
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  const kj::Executor* executor_ = nullptr;
  kj::Own<kj::PromiseFulfiller<void>>* stop_ = nullptr;  // lives on the thread's stack
  // Shared with the work lambdas: a detached thread may still decrement it after we are gone.
  std::shared_ptr<std::atomic<int>> busy_ = std::make_shared<std::atomic<int>>(0);
  std::thread thread_;
};

class ComponentThreads {
 public:
  /// `logger` and `bulk` are what every context hands out; both must outlive this object.
  ComponentThreads(spdlog::logger& logger, BulkAccess& bulk);
  ~ComponentThreads();

  /// The context for instances of a class of `componentPath` with `flags` (one per class name,
  /// created on first use, stable address).
  ComponentContext& contextFor(const std::string& className, const std::string& componentPath,
                               uint32_t flags);

  /// Size of the pool shared by kClassConcurrent classes.
  static constexpr size_t kConcurrentThreads = 4;

  /// The thread of a library bound from its schema (c_binding.h), one per path, created on
  /// first use; `threadSafe`: the next of a pool of kConcurrentThreads instead, round-robin.
  LibraryThread& libraryThreadFor(const std::string& path, bool threadSafe);

 private:
  class ClassContext;
  ComponentThread& serialThreadFor(const std::string& componentPath);
  ComponentThread& nextConcurrentThread();

  spdlog::logger& logger_;
  BulkAccess& bulk_;
  std::map<std::string, std::unique_ptr<ComponentThread>> serialThreads_;  // by component
  std::vector<std::unique_ptr<ComponentThread>> concurrentThreads_;
  size_t nextConcurrent_ = 0;
  std::map<std::string, std::unique_ptr<ClassContext>> contexts_;  // by class name
  std::map<std::string, std::unique_ptr<LibraryThread>> libraryThreads_;  // by library path
  std::vector<std::unique_ptr<LibraryThread>> concurrentLibraryThreads_;
  size_t nextConcurrentLibrary_ = 0;
};

}  // namespace bitbridge
