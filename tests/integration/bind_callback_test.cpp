// Host::bind with callbacks: C function pointers declared as Cap'n Proto interfaces, served by
// the client's own objects, in a real host of each bitness (from both test binaries: 64->32,
// 64->64, 32->64, 32->32). The library (bind_callback_lib.c) calls them many times in a call,
// nested (the callback calls the library again), stored and fired later from the library's own
// thread, after they were released, with a failing client; and the C library's own
// qsort/bsearch take a comparator bound from the schema alone. The same source runs in the
// Windows builds under Wine; a client dying while the library waits for it needs a shared host
// (bind_callback_shared_test.cpp, Linux).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <kj/debug.h>

#include "bind_callback.capnp.h"
#include "bitbridge/host.h"
#include "support/scoped_env.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

std::string callbackLibrary(Arch arch) { return testComponent("bind_callback_lib", arch); }

class Ascending final : public bindcb::Compare::Server {
 public:
  std::atomic<int> calls{0};
  kj::Promise<void> compare(CompareContext context) override {
    ++calls;
    auto p = context.getParams();
    context.getResults().setResult(p.getA() < p.getB() ? -1 : p.getA() > p.getB() ? 1 : 0);
    return kj::READY_NOW;
  }
};

class Times final : public bindcb::Unary::Server {
 public:
  explicit Times(int32_t k) : k_(k) {}
  kj::Promise<void> apply(ApplyContext context) override {
    context.getResults().setResult(context.getParams().getX() * k_);
    return kj::READY_NOW;
  }

 private:
  int32_t k_;
};

class StdcallTimes final : public bindcb::StdcallUnary::Server {
 public:
  kj::Promise<void> apply(ApplyContext context) override {
    context.getResults().setResult(context.getParams().getX() * 3);
    return kj::READY_NOW;
  }
};

class Throws final : public bindcb::Unary::Server {
 public:
  kj::Promise<void> apply(ApplyContext) override {
    KJ_FAIL_REQUIRE("the client's callback refuses this value");
  }
};

// Inside its callback, calls the library again (add, then currentThread): the nested calls
// must be served while the library is inside the outer call, on the same library thread.
class CallsBack final : public bindcb::Unary::Server {
 public:
  explicit CallsBack(bindcb::BindCallbacks::Client lib) : lib_(kj::mv(lib)) {}
  uint64_t innerThread = 0;
  kj::Promise<void> apply(ApplyContext context) override {
    auto add = lib_.addRequest();
    add.setA(context.getParams().getX());
    add.setB(100);
    return add.send().then([this, context](auto&& sum) mutable {
      int32_t value = sum.getResult();
      return lib_.currentThreadRequest().send().then([this, context, value](auto&& t) mutable {
        innerThread = t.getResult();
        context.getResults().setResult(value);
      });
    });
  }

 private:
  bindcb::BindCallbacks::Client lib_;
};

// Nests deeper: its callback calls `apply` of the library with another callback.
class ApplyAgain final : public bindcb::Unary::Server {
 public:
  explicit ApplyAgain(bindcb::BindCallbacks::Client lib) : lib_(kj::mv(lib)) {}
  kj::Promise<void> apply(ApplyContext context) override {
    auto inner = lib_.applyRequest();
    inner.setX(context.getParams().getX());
    inner.setF(kj::heap<Times>(10));
    return inner.send().then([context](auto&& r) mutable {
      context.getResults().setResult(r.getResult());  // 10x + 1
    });
  }

 private:
  bindcb::BindCallbacks::Client lib_;
};

class Greets final : public bindcb::Greeter::Server {
 public:
  std::string seen;
  kj::Promise<void> greet(GreetContext context) override {
    seen = context.getParams().getName();
    context.getResults().setResult(context.getParams().getTimes() + 0.25);
    return kj::READY_NOW;
  }
};

// Records the events it receives (possibly from a thread the library made).
// The events go to `sink`, which the test owns: the object itself goes when the host releases
// it.
class Events final : public bindcb::Handler::Server {
 public:
  Events(int32_t answer, std::vector<int32_t>& sink) : answer_(answer), sink_(sink) {}
  kj::Promise<void> onEvent(OnEventContext context) override {
    sink_.push_back(context.getParams().getEvent());
    context.getResults().setResult(answer_ + context.getParams().getEvent());
    return kj::READY_NOW;
  }

 private:
  int32_t answer_;
  std::vector<int32_t>& sink_;
};

