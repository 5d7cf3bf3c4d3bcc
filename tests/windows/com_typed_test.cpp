// Early binding (issue 17): the tests' ActiveX DLL called through the schema
// `bitbridge import-typelib` wrote for its type library (com_inproc/sample.tlb.capnp, the same
// golden file the import_typelib test compares with), in hosts of both bitnesses. Typed requests
// become the late-bound calls the host serves (ComObject::typed): methods, property get/put,
// ByRef and optional parameters, Variants, records (VB6 Types) as the generated structs and
// arrays of them as Lists, a returned object typed in turn, a raised error. Typed events: the
// generated SampleEvents interface served by the test (ComObject::advise<SampleEvents>), ByRef
// Cancel and a ByRef record written back, a handler that throws or never answers as the source
// sees it.
#include <windows.h>

#include <gtest/gtest.h>
#include <kj/debug.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <chrono>
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
using test::testComponent;

class ComTyped : public ::testing::TestWithParam<Arch> {
 protected:
  ComTyped() {
    HostOptions options;
    options.legacyLibrary = samplePath;
    host = std::make_unique<Host>(Host::spawn(runtime, options));
  }
  ::Sample::Client sample() {
    // The class ID comes from the generated schema too.
    return host->createComObjectFromFile(samplePath, ::SAMPLE_CLSID.get().cStr()).as<::Sample>();
  }

  std::string samplePath = testComponent("com_sample", GetParam());
  Runtime runtime;
  std::unique_ptr<Host> host;
};

TEST_P(ComTyped, MethodsAndPropertiesThroughTheGeneratedInterface) {
  auto object = sample();
  auto add = object.addRequest();
  add.setA(40);
  add.setB(2);
  EXPECT_EQ(host->wait(add.send()).getResult(), 42);
  auto put = object.setNameRequest();
  put.setValue("typed");
  host->wait(put.send());
  EXPECT_EQ(std::string(host->wait(object.getNameRequest().send()).getValue().cStr()), "typed");
  EXPECT_TRUE(host->wait(object.getInStaRequest().send()).getValue());
  // ByRef: the doubled value comes back in the results' n, the old one as the result.
  auto twice = object.twiceRequest();
  twice.setN(21);
  auto doubled = host->wait(twice.send());
  EXPECT_EQ(doubled.getResult(), 21);
  EXPECT_EQ(doubled.getN(), 42);
  // Optional b: left out, then given as a Variant.
  auto concat = object.concatRequest();
  concat.setA("a");
  EXPECT_EQ(std::string(host->wait(concat.send()).getResult().cStr()), "a(missing)");
  auto concat2 = object.concatRequest();
  concat2.setA("a");
  concat2.initB().setI4(7);
  EXPECT_EQ(std::string(host->wait(concat2.send()).getResult().cStr()), "a7");
  // Variant in, Variant out.
  auto echo = object.echoRequest();
  echo.initValue().setR8(2.5);
  EXPECT_DOUBLE_EQ(host->wait(echo.send()).getResult().getR8(), 2.5);
}

TEST_P(ComTyped, AReturnedObjectIsTypedInTurnAndErrorsArrive) {
  auto object = sample();
  auto make = object.makeItemsRequest();
  make.setCount(3);
  ::Items::Client items = host->wait(make.send()).getResult();
  EXPECT_EQ(host->wait(items.getCountRequest().send()).getValue(), 3);
  auto item = items.getItemRequest();
  item.setIndex(2);
  auto value = host->wait(item.send()).getValue();
  ASSERT_TRUE(value.isBstr());
  EXPECT_EQ(value.getBstr().size(), 5u);  // "item2"
  auto fail = object.failRequest();
  fail.setDescription("typed failure");
  Error e = expectError(ErrorKind::Remote, [&] { host->wait(fail.send()); });
  EXPECT_CONTAINS(e.message(), "typed failure");
  EXPECT_CONTAINS(e.message(), "Fail");
  // A typed call and a late-bound one reach the same object.
  EXPECT_EQ(host->wait(object.getLiveObjectsRequest().send()).getValue(), 2);
}

