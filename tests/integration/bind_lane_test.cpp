// HostOptions::fastLane: bound calls through a shared-memory call slot instead of RPC, with real
// hosts of both bitnesses (64->32, 64->64, 32->64, 32->32 across the two test binaries), on
// Linux and under Wine (the same source in the Windows bind suite). The
// library (components/bind_lane_lib.c) reports which thread ran a call, the order calls came
// in and how many were inside it at once, so that what is checked is the path a call took, the
// results the C code computed, the order across the lane and RPC, and the threading rule; then
// death, deadlines and the option's refusals.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "bind_lane.capnp.h"
#include "bitbridge/host.h"
#include "support/hard_kill.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;
using Clock = std::chrono::steady_clock;

std::string laneLibrary(Arch arch) { return testComponent("bind_lane_lib", arch); }

class BindLane : public ::testing::TestWithParam<Arch> {
 protected:
  void start(HostOptions options = {}) {
    options.legacyLibrary = laneLibrary(GetParam());
    options.fastLane = true;
    host = std::make_unique<Host>(Host::spawn(runtime, options));
    lib = std::make_unique<bindlane::Lane::Client>(bind());
  }
  bindlane::Lane::Client bind() { return host->bind<bindlane::Lane>(laneLibrary(GetParam())); }
  template <typename Promise>
  auto wait(Promise&& promise) {
    return host->wait(kj::mv(promise));
  }
  int64_t laneThread(bindlane::Lane::Client& object) {
    return wait(object.threadIdRequest().send()).getResult();
  }
  int64_t rpcThread(bindlane::Lane::Client& object) {
    return wait(object.threadIdByRpcRequest().send()).getResult();
  }

  Runtime runtime;
  std::unique_ptr<Host> host;
  std::unique_ptr<bindlane::Lane::Client> lib;  // noexcept fixture destructor: held by pointer
};

TEST_P(BindLane, LaneCallsRunOnTheLaneThreadAndOthersByRpc) {
  start();
  EXPECT_EQ(wait(lib->pointerBitsRequest().send()).getResult(),
            GetParam() == Arch::x86 ? 32 : 64);
  int64_t lane = laneThread(*lib);
  int64_t rpc = rpcThread(*lib);
  EXPECT_NE(lane, rpc) << "a plain call and a Bulk.BulkRef call ran on the same thread: the lane "
                          "was not used";
  EXPECT_EQ(laneThread(*lib), lane);  // one lane thread per connection
  EXPECT_EQ(rpcThread(*lib), rpc);    // the library's own thread
}

TEST_P(BindLane, WithoutTheOptionEverythingRunsOnTheLibraryThread) {
  HostOptions options;
  options.legacyLibrary = laneLibrary(GetParam());
  host = std::make_unique<Host>(Host::spawn(runtime, options));
  lib = std::make_unique<bindlane::Lane::Client>(bind());
  EXPECT_EQ(laneThread(*lib), rpcThread(*lib));
}

TEST_P(BindLane, ResultsAreTheLibrarysOwn) {
  start();
  auto add = lib->addRequest();
  add.setA(-7);
  add.setB(49);
  EXPECT_EQ(wait(add.send()).getResult(), 42);

  // 1000 doubles in and out: scaled by the C code in the host.
  auto scale = lib->scaleRequest();
  scale.setK(-2.5);
  auto xin = scale.initXin(1000);
  for (unsigned i = 0; i < 1000; ++i) xin.set(i, i * 0.25 - 3);
  auto scaled = wait(scale.send());
  ASSERT_EQ(scaled.getXout().size(), 1000u);
  for (unsigned i = 0; i < 1000; ++i) EXPECT_DOUBLE_EQ(scaled.getXout()[i], -2.5 * (i * 0.25 - 3));

  auto greet = lib->greetRequest();
  greet.setName("lane");
  greet.setCap(32);
  auto greeted = wait(greet.send());
  EXPECT_EQ(greeted.getResult(), 11);
  EXPECT_EQ(std::string(greeted.getOut().cStr()), "hello, lane");

  auto fill = lib->fillRequest();
  fill.setLen(3000);
  fill.setValue(0xA5);
  auto fillResponse = wait(fill.send());  // the response owns what getOut() reads
  auto filled = fillResponse.getOut();
  ASSERT_EQ(filled.size(), 3000u);
  for (auto byte : filled) ASSERT_EQ(byte, 0xA5);

  auto fail = lib->failWithRequest();
  fail.setCode(EDOM);
  auto failed = wait(fail.send());
  EXPECT_EQ(failed.getResult(), -1);
  EXPECT_EQ(failed.getErrno(), EDOM);  // errno read on the lane thread, right after the call

  wait(lib->nothingRequest().send());
}