class ElemAscending final : public bindcb::ElemCompare::Server {
 public:
  int calls = 0;
  kj::Promise<void> compare(CompareContext context) override {
    ++calls;
    int32_t a = context.getParams().getA().getV();
    int32_t b = context.getParams().getB().getV();
    context.getResults().setResult(a < b ? -1 : a > b ? 1 : 0);
    return kj::READY_NOW;
  }
};

class BindCallback : public ::testing::TestWithParam<Arch> {
 protected:
  BindCallback() {
    HostOptions options;
    options.legacyLibrary = callbackLibrary(GetParam());  // its header picks the host
    host = std::make_unique<Host>(Host::spawn(runtime, options));
    lib = std::make_unique<bindcb::BindCallbacks::Client>(
        host->bind<bindcb::BindCallbacks>(callbackLibrary(GetParam())));
  }
  template <typename Promise>
  auto wait(Promise&& promise) {
    return host->wait(kj::mv(promise));
  }
  int32_t fire(int32_t event) {
    auto req = lib->fireRequest();
    req.setEvent(event);
    return wait(req.send()).getResult();
  }
  int32_t lastAnswer() { return wait(lib->lastAnswerRequest().send()).getResult(); }

  Runtime runtime;
  std::unique_ptr<Host> host;
  std::unique_ptr<bindcb::BindCallbacks::Client> lib;
};

TEST_P(BindCallback, AComparatorIsCalledThousandsOfTimesInOneCall) {
  constexpr int32_t n = 100;  // reversed: n*(n-1)/2 = 4950 comparisons, each a round trip
  auto sort = lib->sortI32Request();
  auto xs = sort.initXs(n);
  for (int32_t i = 0; i < n; ++i) xs.set(i, n - i);
  auto comparator = kj::heap<Ascending>();
  Ascending& counted = *comparator;
  sort.setCmp(kj::mv(comparator));
  auto result = wait(sort.send());
  EXPECT_EQ(result.getResult(), n * (n - 1) / 2);
  EXPECT_EQ(counted.calls.load(), n * (n - 1) / 2);  // every comparison reached the client
  ASSERT_EQ(result.getXs().size(), uint32_t(n));
  for (int32_t i = 0; i < n; ++i) EXPECT_EQ(result.getXs()[i], i + 1);
}

TEST_P(BindCallback, ArgumentsAndReturnValuesOfEveryKindCross) {
  auto apply = lib->applyRequest();
  apply.setX(7);
  apply.setF(kj::heap<Times>(6));
  EXPECT_EQ(wait(apply.send()).getResult(), 43);  // f(7) + 1

  auto greeter = kj::heap<Greets>();
  Greets& seen = *greeter;
  auto greet = lib->greetRequest();
  greet.setG(kj::mv(greeter));
  greet.setName("Ada");
  EXPECT_DOUBLE_EQ(wait(greet.send()).getResult(), (3 + 0.25) * 2.0);  // const char*, uint8_t, double
  EXPECT_EQ(seen.seen, "Ada");

  // A $nullable callback left unset is NULL for the library.
  auto none = lib->applyMaybeRequest();
  none.setX(1);
  EXPECT_EQ(wait(none.send()).getResult(), -200);
  // Not $nullable: refused before the library is called (it would crash on NULL).
  auto unset = lib->applyRequest();
  unset.setX(1);
  Error refused = expectError(ErrorKind::BadConfiguration, [&] { wait(unset.send()); });
  EXPECT_CONTAINS(refused.message(), "BindCallbacks.apply: parameter 'f' is not set");
}

TEST_P(BindCallback, AStdcallCallbackIsCalledWithItsConvention) {
  // On a 32-bit host the library calls it __stdcall (callee pops): a cdecl closure would leave
  // the stack 4 bytes off. A 64-bit host has one convention and ignores $stdcall.
  for (int32_t x : {1, 5, -9}) {
    auto apply = lib->applyStdcallRequest();
    apply.setX(x);
    apply.setF(kj::heap<StdcallTimes>());
    EXPECT_EQ(wait(apply.send()).getResult(), 3 * x + 1000);
  }
}

TEST_P(BindCallback, ACallbackCallsTheLibraryAgainOnTheSameThread) {
  uint64_t libraryThread = wait(lib->currentThreadRequest().send()).getResult();
  auto callsBack = kj::heap<CallsBack>(*lib);
  CallsBack& inner = *callsBack;
  auto apply = lib->applyRequest();
  apply.setX(5);
  apply.setF(kj::mv(callsBack));
  EXPECT_EQ(wait(apply.send()).getResult(), 5 + 100 + 1);
  // Served re-entrantly by the thread that was inside the library, waiting for the callback.
  EXPECT_EQ(inner.innerThread, libraryThread);

  // Two levels: apply -> client -> apply -> client.
  auto twice = lib->applyRequest();
  twice.setX(4);
  twice.setF(kj::heap<ApplyAgain>(*lib));
  EXPECT_EQ(wait(twice.send()).getResult(), (4 * 10 + 1) + 1);
}