TEST_P(ComTyped, AnObjectParameterTakesTheObjectsDispatchCapability) {
  auto object = sample();
  ComObject other = host->createComObjectFromFile(samplePath, ::SAMPLE_CLSID.get().cStr());
  other.put("Name", "other");
  // attach(other :Com.Dispatch): the late-bound object's capability is the host's own.
  auto attach = object.attachRequest();
  attach.setOther(other.capability().castAs<proto::Dispatch>());
  EXPECT_EQ(std::string(host->wait(attach.send()).getResult().cStr()), "other");
  // A typed client is an object of this process (it makes the late-bound calls): the host
  // passes a stand-in, which Attach tells from its own Samples.
  auto typedAttach = object.attachRequest();
  typedAttach.setOther(sample().castAs<proto::Dispatch>());
  Error e = expectError(ErrorKind::Remote, [&] { host->wait(typedAttach.send()); });
  EXPECT_CONTAINS(e.message(), "not a Sample of this DLL");
}

TEST_P(ComTyped, ArraysOfRecordsAreListsOfTheGeneratedStructs) {
  auto object = sample();
  // Function Points(count, first) As Point(): a List(Point), in index order.
  auto make = object.pointsRequest();
  make.setCount(3);
  make.setFirst(1);
  auto made = host->wait(make.send());
  auto points = made.getResult();
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].getX(), 1);
  EXPECT_EQ(std::string(points[2].getName().cStr()), "p3");
  EXPECT_EQ(std::string(points[2].getInner().getLabel().cStr()), "tag p3");
  // Sub ScalePoints(pts() As Point, factor): ByRef, the List written back (one longer).
  auto scale = object.scalePointsRequest();
  scale.setPts(points);
  scale.setFactor(2);
  auto scaled = host->wait(scale.send());
  ASSERT_EQ(scaled.getPts().size(), 4u);
  EXPECT_EQ(scaled.getPts()[1].getX(), 4);
  EXPECT_EQ(std::string(scaled.getPts()[1].getName().cStr()), "p2*");
  EXPECT_EQ(std::string(scaled.getPts()[3].getName().cStr()), "added");
  // A List goes from index 0 (the schema has no place for a lower bound).
  auto describe = object.describePointsRequest();
  auto two = describe.initPts(2);
  two[0].setX(5);
  two[0].setName("a");
  two[1].setX(6);
  auto described = host->wait(describe.send());
  EXPECT_EQ(std::string(described.getResult().cStr()),
            "lower=0;count=2|X=5;Y=0;Name=a;Id=0;Label=;Samples=|X=6;Y=0;Name=;Id=0;Label=;Samples=");
  EXPECT_EQ(described.getPts().size(), 2u);
  // An empty List is an empty array.
  auto none = object.describePointsRequest();
  none.initPts(0);
  EXPECT_EQ(std::string(host->wait(none.send()).getResult().cStr()), "lower=0;count=0");
}

