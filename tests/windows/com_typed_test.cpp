// Early binding (issue 17): the tests' ActiveX DLL called through the schema
// `bitbridge import-typelib` wrote for its type library (com_inproc/sample.tlb.capnp, the same
// golden file the import_typelib test compares with), in hosts of both bitnesses. Typed requests
// become the late-bound calls the host serves (ComObject::typed): methods, property get/put,
// ByRef and optional parameters, Variants, records (VB6 Types) as the generated structs, a
// returned object typed in turn, a raised error.
#include <windows.h>

#include <gtest/gtest.h>

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
  // A typed client is this process's own object (it makes the late-bound calls): refused.
  auto typedAttach = object.attachRequest();
  typedAttach.setOther(sample().castAs<proto::Dispatch>());
  Error e = expectError(ErrorKind::BadConfiguration, [&] { host->wait(typedAttach.send()); });
  EXPECT_CONTAINS(e.message(), "argument 1 of");
  EXPECT_CONTAINS(e.message(), "not one of this host's COM objects");
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

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComTyped, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
