// The client side of COM objects, portable: early binding (ComObject::as<T>(), the schema
// import-typelib wrote for the Windows tests' server, tests/windows/com_inproc/sample.tlb.capnp)
// and events (ComObject::advise) against a Dispatch capability served in this process by a fake
// that records what it is asked and answers like the sample server. The real COM host is tested
// under Wine (tests/windows/com_typed_test.cpp, com_events_test.cpp); here the conversions and
// the event sink run in the Linux builds, under the sanitizers too. A Host is spawned only
// because a ComObject waits through one.
#include <gtest/gtest.h>
#include <kj/debug.h>

#include <functional>
#include <memory>
#include <stdexcept>
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
  kj::Maybe<proto::Dispatch::Client> kept;  // Keep's argument
  uint32_t keptAnswerTimeoutMs = 0;
  std::string adviseInterfaceId;      // as the last advise asked
  uint32_t adviseAnswerTimeoutMs = 0;
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
    } else if (member == "Keep") {
      kept = args[0].getObject();
      keptAnswerTimeoutMs = params.getAnswerTimeoutMs();
      results.initResult().setEmpty();
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
    adviseInterfaceId = context.getParams().getInterfaceId();
    adviseAnswerTimeoutMs = context.getParams().getAnswerTimeoutMs();
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

// An object of the client (ComVariant::clientObject) as the host gets it: a Dispatch capability
// it calls by name. Here the test plays the host, well behaved or not.
TEST_F(ComClient, AClientObjectAnswersByNameAndRefusesWhatItCannotTake) {
  ComObject other = fake();
  auto server = kj::heap<FakeDispatch>(&calls);
  FakeDispatch* dispatch = server.get();
  ComObject object(host, kj::mv(server));
  std::vector<std::string> seen;
  ComVariant sink = ComVariant::clientObject(
      {"Notify", "Value"}, [&seen, &other](ComCall& call) -> ComVariant {
        seen.push_back((call.name.empty() ? "[default]" : call.name) + "/" +
                       std::to_string(static_cast<int>(call.kind)) + "/" +
                       std::to_string(call.args.size()));
        if (!call.args.empty() && call.args[0].type() == VariantType::BStr) {
          if (call.args[0].text() == "throw") throw std::runtime_error("sink failed on purpose");
          if (call.args[0].text() == "object") return ComVariant(other);
        }
        if (!call.args.empty() && call.args[0].type() == VariantType::I4) {
          call.args[0] = ComVariant(static_cast<int32_t>(call.args[0].asInt() * 2));  // ByRef
        }
        return ComVariant("ok");
      });
  object.call("Keep", {sink});
  EXPECT_EQ(dispatch->keptAnswerTimeoutMs, 30000u);
  proto::Dispatch::Client kept = [&] {
    KJ_IF_MAYBE(k, dispatch->kept) { return *k; }
    throw std::logic_error("not kept");
  }();
  // Names: its own, in any case, at their positions plus one; others (parameter names, an
  // oversized name) unknown.
  auto names = kept.getIdsOfNamesRequest();
  auto list = names.initNames(4);
  list.set(0, "notify");
  list.set(1, "x");
  std::string huge(5000, 'a');
  list.set(2, huge);
  list.set(3, "Value");
  auto idsResponse = host.wait(names.send());  // kept: the reader below points into it
  auto ids = idsResponse.getIds();
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[1], -1);
  EXPECT_EQ(ids[2], -1);
  EXPECT_EQ(ids[3], -1);  // parameter names are never the member's
  auto unknownName = kept.getIdsOfNamesRequest();
  unknownName.initNames(1).set(0, huge);
  EXPECT_EQ(host.wait(unknownName.send()).getIds()[0], -1);
  // A call: its answer, and the argument the handler changed, by position.
  auto call = [&](const char* name, const std::function<void(capnp::List<proto::Variant>::Builder)>& fill,
                  unsigned count) {
    auto request = kept.invokeRequest();
    request.setName(name);
    fill(request.initArgs(count));
    return host.wait(request.send());
  };
  auto answered = call("NOTIFY", [](capnp::List<proto::Variant>::Builder a) { a[0].setI4(21); }, 1);
  EXPECT_EQ(utf8(answered.getResult().getBstr()), "ok");
  ASSERT_EQ(answered.getByRef().size(), 1u);
  EXPECT_EQ(answered.getByRef()[0].getI4(), 42);
  call("", [](capnp::List<proto::Variant>::Builder) {}, 0);  // the default member
  EXPECT_EQ(seen, (std::vector<std::string>{"Notify/0/1", "[default]/0/0"}));
  // What it refuses, naming it; the handler is not called.
  Error unknown = expectError(ErrorKind::NotFound, [&] {
    call("Other", [](capnp::List<proto::Variant>::Builder) {}, 0);
  });
  EXPECT_CONTAINS(unknown.message(), "no member 'Other'");
  auto withNamed = kept.invokeRequest();
  withNamed.setName("Notify");
  withNamed.initNamedArgs(1)[0].setName("x");
  expectError(ErrorKind::Unimplemented, [&] { host.wait(withNamed.send()); });
  Error malformed = expectError(ErrorKind::MalformedPeer, [&] {
    call("Notify", [](capnp::List<proto::Variant>::Builder a) {
      auto array = a[0].initArray();
      array.setElementType(3);
      array.initBounds(1)[0].setCount(3);  // three elements said, none given
    }, 1);
  });
  EXPECT_CONTAINS(malformed.message(), "argument 1 of the client's object.Notify");
  EXPECT_EQ(seen.size(), 2u);
  // What the handler does wrong: throwing, answering an object.
  Error thrown = expectError(ErrorKind::Remote, [&] {
    call("Notify", [](capnp::List<proto::Variant>::Builder a) { setText(a[0], "throw"); }, 1);
  });
  EXPECT_CONTAINS(thrown.message(), "sink failed on purpose");
  Error answeredObject = expectError(ErrorKind::Unimplemented, [&] {
    call("Notify", [](capnp::List<proto::Variant>::Builder a) { setText(a[0], "object"); }, 1);
  });
  EXPECT_CONTAINS(answeredObject.message(), "an object in its answer");
  // Still answering.
  EXPECT_EQ(utf8(call("Value", [](capnp::List<proto::Variant>::Builder) {}, 0).getResult().getBstr()), "ok");
  // One client object per Host; a handler is needed.
  Host second = Host::spawn(runtime, HostOptions{});
  ComObject elsewhere(second, kj::heap<FakeDispatch>(&calls));
  Error twice = expectError(ErrorKind::BadConfiguration, [&] { elsewhere.call("Keep", {sink}); });
  EXPECT_CONTAINS(twice.message(), "argument 1 of Keep");
  expectError(ErrorKind::BadConfiguration, [&] { ComVariant::clientObject({"Notify"}, nullptr); });
}