TEST_P(ComTyped, RecordsAreTheGeneratedStructsInAndOut) {
  auto object = sample();
  // Function MakePoint(start, title) As Point: the result is the generated struct Point.
  auto make = object.makePointRequest();
  make.setStart(4);
  make.setTitle("p");
  auto made = host->wait(make.send());
  ::Point::Reader p = made.getResult();
  EXPECT_EQ(p.getX(), 4);
  EXPECT_DOUBLE_EQ(p.getY(), 2.0);
  EXPECT_EQ(std::string(p.getName().cStr()), "p");
  EXPECT_EQ(p.getInner().getId(), 40);
  EXPECT_EQ(std::string(p.getInner().getLabel().cStr()), "tag p");
  ASSERT_TRUE(p.getSamples().isArray());  // Samples() As Long: a dynamic array, as a Variant
  EXPECT_EQ(p.getSamples().getArray().getElements().size(), 3u);
  // Sub MovePoint(p As Point, ByVal dx As Long): ByRef, so the changed record comes back in p.
  auto move = object.movePointRequest();
  move.setP(p);
  move.setDx(5);
  auto moved = host->wait(move.send());
  EXPECT_EQ(moved.getP().getX(), 9);
  EXPECT_DOUBLE_EQ(moved.getP().getY(), 4.0);
  EXPECT_EQ(std::string(moved.getP().getName().cStr()), "p!");
  EXPECT_EQ(moved.getP().getInner().getId(), 41);
  EXPECT_EQ(std::string(moved.getP().getInner().getLabel().cStr()), "moved");
  EXPECT_EQ(moved.getP().getSamples().getArray().getElements()[2].getI4(), 11);
  // Property Let/Get Origin As Point, built field by field; fields left unset are zero/empty.
  auto put = object.setOriginRequest();
  auto origin = put.initValue();
  origin.setX(-1);
  origin.setName("o");
  origin.initInner().setLabel("l");
  host->wait(put.send());
  auto got = host->wait(object.getOriginRequest().send());
  EXPECT_EQ(got.getValue().getX(), -1);
  EXPECT_EQ(std::string(got.getValue().getName().cStr()), "o");
  EXPECT_EQ(std::string(got.getValue().getInner().getLabel().cStr()), "l");
  EXPECT_TRUE(got.getValue().getSamples().isEmpty());
  auto describe = object.describePointRequest();
  describe.setP(got.getValue());
  EXPECT_EQ(std::string(host->wait(describe.send()).getResult().cStr()),
            "X=-1;Y=0;Name=o;Id=0;Label=l;Samples=");
  // A Samples field that is no array of Long: refused by the host, naming record and field.
  auto wrong = object.describePointRequest();
  wrong.initP().initSamples().initBstr(0);
  Error e = expectError(ErrorKind::BadConfiguration, [&] { host->wait(wrong.send()); });
  EXPECT_CONTAINS(e.message(), "record Point field Samples: the field is an array of Long");
}

TEST_P(ComTyped, AnInterfaceNotFromATypeLibraryIsRefused) {
  ComObject object = host->createComObjectFromFile(samplePath, ::SAMPLE_CLSID.get().cStr());
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { object.typed(capnp::Schema::from<proto::Dispatch>().asInterface()); });
  EXPECT_CONTAINS(e.message(), "$Com.iid");
}

// A handler of the generated event interface: records each event; cancels the name
// "forbidden"; throws on Ticked(failOn); never answers a Ticked when `neverAnswer`.
class SampleHandler final : public ::SampleEvents::Server {
 public:
  explicit SampleHandler(std::vector<std::string>* seen, int32_t failOn = -1,
                         bool neverAnswer = false)
      : seen_(seen), failOn_(failOn), neverAnswer_(neverAnswer) {}

 protected:
  kj::Promise<void> ticked(TickedContext context) override {
    auto params = context.getParams();
    seen_->push_back("Ticked(" + std::to_string(params.getN()) + ", " +
                     params.getText().cStr() + ")");
    KJ_REQUIRE(params.getN() != failOn_, "handler failed on purpose");
    if (neverAnswer_) return kj::NEVER_DONE;
    return kj::READY_NOW;
  }
  kj::Promise<void> renaming(RenamingContext context) override {
    auto params = context.getParams();
    seen_->push_back(std::string("Renaming(") + params.getNewName().cStr() + ")");
    if (params.getNewName() == "forbidden") context.getResults().setCancel(true);
    return kj::READY_NOW;
  }
  // Moving(p As Point): a record by reference, changed through the results' struct.
  kj::Promise<void> moving(MovingContext context) override {
    auto p = context.getParams().getP();
    seen_->push_back("Moving(" + std::to_string(p.getX()) + ", " + p.getName().cStr() + ")");
    auto changed = context.getResults().initP();
    changed.setX(p.getX() * 10);
    changed.setY(p.getY());
    changed.setName("typed handler");
    changed.setInner(p.getInner());
    changed.setSamples(p.getSamples());
    return kj::READY_NOW;
  }