TEST_P(BindLane, CallsStayInOrderAcrossLaneAndRpc) {
  start();
  // Sent without waiting, alternating paths, in runs of different lengths.
  std::vector<kj::Promise<void>> calls;
  int32_t expected = 0;
  for (int32_t i = 0; i < 60; ++i) {
    bool byRpc = (i % 7) < 3;
    if (byRpc) {
      auto request = lib->appendByRpcRequest();
      request.setV(expected++);
      calls.push_back(request.send().ignoreResult());
    } else {
      auto request = lib->appendRequest();
      request.setV(expected++);
      calls.push_back(request.send().ignoreResult());
    }
  }
  for (auto& call : calls) wait(kj::mv(call));
  auto log = lib->logRequest();
  log.setN(expected);
  auto logResponse = wait(log.send());  // the response owns what getOut() reads
  auto got = logResponse.getOut();
  ASSERT_EQ(got.size(), static_cast<unsigned>(expected));
  for (int32_t i = 0; i < expected; ++i) EXPECT_EQ(got[i], i) << "call " << i << " out of order";
}

// Requests are built ahead and sent in another order, by both paths: they run in the order
// they were sent. The lane's fast path is taken in send() itself, so a lane call sent right
// after an RPC call that has not reached the host yet must still wait for it.
TEST_P(BindLane, RequestsRunInTheOrderTheyAreSentNotBuilt) {
  start();
  auto laneFirstBuilt = lib->appendRequest();
  laneFirstBuilt.setV(1);
  auto rpcBuiltSecond = lib->appendByRpcRequest();
  rpcBuiltSecond.setV(0);
  std::vector<kj::Promise<void>> calls;
  calls.push_back(rpcBuiltSecond.send().ignoreResult());  // not yet at the host
  calls.push_back(laneFirstBuilt.send().ignoreResult());  // must come after it
  for (int32_t v = 2; v < 6; ++v) {  // then lane calls back to back, the last few fast again
    auto request = lib->appendRequest();
    request.setV(v);
    calls.push_back(request.send().ignoreResult());
  }
  for (auto& call : calls) wait(kj::mv(call));
  auto again = lib->appendRequest();
  again.setV(6);
  wait(again.send());
  auto log = lib->logRequest();
  log.setN(7);
  auto logResponse = wait(log.send());
  auto got = logResponse.getOut();
  ASSERT_EQ(got.size(), 7u);
  for (int32_t i = 0; i < 7; ++i) EXPECT_EQ(got[i], i) << "call " << i << " out of order";
}

// A request is built right in the slot when the lane is free (client/lane_params_builder.h).
// One dropped unsent leaves nothing behind: the next request built there starts from zeroed
// words, so a list whose elements are never set reads as zeros in the library.
TEST_P(BindLane, ARequestDroppedInTheSlotLeavesNothingBehind) {
  start();
  {
    auto dropped = lib->scaleRequest();
    dropped.setK(3);
    auto xin = dropped.initXin(1000);
    for (unsigned i = 0; i < 1000; ++i) xin.set(i, 1.0 + i);
  }  // never sent
  auto unset = lib->scaleRequest();
  unset.setK(3);
  unset.initXin(1000);  // elements left unset: zero
  auto scaled = wait(unset.send());
  ASSERT_EQ(scaled.getXout().size(), 1000u);
  for (unsigned i = 0; i < 1000; ++i) ASSERT_EQ(scaled.getXout()[i], 0.0) << "element " << i;
}