// A handler of the events' generated interface: records what it gets; cancels the name
// "forbidden"; fails on Ticked(13).
class TypedEvents final : public ::SampleEvents::Server {
 public:
  explicit TypedEvents(std::vector<std::string>* seen) : seen_(seen) {}

 protected:
  kj::Promise<void> ticked(TickedContext context) override {
    auto params = context.getParams();
    seen_->push_back("Ticked(" + std::to_string(params.getN()) + ", " +
                     params.getText().cStr() + ")");
    KJ_REQUIRE(params.getN() != 13, "handler failed on purpose");
    return kj::READY_NOW;
  }
  kj::Promise<void> renaming(RenamingContext context) override {
    auto params = context.getParams();
    seen_->push_back(std::string("Renaming(") + params.getNewName().cStr() + ", " +
                     (params.getCancel() ? "1" : "0") + ")");
    if (params.getNewName() == "forbidden") context.getResults().setCancel(true);
    return kj::READY_NOW;
  }

 private:
  std::vector<std::string>* seen_;
};

// Typed events, with the host played by the test: it sends the sink what a host could, well
// formed or not.
class ComClientTypedEvents : public ComClient {
 protected:
  ComClientTypedEvents() {
    auto server = kj::heap<FakeDispatch>(&calls);
    dispatch = server.get();
    object = std::make_unique<ComObject>(host, kj::mv(server));
    connection = object->advise<::SampleEvents>(kj::heap<TypedEvents>(&seen));
  }
  proto::EventSink::Client sink() {
    KJ_IF_MAYBE(s, dispatch->sink) { return *s; }
    throw std::logic_error("not advised");
  }
  // Sends event `dispid` with `args` (set by `fill`) and returns its byRef answer, described.
  std::vector<std::string> fire(int32_t dispid, unsigned count,
                                const std::function<void(capnp::List<proto::Variant>::Builder)>& fill) {
    auto request = sink().eventRequest();
    request.setDispid(dispid);
    fill(request.initArgs(count));
    auto response = host.wait(request.send());
    std::vector<std::string> out;
    for (auto value : response.getByRef()) {
      switch (value.which()) {
        case proto::Variant::I4: out.push_back("i4 " + std::to_string(value.getI4())); break;
        case proto::Variant::BOOL: out.push_back(value.getBool() ? "true" : "false"); break;
        case proto::Variant::BSTR: out.push_back(utf8(value.getBstr())); break;
        default: out.push_back("other"); break;
      }
    }
    return out;
  }

  FakeDispatch* dispatch = nullptr;  // owned by `object`'s capability
  std::unique_ptr<ComObject> object;
  ComEventConnection connection;
  std::vector<std::string> seen;
};