 private:
  std::vector<std::string>* seen_;
  int32_t failOn_;
  bool neverAnswer_;
};

constexpr int32_t kDispException = static_cast<int32_t>(0x80020009);  // DISP_E_EXCEPTION
constexpr int32_t kRpcTimeout = static_cast<int32_t>(0x8001011F);     // RPC_E_TIMEOUT

TEST_P(ComTyped, TypedEventsArriveInOrderAndTheirByRefResultsGoBack) {
  ComObject object = host->createComObjectFromFile(samplePath, ::SAMPLE_CLSID.get().cStr());
  std::vector<std::string> seen;
  ComEventConnection connection = object.advise<::SampleEvents>(kj::heap<SampleHandler>(&seen));
  EXPECT_EQ(connection.interfaceName(), "_SampleEvents");
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 1);
  object.call("FireTicks", {3});
  EXPECT_EQ(seen, (std::vector<std::string>{"Ticked(1, tick 1)", "Ticked(2, tick 2)",
                                            "Ticked(3, tick 3)"}));
  EXPECT_EQ(object.get("LastEventResult").asInt(), 0);
  // Renaming(newName, Cancel As Boolean): the handler's Cancel = True keeps the old name; the
  // typed interface's calls fire it just as late-bound ones do.
  auto typed = object.as<::Sample>();
  auto put = typed.setNameRequest();
  put.setValue("first");
  host->wait(put.send());
  object.put("Name", "forbidden");
  EXPECT_EQ(object.get("Name").text(), "first");
  object.put("Name", "second");
  EXPECT_EQ(object.get("Name").text(), "second");
  EXPECT_EQ(std::vector<std::string>(seen.begin() + 3, seen.end()),
            (std::vector<std::string>{"Renaming(first)", "Renaming(forbidden)",
                                      "Renaming(second)"}));
  // Moving(p As Point): the record the typed handler gives back reaches the source.
  EXPECT_EQ(object.call("FireMoving", {3}).text(),
            "X=30;Y=1.5;Name=typed handler;Id=30;Label=tag event;Samples=3,4,5");
  EXPECT_EQ(seen.back(), "Moving(3, event)");
  seen.pop_back();
  // Unadvised: nothing more; dropped: the host unadvises too.
  connection.unadvise();
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 0);
  object.call("FireTicks", {2});
  EXPECT_EQ(seen.size(), 6u);
  {
    ComEventConnection dropped = object.advise<::SampleEvents>(kj::heap<SampleHandler>(&seen));
    EXPECT_EQ(object.get("AdvisedSinks").asInt(), 1);
  }
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 0);
}

TEST_P(ComTyped, AThrowingHandlerFailsTheSourcesCallAndIsLoggedHere) {
  auto logged = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  runtime.logger()->sinks().push_back(logged);
  ComObject object = host->createComObjectFromFile(samplePath, ::SAMPLE_CLSID.get().cStr());
  std::vector<std::string> seen;
  ComEventConnection connection =
      object.advise<::SampleEvents>(kj::heap<SampleHandler>(&seen, 3));
  object.call("FireTicks", {3});  // the source goes on after a failed event, as VB6 code may
  runtime.logger()->sinks().pop_back();
  EXPECT_EQ(seen.size(), 3u);
  // RaiseEvent's view: DISP_E_EXCEPTION, the handler's description in EXCEPINFO.
  EXPECT_EQ(object.get("LastEventResult").asInt(), kDispException);
  EXPECT_CONTAINS(object.get("LastEventError").text(), "handler failed on purpose");
  std::string lines;
  for (const auto& line : logged->last_formatted()) lines += line;
  EXPECT_CONTAINS(lines, "the handler of event _SampleEvents.Ticked failed");
  // The object, the connection and the host keep working.
  object.call("FireTicks", {1});
  EXPECT_EQ(object.get("LastEventResult").asInt(), 0);
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(object.call("Add", {2, 3}).asInt(), 5);
}