// Two requests built side by side: the first in the slot, the second (the slot is lent) in a
// message of its own. Sent in the other order, each call gets its own params and its own
// answer, and an answer stays the library's while later calls reuse the slot.
TEST_P(BindLane, RequestsBuiltSideBySideKeepTheirOwnParamsAndAnswers) {
  start();
  auto first = lib->scaleRequest();
  first.setK(2);
  auto a = first.initXin(500);
  for (unsigned i = 0; i < 500; ++i) a.set(i, i);
  auto second = lib->scaleRequest();
  second.setK(-1);
  auto b = second.initXin(700);
  for (unsigned i = 0; i < 700; ++i) b.set(i, i + 0.5);
  auto secondSent = second.send();  // while the first still holds the slot
  auto firstSent = first.send();
  auto secondScaled = wait(kj::mv(secondSent));
  auto firstScaled = wait(kj::mv(firstSent));
  ASSERT_EQ(firstScaled.getXout().size(), 500u);
  ASSERT_EQ(secondScaled.getXout().size(), 700u);
  for (unsigned i = 0; i < 500; ++i) ASSERT_EQ(firstScaled.getXout()[i], 2.0 * i) << i;
  for (unsigned i = 0; i < 700; ++i) ASSERT_EQ(secondScaled.getXout()[i], -(i + 0.5)) << i;
  for (int32_t n = 0; n < 3; ++n) {  // more lane calls through the same slot
    auto scale = lib->scaleRequest();
    scale.setK(10);
    auto xs = scale.initXin(1000);
    for (unsigned i = 0; i < 1000; ++i) xs.set(i, 7);
    EXPECT_EQ(wait(scale.send()).getXout()[999], 70.0);
  }
  EXPECT_EQ(firstScaled.getXout()[499], 998.0);
  EXPECT_EQ(secondScaled.getXout()[699], -699.5);
}

TEST_P(BindLane, ALibraryThatIsNotThreadSafeSeesOneCallAtATime) {
  start();
  // Two objects of the same library: their calls are not ordered against each other, so the
  // lane thread (object b) and the library thread (object a, by RPC) run them at the same time
  // unless the library's call gate holds them apart.
  auto other = std::make_unique<bindlane::Lane::Client>(bind());
  std::vector<kj::Promise<void>> calls;
  for (int i = 0; i < 6; ++i) {
    auto byRpc = lib->insideByRpcRequest();
    byRpc.setMs(15);
    calls.push_back(byRpc.send().ignoreResult());
    auto byLane = other->insideRequest();
    byLane.setMs(15);
    calls.push_back(byLane.send().ignoreResult());
  }
  for (auto& call : calls) wait(kj::mv(call));
  EXPECT_EQ(wait(lib->maxInsideRequest().send()).getResult(), 1);
  // And the two paths did run on two threads (so the test could have failed).
  EXPECT_NE(laneThread(*other), rpcThread(*lib));
}

TEST_P(BindLane, AHostKilledMidCallFailsTheCallWithin250Ms) {
  start();
  auto sleep = lib->sleepMsRequest();
  sleep.setMs(20000);
  auto call = sleep.send();
  uint32_t pid = host->pid();
  Clock::time_point killedAt;
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    killedAt = Clock::now();
    test::hardKill(pid);
  });
  Error error = expectError(ErrorKind::Disconnected, [&] { wait(kj::mv(call)); });
  auto noticed = Clock::now();
  killer.join();
  EXPECT_LT(noticed - killedAt, std::chrono::milliseconds(250));
  EXPECT_CONTAINS(std::string(error.what()), test::kHardKillReport);
  EXPECT_FALSE(host->running());
  // Later calls fail at once too; nothing hangs.
  expectError(ErrorKind::Disconnected, [&] { wait(lib->addRequest().send()); });
}