TEST_F(ComClientTypedEvents, AdviseNamesTheInterfaceAndTheAnswerDeadline) {
  EXPECT_EQ(dispatch->adviseInterfaceId, "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A04}");
  EXPECT_EQ(dispatch->adviseAnswerTimeoutMs, 30000u);  // HostOptions::comAnswerTimeout
  EXPECT_EQ(connection.interfaceName(), "_SampleEvents");
  // An interface import-typelib did not write is refused before anything is sent.
  Error e = expectError(ErrorKind::BadConfiguration, [&] {
    object->advise(capnp::Schema::from<proto::Dispatch>().asInterface(),
                   kj::heap<TypedEvents>(&seen));
  });
  EXPECT_CONTAINS(e.message(), "$Com.iid");
}

TEST_F(ComClientTypedEvents, EventsCallTheMethodOfTheirDispidAndByRefResultsGoBack) {
  // Through the fake's FireTicks: in order, each answered before the next.
  object->call("FireTicks", {2});
  // Renaming(newName, ByRef cancel): the handler's cancel goes back at its position; the
  // other argument comes back as it came.
  auto renaming = [](const char* name, bool cancel) {
    return [name, cancel](capnp::List<proto::Variant>::Builder args) {
      setText(args[0], name);
      args[1].setBool(cancel);
    };
  };
  EXPECT_EQ(fire(2, 2, renaming("forbidden", false)), (std::vector<std::string>{"forbidden", "true"}));
  EXPECT_EQ(fire(2, 2, renaming("fine", false)), (std::vector<std::string>{"fine", "false"}));
  // A results field the handler leaves at its default leaves the source's value.
  EXPECT_EQ(fire(2, 2, renaming("fine", true)), (std::vector<std::string>{"fine", "true"}));
  EXPECT_EQ(seen, (std::vector<std::string>{"Ticked(1, tick 1)", "Ticked(2, tick 2)",
                                            "Renaming(forbidden, 0)", "Renaming(fine, 0)",
                                            "Renaming(fine, 1)"}));
}

TEST_F(ComClientTypedEvents, WhatAHostCouldSendWrongIsNamedAndTheSinkKeepsWorking) {
  auto ticked = [](capnp::List<proto::Variant>::Builder args) {
    args[0].setI4(7);
    setText(args[1], "ok");
  };
  // A DISPID the interface does not have.
  Error unknown = expectError(ErrorKind::Unimplemented, [&] { fire(99, 2, ticked); });
  EXPECT_CONTAINS(unknown.message(), "DISPID 99");
  // Too few, too many arguments.
  Error few = expectError(ErrorKind::Remote, [&] {
    fire(1, 1, [](capnp::List<proto::Variant>::Builder args) { args[0].setI4(1); });
  });
  EXPECT_CONTAINS(few.message(), "the source passed 1 argument(s), the interface declares 2");
  Error many = expectError(ErrorKind::Remote, [&] {
    fire(1, 3, [](capnp::List<proto::Variant>::Builder args) {
      args[0].setI4(1);
      setText(args[1], "x");
      args[2].setI4(3);
    });
  });
  EXPECT_CONTAINS(many.message(), "passed 3 argument(s)");
  // A value of another type, one too wide for Int32, an object where a value belongs.
  Error type = expectError(ErrorKind::Remote, [&] {
    fire(1, 2, [](capnp::List<proto::Variant>::Builder args) {
      setText(args[0], "seven");
      setText(args[1], "x");
    });
  });
  EXPECT_CONTAINS(type.message(), "argument n of event _SampleEvents.Ticked");
  Error wide = expectError(ErrorKind::Remote, [&] {
    fire(1, 2, [](capnp::List<proto::Variant>::Builder args) {
      args[0].setI8(int64_t{1} << 40);
      setText(args[1], "x");
    });
  });
  EXPECT_CONTAINS(wide.message(), "does not fit");
  Error object = expectError(ErrorKind::MalformedPeer, [&] {
    fire(1, 2, [this](capnp::List<proto::Variant>::Builder args) {
      args[0].setObject(kj::heap<FakeDispatch>(&calls));
      setText(args[1], "x");
    });
  });
  EXPECT_CONTAINS(object.message(), "an object where the schema has a value");
  // A handler that throws: its description comes back (the host passes it to the source).
  Error thrown = expectError(ErrorKind::Remote, [&] {
    fire(1, 2, [](capnp::List<proto::Variant>::Builder args) {
      args[0].setI4(13);
      setText(args[1], "x");
    });
  });
  EXPECT_CONTAINS(thrown.message(), "handler failed on purpose");
  // None of it broke the sink.
  EXPECT_EQ(fire(1, 2, ticked), (std::vector<std::string>{"i4 7", "ok"}));
  EXPECT_EQ(seen.back(), "Ticked(7, ok)");
}

}  // namespace
}  // namespace bitbridge
