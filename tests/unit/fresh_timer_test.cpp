// fresh_timer.h: timers that count from the moment they are armed, and deadlines that lose to
// an answer which arrived while the thread was away from its event loop.
// Portable: built and run in the Linux builds and, under Wine, in the Windows builds (the OS
// pipe of kj::setupAsyncIo is a socketpair on the epoll port, a pipe on the IOCP port).
#include "common/fresh_timer.h"

#include <chrono>
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <kj/async-io.h>

namespace bitbridge {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

milliseconds since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

class FreshTimer : public ::testing::Test {
 protected:
  FreshTimer() {
    io.provider->getTimer().afterDelay(1 * kj::MILLISECONDS).wait(io.waitScope);
  }
  kj::Timer& timer() { return io.provider->getTimer(); }
  // Behind a pointer: its destructor may throw, which gtest's noexcept one cannot host.
  std::unique_ptr<kj::AsyncIoContext> context =
      std::make_unique<kj::AsyncIoContext>(kj::setupAsyncIo());
  kj::AsyncIoContext& io = *context;
};

// The premise: KJ's own afterDelay counts from the loop's cached time, so after a thread was
// away for longer than the delay it fires at once. (If KJ ever stops doing this, the helpers
// are still right, merely no longer needed.)
TEST_F(FreshTimer, KjAfterDelayCountsFromTheLastLoopTurn) {
  std::this_thread::sleep_for(milliseconds(300));
  auto start = steady_clock::now();
  timer().afterDelay(200 * kj::MILLISECONDS).wait(io.waitScope);
  EXPECT_LT(since(start), milliseconds(100));
}

TEST_F(FreshTimer, AfterDelayFromNowCountsFromTheCall) {
  std::this_thread::sleep_for(milliseconds(300));
  auto start = steady_clock::now();
  afterDelayFromNow(timer(), 200 * kj::MILLISECONDS).wait(io.waitScope);
  EXPECT_GE(since(start), milliseconds(200));
  EXPECT_LT(since(start), milliseconds(1000));
}

TEST_F(FreshTimer, DeadlineFromNowCountsFromTheCall) {
  std::this_thread::sleep_for(milliseconds(300));
  auto start = steady_clock::now();
  deadlineFromNow(timer(), 200 * kj::MILLISECONDS).wait(io.waitScope);
  EXPECT_GE(since(start), milliseconds(200));
  EXPECT_LT(since(start), milliseconds(1000));
}

TEST_F(FreshTimer, AnAnswerThatArrivedWhileAwayBeatsTheDeadline) {
  // The deadline is armed, then the thread leaves the loop for longer than it; meanwhile the
  // answer arrives, written by another thread (as a host writes from another process) through
  // the OS. Both are ready at the next poll: the answer must win.
  auto peer = io.provider->newPipeThread(
      [](kj::AsyncIoProvider&, kj::AsyncIoStream& stream, kj::WaitScope& waitScope) {
        std::this_thread::sleep_for(milliseconds(50));  // the main thread is away by now
        stream.write("x", 1).wait(waitScope);
        char done = 0;  // stay until the main thread has read it (its end closes: EOF)
        stream.tryRead(&done, 1, 1).wait(waitScope);
      });
  char byte = 0;
  auto read = peer.pipe->tryRead(&byte, 1, 1);
  auto expired = deadlineFromNow(timer(), 100 * kj::MILLISECONDS).then([]() -> size_t {
    return 0;
  });
  auto race = read.exclusiveJoin(kj::mv(expired));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(race.wait(io.waitScope), 1u) << "the deadline won over an answer already there";
  EXPECT_EQ(byte, 'x');
}

TEST_F(FreshTimer, ADeadlineWithNoAnswerStillExpires) {
  auto pipe = io.provider->newTwoWayPipe();
  char byte = 0;
  auto start = steady_clock::now();
  auto race = pipe.ends[0]->tryRead(&byte, 1, 1).exclusiveJoin(
      deadlineFromNow(timer(), 100 * kj::MILLISECONDS).then([]() -> size_t { return 0; }));
  EXPECT_EQ(race.wait(io.waitScope), 0u);
  EXPECT_GE(since(start), milliseconds(100));
}

}  // namespace
}  // namespace bitbridge