TEST_P(BindLane, ACallTimeoutFailsTheWaitAndLaterCallsQueueBehind) {
  HostOptions options;
  options.callTimeout = std::chrono::milliseconds(100);
  start(options);
  auto sleep = lib->sleepMsRequest();
  sleep.setMs(400);
  auto began = Clock::now();
  expectError(ErrorKind::TimedOut, [&] { wait(sleep.send()); });
  EXPECT_LT(Clock::now() - began, std::chrono::milliseconds(350));
  // The host is still in the call: the next one waits for the slot, then runs.
  auto add = lib->addRequest();
  add.setA(1);
  add.setB(2);
  EXPECT_EQ(host->wait(add.send(), std::chrono::milliseconds(5000)).getResult(), 3);
  EXPECT_GE(Clock::now() - began, std::chrono::milliseconds(390));
}

TEST_P(BindLane, ACallTimeoutWithKillHostEndsTheHost) {
  HostOptions options;
  options.callTimeout = std::chrono::milliseconds(100);
  options.onCallTimeout = OnCallTimeout::KillHost;
  start(options);
  auto sleep = lib->sleepMsRequest();
  sleep.setMs(20000);
  auto began = Clock::now();
  Error error = expectError(ErrorKind::TimedOut, [&] { wait(sleep.send()); });
  EXPECT_LT(Clock::now() - began, std::chrono::milliseconds(2000));
  EXPECT_CONTAINS(std::string(error.what()), "killed as hung");
  EXPECT_FALSE(host->running());
}

TEST_P(BindLane, ParamsTooLargeForTheSlotGoByRpc) {
  HostOptions options;
  options.fastLaneAreaBytes = 4096;
  start(options);
  auto scale = lib->scaleRequest();  // 8 KB of params: more than the area
  scale.setK(2);
  auto xin = scale.initXin(1000);
  for (unsigned i = 0; i < 1000; ++i) xin.set(i, i);
  auto scaled = wait(scale.send());
  ASSERT_EQ(scaled.getXout().size(), 1000u);
  EXPECT_DOUBLE_EQ(scaled.getXout()[999], 1998);
  EXPECT_EQ(wait(lib->addRequest().send()).getResult(), 0);  // the lane still serves
}

TEST_P(BindLane, ResultsTooLargeForTheSlotFailTheCallAndTheLaneServesOn) {
  HostOptions options;
  options.fastLaneAreaBytes = 4096;
  start(options);
  auto fill = lib->fillRequest();
  fill.setLen(100000);
  fill.setValue(1);
  Error error = expectError(ErrorKind::Overloaded, [&] { wait(fill.send()); });
  EXPECT_CONTAINS(std::string(error.what()), "fastLaneAreaBytes");
  auto add = lib->addRequest();
  add.setA(20);
  add.setB(22);
  EXPECT_EQ(wait(add.send()).getResult(), 42);
}

INSTANTIATE_TEST_SUITE_P(Hosts, BindLane, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

TEST(BindLaneOption, SharedHostsRefuseIt) {
  Runtime runtime;
  HostOptions options;
  options.fastLane = true;
  options.sharedName = "lane-refused";
  options.legacyLibrary = laneLibrary(Arch::x86_64);
  Error error = expectError(ErrorKind::BadConfiguration,
                            [&] { Host::connectShared(runtime, options); });
  EXPECT_CONTAINS(std::string(error.what()), "fastLane");
}

TEST(BindLaneOption, AnAreaSizeOutOfRangeIsRefusedAtBind) {
  Runtime runtime;
  HostOptions options;
  options.fastLane = true;
  options.fastLaneAreaBytes = 1000;
  options.legacyLibrary = laneLibrary(Arch::x86_64);
  Host host = Host::spawn(runtime, options);
  Error error = expectError(ErrorKind::BadConfiguration, [&] {
    host.bind<bindlane::Lane>(laneLibrary(Arch::x86_64));
  });
  EXPECT_CONTAINS(std::string(error.what()), "fastLaneAreaBytes");
}

}  // namespace
}  // namespace bitbridge
