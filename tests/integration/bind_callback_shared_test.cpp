// Host::bind with callbacks in a shared host (Linux: shared hosts are POSIX-only so far): two
// clients of one host share the library's state and thread, so one client's stored handler is
// fired by the other's call, and a client that dies while the library waits for its answer
// gives the library the declared default. The rest: bind_callback_test.cpp.
#include <signal.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "bind_callback.capnp.h"
#include "bitbridge/host.h"
#include "host_test_support.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

std::string callbackLibrary(Arch arch) { return testComponent("bind_callback_lib", arch); }

// Answers nothing: says it was called, then leaves the library waiting.
class Stalls final : public bindcb::Handler::Server {
 public:
  explicit Stalls(kj::Own<kj::PromiseFulfiller<void>> called) : called_(kj::mv(called)) {}
  kj::Promise<void> onEvent(OnEventContext) override {
    called_->fulfill();
    return kj::NEVER_DONE;
  }

 private:
  kj::Own<kj::PromiseFulfiller<void>> called_;
};

// Two clients of one shared host (two connections of this process): the library's state and
// thread are the host's, so one client's stored handler is fired by the other's call.
class BindCallbackShared : public ::testing::TestWithParam<Arch> {
 protected:
  HostOptions options() const {
    HostOptions o;
    o.component = testComponent("counter_component", GetParam());
    o.sharedName = name_;
    o.idleTimeout = std::chrono::milliseconds(300);
    return o;
  }
  void TearDown() override {
    for (int pid : test::sharedHostPids(name_)) {
      if (!test::waitUntilGone(pid, std::chrono::seconds(10))) {
        ADD_FAILURE() << "shared host " << pid << " did not exit on its idle timeout";
        ::kill(pid, SIGKILL);
      }
    }
  }
  test::PrivateRuntimeDir dir_;
  std::string name_ = "cb" + std::to_string(::getpid());
};

TEST_P(BindCallbackShared, AClientThatDiesWhileTheLibraryWaitsGivesItTheDefault) {
  std::string path = callbackLibrary(GetParam());
  Runtime runtime;
  auto dying = std::make_unique<Host>(Host::connectShared(runtime, options()));
  Host survivor = Host::connectShared(runtime, options());
  ASSERT_EQ(dying->pid(), survivor.pid());
  auto called = kj::newPromiseAndFulfiller<void>();
  // Its binding stays: the handler is called while its binding lives, so what ends it here is
  // the connection, as when a client process dies.
  auto dyingLib =
      std::make_unique<bindcb::BindCallbacks::Client>(dying->bind<bindcb::BindCallbacks>(path));
  auto set = dyingLib->setHandlerForeverRequest();
  set.setH(kj::heap<Stalls>(kj::mv(called.fulfiller)));
  dying->wait(set.send());
  auto lib = survivor.bind<bindcb::BindCallbacks>(path);
  auto fire = lib.fireRequest();
  fire.setEvent(7);
  auto firing = fire.send();
  survivor.wait(kj::mv(called.promise));  // the library now waits for the dying client
  dying.reset();                          // which goes: its connection closes
  dyingLib.reset();                       // (a capability of a closed connection: inert)
  Error e = expectError(ErrorKind::Remote, [&] { survivor.wait(kj::mv(firing)); });
  EXPECT_CONTAINS(e.message(), "BindCallbacks.fire");
  EXPECT_CONTAINS(e.message(), "callback Handler.onEvent");
  EXPECT_EQ(survivor.wait(lib.lastAnswerRequest().send()).getResult(), -1);  // the default
  // The host serves on, and the stale handler answers the default without a client to ask.
  auto again = lib.fireRequest();
  again.setEvent(8);
  EXPECT_EQ(survivor.wait(again.send()).getResult(), -1);
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, BindCallbackShared,
                         ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
