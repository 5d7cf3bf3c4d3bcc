// The client side of COM objects, portable: early binding (ComObject::as<T>(), the schema
// import-typelib wrote for the Windows tests' server, tests/windows/com_inproc/sample.tlb.capnp)
// and events (ComObject::advise) against a Dispatch capability served in this process by a fake
// that records what it is asked and answers like the sample server. The real COM host is tested
// under Wine (tests/windows/com_typed_test.cpp, com_events_test.cpp); here the conversions and
// the event sink run in the Linux builds, under the sanitizers too. A Host is spawned only
// because a ComObject waits through one.
#include <gtest/gtest.h>
#include <kj/debug.h>

#include <string>
#include <vector>

#include "bitbridge/com.capnp.h"
#include "bitbridge/com.h"
#include "bitbridge/host.h"
#include "sample.tlb.capnp.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;

std::string utf8(capnp::List<uint16_t>::Reader units) {
  std::string out;
  for (auto u : units) out += static_cast<char>(u);  // ASCII in these tests
  return out;
}

void setText(proto::Variant::Builder out, const std::string& text) {
  auto units = out.initBstr(static_cast<unsigned>(text.size()));
  for (unsigned i = 0; i < text.size(); ++i) units.set(i, static_cast<uint8_t>(text[i]));
}

// Answers like the sample server: Add, Twice (ByRef), Concat (optional b), Name get/put,
// MakeItems (an object), Count; FireTicks calls the advised sink `count` times, waiting for each.
class FakeDispatch final : public proto::Dispatch::Server {
 public:
  std::vector<std::string>* calls;
  std::string name;
  kj::Maybe<proto::EventSink::Client> sink;
  explicit FakeDispatch(std::vector<std::string>* calls) : calls(calls) {}

 protected:
  kj::Promise<void> invoke(InvokeContext context) override {
    auto params = context.getParams();
    std::string member = params.getName();
    auto args = params.getArgs();
    calls->push_back(member + "/" + std::to_string(static_cast<int>(params.getKind())) + "/" +
                     std::to_string(args.size()));
    auto results = context.getResults();
    if (member == "Add") {
      results.initResult().setI4(args[0].getI4() + args[1].getI4());
    } else if (member == "Twice") {
      int32_t n = args[0].getI4();
      results.initResult().setI4(n);
      results.initByRef(1)[0].setI4(n * 2);
    } else if (member == "Concat") {
      std::string b = args[1].isMissing() ? "(missing)" : std::to_string(args[1].getI4());
      setText(results.initResult(), utf8(args[0].getBstr()) + b);
    } else if (member == "Name" && params.getKind() == proto::InvokeKind::PROPERTY_PUT) {
      name = utf8(args[0].getBstr());
      results.initResult().setEmpty();
    } else if (member == "Name") {
      setText(results.initResult(), name);
    } else if (member == "MakeItems") {
      results.initResult().setObject(kj::heap<FakeDispatch>(calls));
    } else if (member == "Count") {
      results.initResult().setI4(3);
    } else if (member == "InSta") {
      setText(results.initResult(), "yes");  // not a Bool: the typed result must say so
    } else if (member == "FireTicks") {
      KJ_IF_MAYBE(s, sink) {
        kj::Promise<void> chain = kj::READY_NOW;
        for (int32_t i = 1; i <= args[0].getI4(); ++i) {
          chain = chain.then([s, i]() {
            auto event = s->eventRequest();
            event.setDispid(1);
            event.setName("Ticked");
            auto list = event.initArgs(2);
            list[0].setI4(i);
            setText(list[1], "tick " + std::to_string(i));
            return event.send().ignoreResult();
          });
        }
        return chain.then([context]() mutable { context.getResults().initResult().setEmpty(); });
      }
    } else {
      KJ_FAIL_REQUIRE("no such member", member);
    }
    return kj::READY_NOW;
  }
  kj::Promise<void> advise(AdviseContext context) override {
    sink = context.getParams().getSink();
    context.getResults().setInterfaceName("_SampleEvents");
    return kj::READY_NOW;
  }
};

class ComClient : public ::testing::Test {
 protected:
  ComClient() : host(Host::spawn(runtime, HostOptions{})) {}
  ComObject fake() { return ComObject(host, kj::heap<FakeDispatch>(&calls)); }
  Runtime runtime;
  Host host;
  std::vector<std::string> calls;
};

TEST_F(ComClient, TypedCallsBecomeLateBoundOnesByTheAnnotations) {
  auto sample = fake().as<::Sample>();
  auto add = sample.addRequest();
  add.setA(40);
  add.setB(2);
  EXPECT_EQ(host.wait(add.send()).getResult(), 42);
  auto twice = sample.twiceRequest();
  twice.setN(21);
  auto doubled = host.wait(twice.send());
  EXPECT_EQ(doubled.getResult(), 21);
  EXPECT_EQ(doubled.getN(), 42);
  auto concat = sample.concatRequest();
  concat.setA("a");
  EXPECT_EQ(std::string(host.wait(concat.send()).getResult().cStr()), "a(missing)");
  auto put = sample.setNameRequest();
  put.setValue("typed");
  host.wait(put.send());
  EXPECT_EQ(std::string(host.wait(sample.getNameRequest().send()).getValue().cStr()), "typed");
  auto make = sample.makeItemsRequest();
  make.setCount(3);
  ::Items::Client items = host.wait(make.send()).getResult();
  EXPECT_EQ(host.wait(items.getCountRequest().send()).getValue(), 3);
  // Name, kind (METHOD 0, PROPERTY_GET 1, PROPERTY_PUT 2) and argument count, as the host got them.
  EXPECT_EQ(calls, (std::vector<std::string>{"Add/0/2", "Twice/0/1", "Concat/0/2", "Name/2/1",
                                             "Name/1/0", "MakeItems/0/1", "Count/1/0"}));
  // A value that does not fit the schema's type is named.
  Error e = expectError(ErrorKind::Remote, [&] { host.wait(sample.getInStaRequest().send()); });
  EXPECT_CONTAINS(e.message(), "value of InSta");
  EXPECT_CONTAINS(e.message(), "bstr");
}

TEST_F(ComClient, EventsReachTheHandlerInOrderAndAThrowingHandlerIsReported) {
  ComObject object = fake();
  std::vector<std::string> seen;
  ComEventConnection connection = object.advise([&](ComEvent& event) {
    seen.push_back(event.name + " " + std::to_string(event.args.at(0).asInt()) + " " +
                   event.args.at(1).text());
    if (event.args.at(0).asInt() == 3) throw std::runtime_error("handler failed on purpose");
  });
  EXPECT_EQ(connection.interfaceName(), "_SampleEvents");
  object.call("FireTicks", {2});
  EXPECT_EQ(seen, (std::vector<std::string>{"Ticked 1 tick 1", "Ticked 2 tick 2"}));
  // The fake passes the handler's failure on (the real host logs it instead).
  Error e = expectError(ErrorKind::Remote, [&] { object.call("FireTicks", {3}); });
  EXPECT_CONTAINS(e.message(), "handler failed on purpose");
  expectError(ErrorKind::BadConfiguration, [&] { object.advise(nullptr); });
}

}  // namespace
}  // namespace bitbridge