TEST_P(ComTyped, AHandlerThatNeverAnswersMeetsTheAnswerDeadline) {
  HostOptions options;
  options.legacyLibrary = samplePath;
  options.comAnswerTimeout = std::chrono::milliseconds(300);
  Host impatient = Host::spawn(runtime, options);
  ComObject object = impatient.createComObjectFromFile(samplePath, ::SAMPLE_CLSID.get().cStr());
  std::vector<std::string> seen;
  ComEventConnection connection =
      object.advise<::SampleEvents>(kj::heap<SampleHandler>(&seen, -1, true));
  auto start = std::chrono::steady_clock::now();
  object.call("FireTicks", {2});  // each event waits 300 ms, then the source gets RPC_E_TIMEOUT
  auto spent = std::chrono::steady_clock::now() - start;
  EXPECT_GE(spent, std::chrono::milliseconds(550));
  EXPECT_LT(spent, std::chrono::seconds(20));
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(object.get("LastEventResult").asInt(), kRpcTimeout);
  // The apartment serves again; the connection still unadvises.
  EXPECT_EQ(object.call("Add", {1, 2}).asInt(), 3);
  connection.unadvise();
  EXPECT_EQ(object.get("AdvisedSinks").asInt(), 0);
}

// The typed form of a client object: a Dispatch server of this process as the generated
// interface's object parameter (setSink(sink :Com.Dispatch)). This one answers Notify at once
// or, `slow`, never.
class TypedSink final : public proto::Dispatch::Server {
 public:
  TypedSink(std::vector<std::string>* calls, bool slow) : calls_(calls), slow_(slow) {}

 protected:
  kj::Promise<void> getIdsOfNames(GetIdsOfNamesContext context) override {
    auto names = context.getParams().getNames();
    auto ids = context.getResults().initIds(names.size());
    for (unsigned i = 0; i < names.size(); ++i) ids.set(i, names[i] == "Notify" ? 1 : -1);
    return kj::READY_NOW;
  }
  kj::Promise<void> invoke(InvokeContext context) override {
    calls_->push_back(context.getParams().getName());
    if (slow_) return kj::NEVER_DONE;
    context.getResults().initResult().setI4(7);
    return kj::READY_NOW;
  }

 private:
  std::vector<std::string>* calls_;
  bool slow_;
};

TEST_P(ComTyped, ATypedClientObjectIsCalledAndOneThatNeverAnswersMeetsTheDeadline) {
  auto object = sample();
  std::vector<std::string> calls;
  auto set = object.setSinkRequest();
  set.setSink(kj::heap<TypedSink>(&calls, false));
  host->wait(set.send());
  auto call = object.callSinkRequest();
  call.setMember("Notify");
  call.initValue().setI4(1);
  EXPECT_EQ(host->wait(call.send()).getResult().getI4(), 7);
  EXPECT_EQ(calls, (std::vector<std::string>{"Notify", "Notify"}));

  HostOptions options;
  options.legacyLibrary = samplePath;
  options.comAnswerTimeout = std::chrono::milliseconds(300);
  Host impatient = Host::spawn(runtime, options);
  auto slowObject = impatient.createComObjectFromFile(samplePath, ::SAMPLE_CLSID.get().cStr())
                        .as<::Sample>();
  auto slow = slowObject.setSinkRequest();
  slow.setSink(kj::heap<TypedSink>(&calls, true));
  auto start = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::Remote, [&] { impatient.wait(slow.send()); });
  EXPECT_CONTAINS(e.message(), "0x8001011F");  // RPC_E_TIMEOUT, as the server raised it
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  // The apartment serves again.
  auto add = slowObject.addRequest();
  add.setA(1);
  add.setB(1);
  EXPECT_EQ(impatient.wait(add.send()).getResult(), 2);
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComTyped, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
