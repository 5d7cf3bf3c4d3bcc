// loop_inbox.h: work posted from other threads runs on the loop's thread, in order, without the
// posters ever waiting; after close() posts are refused and queued work is dropped unrun (its
// captures destroyed, which is how a waiting poster learns of it).
// Portable: built in the Linux builds (the COM apartment that uses it is Windows-only).
#include "host/com/loop_inbox.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <kj/async-io.h>

namespace bitbridge {
namespace {

TEST(LoopInbox, RunsWorkFromOtherThreadsOnTheLoopInOrder) {
  auto io = kj::setupAsyncIo();
  auto inbox = std::make_shared<LoopInbox>();
  auto served = inbox->serve().eagerlyEvaluate(nullptr);
  const auto loopThread = std::this_thread::get_id();
  std::vector<int> ran;
  bool onLoop = true;
  std::thread poster([&] {
    for (int i = 0; i < 100; ++i) {
      EXPECT_TRUE(inbox->post([&, i] {
        onLoop = onLoop && std::this_thread::get_id() == loopThread;
        ran.push_back(i);
      }));
    }
  });
  poster.join();
  // Everything posted so far runs within a few turns of the loop.
  for (int turn = 0; turn < 100 && ran.size() < 100; ++turn) {
    io.provider->getTimer().afterDelay(1 * kj::MILLISECONDS).wait(io.waitScope);
  }
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[i], i);
  EXPECT_TRUE(onLoop);
  served = nullptr;
  inbox->close();
}

TEST(LoopInbox, AfterCloseWorkIsRefusedAndQueuedWorkIsDroppedUnrun) {
  auto io = kj::setupAsyncIo();
  auto inbox = std::make_shared<LoopInbox>();
  auto served = inbox->serve().eagerlyEvaluate(nullptr);
  struct Guard {
    explicit Guard(std::atomic<int>* counter) : destroyed(counter) {}
    ~Guard() { ++*destroyed; }
    std::atomic<int>* destroyed;
  };
  std::atomic<int> destroyed{0};
  bool ran = false;
  // Queued, then the loop never turns before close(): dropped, its capture destroyed.
  auto guard = std::make_shared<Guard>(&destroyed);
  EXPECT_TRUE(inbox->post([guard, &ran] { ran = true; }));
  guard.reset();
  served = nullptr;
  inbox->close();
  EXPECT_EQ(destroyed.load(), 1);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(inbox->post([&ran] { ran = true; }));
  EXPECT_FALSE(ran);
  inbox->close();  // idempotent
}

}  // namespace
}  // namespace bitbridge