TEST_P(BindCallback, AStoredHandlerGetsTheHostsContextAndIsFiredLater) {
  std::vector<int32_t> events;
  auto set = lib->setHandlerRequest();
  set.setH(kj::heap<Events>(1000, events));
  wait(set.send());
  // The library holds a context for it: the host's, which the client never saw.
  EXPECT_EQ(wait(lib->hasUserRequest().send()).getResult(), 1);

  EXPECT_EQ(fire(1), 1001);  // from a later call, on the library's thread
  EXPECT_EQ(fire(2), 1002);

  // From a thread the library starts itself, after its call has returned.
  auto later = lib->fireFromThreadRequest();
  later.setEvent(3);
  later.setDelayMs(50);
  EXPECT_EQ(wait(later.send()).getResult(), 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (wait(lib->threadFiresRequest().send()).getResult() < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(wait(lib->threadFiresRequest().send()).getResult(), 1);
  EXPECT_EQ(lastAnswer(), 1003);
  EXPECT_EQ(events, (std::vector<int32_t>{1, 2, 3}));

  // Released by clearHandler ($releasedBy): an event still in flight gets the default (-1),
  // and the client's object is not called.
  wait(lib->clearHandlerRequest().send());
  EXPECT_EQ(fire(4), -100);  // the library forgot it
  auto stale = lib->fireStaleRequest();
  stale.setEvent(5);
  EXPECT_EQ(wait(stale.send()).getResult(), -1);
  EXPECT_EQ(events.size(), 3u);
}

TEST_P(BindCallback, ReleasedHandlersAreFreedOnceTheirGracePeriodIsOver) {
  // Registering and unregistering a handler over and over must not grow the host: each
  // released closure is freed after BITBRIDGE_CALLBACK_GRACE_MS (here 0), which the host's
  // debug log counts. A host of our own, started with both settings in its environment.
  test::ScopedEnv grace("BITBRIDGE_CALLBACK_GRACE_MS", "0");
  test::ScopedEnv level("BITBRIDGE_LOG", "debug");
  HostOptions options;
  options.legacyLibrary = callbackLibrary(GetParam());
  Host own = Host::spawn(runtime, options);
  auto bound = own.bind<bindcb::BindCallbacks>(callbackLibrary(GetParam()));
  std::vector<int32_t> events;
  constexpr int kCycles = 300;
  for (int i = 0; i < kCycles; ++i) {
    auto set = bound.setHandlerRequest();
    set.setH(kj::heap<Events>(i * 10, events));
    own.wait(set.send());
    auto fire = bound.fireRequest();
    fire.setEvent(1);
    ASSERT_EQ(own.wait(fire.send()).getResult(), i * 10 + 1) << "cycle " << i;
    own.wait(bound.clearHandlerRequest().send());
  }
  auto fire = bound.fireRequest();
  fire.setEvent(1);
  EXPECT_EQ(own.wait(fire.send()).getResult(), -100);  // the library forgot the last one
  EXPECT_EQ(events.size(), size_t(kCycles));

  const std::string expected = "(" + std::to_string(kCycles) + " in all); 0 in their grace period";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (own.logTail().find(expected) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(own.logTail().find(expected), std::string::npos) << own.logTail();
}

TEST_P(BindCallback, AHandlerFiredAfterItsBindingIsGoneAnswersTheDefault) {
  // A second binding of the same library (its state is shared, as a library's globals are)
  // registers a handler that lives until the host exits, then goes away.
  std::vector<int32_t> events;
  {
    auto other = host->bind<bindcb::BindCallbacks>(callbackLibrary(GetParam()));
    auto set = other.setHandlerForeverRequest();
    set.setH(kj::heap<Events>(500, events));
    wait(set.send());
    EXPECT_EQ(fire(1), 501);
  }
  // Let the release reach the host (the next call is ordered after it on this connection).
  EXPECT_EQ(wait(lib->currentThreadRequest().send()).getResult() != 0, true);
  EXPECT_EQ(fire(2), -1);  // the default, from a closure that outlived its binding
  EXPECT_EQ(events, (std::vector<int32_t>{1}));  // without calling the released object
  // From the library's own thread too: no crash, no hang.
  auto later = lib->fireFromThreadRequest();
  later.setEvent(3);
  later.setDelayMs(1);
  EXPECT_EQ(wait(later.send()).getResult(), 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (wait(lib->threadFiresRequest().send()).getResult() < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(lastAnswer(), -1);
}

TEST_P(BindCallback, AThrowingCallbackGivesTheLibraryItsDefaultAndTheClientAnError) {
  auto apply = lib->applyRequest();
  apply.setX(3);
  apply.setF(kj::heap<Throws>());
  Error e = expectError(ErrorKind::Remote, [&] { wait(apply.send()); });
  EXPECT_CONTAINS(e.message(), "BindCallbacks.apply");
  EXPECT_CONTAINS(e.message(), "callback Unary.apply");
  EXPECT_CONTAINS(e.message(), "the client's callback refuses this value");
  EXPECT_EQ(lastAnswer(), -1);  // the declared default reached the library

  // The host serves on.
  auto again = lib->applyRequest();
  again.setX(2);
  again.setF(kj::heap<Times>(2));
  EXPECT_EQ(wait(again.send()).getResult(), 5);
}

TEST_P(BindCallback, MalformedCallbackDeclarationsAreRefusedNamingMethodAndParameter) {
  std::string path = callbackLibrary(GetParam());
  Error two = expectError(ErrorKind::BadConfiguration,
                          [&] { host->bind<bindcb::TwoMethodCallback>(path); });
  EXPECT_CONTAINS(two.message(), "TwoMethodCallback.f: parameter 'cb'");
  EXPECT_CONTAINS(two.message(), "must have exactly one method");
  Error list = expectError(ErrorKind::BadConfiguration,
                           [&] { host->bind<bindcb::CallbackListParam>(path); });
  EXPECT_CONTAINS(list.message(), "CallbackListParam.f: parameter 'cb', callback ListParam.f "
                                  "parameter 'xs'");
  Error released = expectError(ErrorKind::BadConfiguration,
                               [&] { host->bind<bindcb::ReleasedByNothing>(path); });
  EXPECT_CONTAINS(released.message(), "ReleasedByNothing.f: parameter 'cb'");
  EXPECT_CONTAINS(released.message(), "$releasedBy(\"nope\") names no method");
  Error user = expectError(ErrorKind::BadConfiguration,
                           [&] { host->bind<bindcb::UserForNothing>(path); });
  EXPECT_CONTAINS(user.message(), "UserForNothing.f: parameter 'user'");
  Error hostThread = expectError(ErrorKind::BadConfiguration,
                                 [&] { host->bind<bindcb::CallbackOnHostThread>(path); });
  EXPECT_CONTAINS(hostThread.message(), "CallbackOnHostThread.f: parameter 'cb'");
  EXPECT_CONTAINS(hostThread.message(), "$calls(host)");
  EXPECT_EQ(wait(lib->currentThreadRequest().send()).getResult() != 0, true);  // serves on
}

// The C library's qsort and bsearch (libc.so.6 of the host's bitness, msvcrt.dll on Windows),
// which nobody on the team wrote, with a comparator that receives const void* pointers to the
// elements.
TEST_P(BindCallback, TheCLibrarysQsortAndBsearchTakeTheClientsComparator) {
  auto sorter = host->bind<bindcb::LibcSort>(test::systemCLibrary(GetParam()));
  std::vector<int32_t> input{42, -7, 19, 0, 3, 3, 1000, -250, 8, 1};
  auto qsort = sorter.qsortRequest();
  auto base = qsort.initBase(static_cast<unsigned>(input.size()));
  for (size_t i = 0; i < input.size(); ++i) base.set(static_cast<unsigned>(i), input[i]);
  qsort.setSize(4);
  auto comparator = kj::heap<ElemAscending>();
  ElemAscending& counted = *comparator;
  qsort.setCmp(kj::mv(comparator));
  auto response = wait(qsort.send());  // owns the message `sorted` reads from
  auto sorted = response.getBase();
  std::vector<int32_t> expected = input;
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(sorted.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(sorted[unsigned(i)], expected[i]);
  EXPECT_GE(counted.calls, int(input.size()) - 1);

  for (int32_t key : {19, 5}) {
    auto search = sorter.bsearchRequest();
    search.initKey().setV(key);
    auto list = search.initBase(static_cast<unsigned>(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) list.set(unsigned(i), expected[i]);
    search.setSize(4);
    search.setCmp(kj::heap<ElemAscending>());
    uint64_t found = wait(search.send()).getResult();  // a pointer into the array, or NULL
    if (key == 19) {
      EXPECT_NE(found, 0u);
    } else {
      EXPECT_EQ(found, 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, BindCallback, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
