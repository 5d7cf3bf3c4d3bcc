// The library thread's waits for a callback's answer (LibraryThread::serveUntil, used by
// host/bind/c_callbacks.cpp): calls queued meanwhile run on the same thread, re-entrantly, and a
// call whose caller went away stops waiting instead of holding the thread that dropped it.
// In-process: the test thread plays the host's RPC thread (a KJ event loop).
#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <kj/async-io.h>

#include "host/components/library_thread.h"

namespace bitbridge {
namespace {

void waitFor(const std::atomic<bool>& flag) {
  while (!flag.load()) std::this_thread::yield();
}

TEST(LibraryThread, ACallbackWaitServesCallsQueuedMeanwhileOnTheSameThread) {
  auto io = kj::setupAsyncIo();
  LibraryThread thread("unit");
  std::atomic<bool> waiting{false}, answered{false};
  std::thread::id outerThread, nestedThread;
  bool served = false;
  auto outer = thread.run([&] {
    outerThread = std::this_thread::get_id();
    EXPECT_EQ(LibraryThread::current(), &thread);
    waiting = true;
    served = thread.serveUntil([&] { return answered.load(); });  // a callback's wait
  });
  waitFor(waiting);
  // A call arriving while the outer one waits (a client calling from inside its callback).
  auto nested = thread.run([&] {
    nestedThread = std::this_thread::get_id();
    answered = true;  // as the callback's answer arriving would
    thread.wake();
  });
  nested.wait(io.waitScope);
  outer.wait(io.waitScope);
  EXPECT_TRUE(served);
  EXPECT_EQ(nestedThread, outerThread);
  EXPECT_EQ(LibraryThread::current(), nullptr);  // this thread is not a library thread
}

TEST(LibraryThread, ADroppedCallStopsItsCallbackWaitingAndTheDropReturns) {
  auto io = kj::setupAsyncIo();
  LibraryThread thread("unit");
  std::atomic<bool> waiting{false};
  std::atomic<int> served{-1};
  {
    auto call = thread.run([&] {
      waiting = true;
      served = thread.serveUntil([] { return false; }) ? 1 : 0;  // an answer that never comes
    });
    waitFor(waiting);
  }  // dropped (its client went away): must not wait forever for the callback
  EXPECT_EQ(served.load(), 0);
  // The thread serves on.
  bool ran = false;
  thread.run([&] { ran = true; }).wait(io.waitScope);
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace bitbridge
