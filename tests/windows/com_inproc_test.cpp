// In-process COM servers called from the other bitness (issue 17), under Wine: the tests' own
// ActiveX DLL (com_inproc/, created registration-free from its file) and Wine's
// Scripting.Dictionary (scrrun.dll, registered in both registry views by wineboot), each in
// hosts of both bitnesses from this program's bitness (both programs run: 64->32, 32->64,
// 32->32, 64->64). Late binding through bitbridge::ComObject (bitbridge/com.h).
#include <windows.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitbridge/com.capnp.h"
#include "bitbridge/com.h"
#include "bitbridge/host.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

constexpr char kSampleClsid[] = "{6d1f7a40-3c1e-4a8b-9b51-1f0c2b7e9a10}";
// Scripting.Dictionary's CLSID, as Windows and Wine register it.
constexpr char kDictionaryClsid[] = "{EE09B103-97E0-11CF-978F-00A02463E06F}";

std::vector<std::string> texts(const std::vector<ComVariant>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(v.text());
  return out;
}

class ComInproc : public ::testing::TestWithParam<Arch> {
 protected:
  ComInproc() {
    HostOptions options;
    options.legacyLibrary = samplePath;  // its header picks the host of its bitness
    host = std::make_unique<Host>(Host::spawn(runtime, options));
  }
  ComObject sample() { return host->createComObjectFromFile(samplePath, kSampleClsid); }

  std::string samplePath = testComponent("com_sample", GetParam());
  Runtime runtime;
  std::unique_ptr<Host> host;  // objects are declared in the tests, so they go first
};

TEST_P(ComInproc, CreatedFromItsFileInAnApartmentOfAHostOfItsBitness) {
  EXPECT_EQ(host->arch(), GetParam());
  ComObject object = sample();
  EXPECT_EQ(object.call("Add", {2, 40}).asInt(), 42);
  // The object checks that it runs in an STA on the thread that created it.
  EXPECT_TRUE(object.get("InSta").asBool());
  EXPECT_EQ(object.className(), "_Sample");
}

TEST_P(ComInproc, EveryAutomationTypeRoundTrips) {
  ComObject object = sample();
  auto echo = [&](const ComVariant& value) { return object.call("Echo", {value}); };
  EXPECT_EQ(echo(ComVariant()).type(), VariantType::Empty);
  EXPECT_EQ(echo(ComVariant::null()).type(), VariantType::Null);
  struct Case {
    VariantType type;
    int64_t value;
  };
  for (Case c : {Case{VariantType::I1, -100}, Case{VariantType::I2, -30000},
                 Case{VariantType::I4, -2000000000}, Case{VariantType::I8, -5000000000000LL},
                 Case{VariantType::UI1, 200}, Case{VariantType::UI2, 60000},
                 Case{VariantType::UI4, 4000000000LL}}) {
    ComVariant back = echo(ComVariant::integer(c.type, c.value));
    EXPECT_EQ(back.type(), c.type) << variantTypeName(c.type);
    EXPECT_EQ(back.asInt(), c.value) << variantTypeName(c.type);
  }
  EXPECT_EQ(echo(ComVariant::unsignedInteger(18000000000000000000ULL)).asUInt64(),
            18000000000000000000ULL);
  EXPECT_EQ(echo(ComVariant::single(1.5f)).type(), VariantType::R4);
  EXPECT_DOUBLE_EQ(echo(ComVariant(2.25)).asDouble(), 2.25);
  EXPECT_EQ(echo(ComVariant::currency(123456789)).currencyScaled(), 123456789);
  ComVariant date = echo(ComVariant::date(45000.5));
  EXPECT_EQ(date.type(), VariantType::Date);
  EXPECT_DOUBLE_EQ(date.asDouble(), 45000.5);
  ComVariant decimal = echo(ComVariant::decimal({4, true, 1, 0x123456789ULL}));
  ASSERT_EQ(decimal.type(), VariantType::Decimal);
  EXPECT_EQ(decimal.decimal().scale, 4);
  EXPECT_TRUE(decimal.decimal().negative);
  EXPECT_EQ(decimal.decimal().hi32, 1u);
  EXPECT_EQ(decimal.decimal().lo64, 0x123456789ULL);
  EXPECT_TRUE(echo(true).asBool());
  EXPECT_EQ(echo(false).type(), VariantType::Bool);
  EXPECT_EQ(echo(ComVariant::error(static_cast<int32_t>(0x800A0005))).asInt(), static_cast<int32_t>(0x800A0005));
  // UTF-16 exactly: an embedded NUL, a surrogate pair, a lone surrogate.
  std::u16string units = u"a\0b\U0001F600";
  units.push_back(static_cast<char16_t>(0xD800));
  units.push_back(u'z');
  EXPECT_EQ(echo(ComVariant(units)).bstr(), units);
  EXPECT_EQ(echo(ComVariant(std::u16string())).bstr(), u"");
  EXPECT_EQ(echo("héllo").text(), "héllo");
  // An array of VARIANTs with a nested array, lower bound 5.
  ComSafeArray array = ComSafeArray::ofVariants(
      {1, "two", ComVariant(ComSafeArray::ofVariants({3.5}))});
  array.bounds[0].lower = 5;
  ComVariant back = echo(ComVariant(array));
  ASSERT_EQ(back.type(), VariantType::Array);
  EXPECT_EQ(back.array().bounds[0].lower, 5);
  ASSERT_EQ(back.array().elements.size(), 3u);
  EXPECT_EQ(back.array().elements[1].text(), "two");
  EXPECT_DOUBLE_EQ(back.array().elements[2].array().elements[0].asDouble(), 3.5);
  // Typed arrays: of BSTR and of DECIMAL.
  ComSafeArray strings;
  strings.elementType = 8;  // VT_BSTR
  strings.bounds = {{0, 2}};
  strings.elements = {"x", ComVariant(std::u16string(u"y\0y", 3))};
  ComVariant stringsBack = echo(ComVariant(strings));
  EXPECT_EQ(stringsBack.array().elementType, 8);
  EXPECT_EQ(stringsBack.array().elements[1].bstr(), std::u16string(u"y\0y", 3));
}

TEST_P(ComInproc, ByRefOptionalNamedAndDefaultMember) {
  ComObject object = sample();
  // Twice(ByRef n): the doubled value comes back in byRef, the old one as the result.
  ComInvokeResult twice = object.invoke("Twice", InvokeKind::Method, {21});
  EXPECT_EQ(twice.result.asInt(), 21);
  ASSERT_EQ(twice.byRef.size(), 1u);
  EXPECT_EQ(twice.byRef[0].asInt(), 42);
  // Optional b: left out entirely, passed as missing, passed by name.
  EXPECT_EQ(object.call("Concat", {"a"}).text(), "a(missing)");
  EXPECT_EQ(object.call("Concat", {"a", ComVariant::missing()}).text(), "a(missing)");
  EXPECT_EQ(object.call("Concat", {"a", 7}).text(), "a7");
  EXPECT_EQ(object.call("Concat", {"a"}, {{"b", "-named"}}).text(), "a-named");
  // The default member (DISPID_VALUE) by its empty name.
  EXPECT_EQ(object.call("", {"dflt"}).text(), "dflt");
  // Properties.
  object.put("Name", "first");
  EXPECT_EQ(object.get("Name").text(), "first");
  EXPECT_EQ(object.idsOfNames({"Add", "NoSuchMember"}).size(), 2u);
  EXPECT_EQ(object.idsOfNames({"Add"})[0], 10);
}

TEST_P(ComInproc, SafeArraysInAndOutWithTheirBounds) {
  ComObject object = sample();
  EXPECT_DOUBLE_EQ(object.call("Sum", {ComSafeArray::ofVariants({1, 2.5, "3"})}).asDouble(), 6.5);
  ComVariant grid = object.call("Grid", {2, 3});
  const ComSafeArray& g = grid.array();
  EXPECT_EQ(g.elementType, 3);  // VT_I4
  ASSERT_EQ(g.bounds.size(), 2u);
  EXPECT_EQ(g.bounds[0].lower, 1);
  EXPECT_EQ(g.bounds[0].count, 2u);
  EXPECT_EQ(g.bounds[1].count, 3u);
  ASSERT_EQ(g.elements.size(), 6u);
  // Column-major: the first index varies fastest. (r, c) = r * 100 + c.
  EXPECT_EQ(g.elements[0].asInt(), 101);
  EXPECT_EQ(g.elements[1].asInt(), 201);
  EXPECT_EQ(g.elements[2].asInt(), 102);
  EXPECT_EQ(g.elements[5].asInt(), 203);
}

TEST_P(ComInproc, ReturnedObjectsAreCallableAndCollectionsEnumerate) {
  ComObject object = sample();
  ComVariant items = object.call("MakeItems", {3});
  ASSERT_EQ(items.type(), VariantType::Object);
  ComObject collection = items.asObject();
  EXPECT_EQ(collection.get("Count").asInt(), 3);
  EXPECT_EQ(collection.get("Item", {2}).text(), "item2");
  EXPECT_EQ(collection.get("", {3}).text(), "item3");  // default member: Item
  EXPECT_EQ(texts(collection.enumerate()), (std::vector<std::string>{"item1", "item2", "item3"}));
  EXPECT_EQ(collection.enumerate(2).size(), 2u);
  // Dropping the client's last reference releases the object in the host, in its apartment,
  // before the next call there (the release travels ahead of it on the connection).
  EXPECT_EQ(object.get("LiveObjects").asInt(), 2);  // the sample and its collection
  items = ComVariant();
  collection = object;  // the collection's last reference goes
  EXPECT_EQ(object.get("LiveObjects").asInt(), 1);
  // Not a collection: named as such.
  Error e = expectError(ErrorKind::Remote, [&] { object.enumerate(); });
  EXPECT_CONTAINS(e.message(), "not a collection");
}

TEST_P(ComInproc, ARaisedErrorArrivesWithSourceDescriptionHelpContextAndHresult) {
  ComObject object = sample();
  Error e = expectError(ErrorKind::Remote, [&] { object.call("Fail", {"the account is closed"}); });
  EXPECT_CONTAINS(e.message(), "Fail");
  EXPECT_CONTAINS(e.message(), "_Sample");
  EXPECT_CONTAINS(e.message(), "the account is closed");
  EXPECT_CONTAINS(e.message(), "SampleSource");
  EXPECT_CONTAINS(e.message(), "0x80040201");
  EXPECT_CONTAINS(e.message(), "help context 4242");
  // The object keeps working.
  EXPECT_EQ(object.call("Add", {1, 1}).asInt(), 2);
}

TEST_P(ComInproc, DispatchErrorsAreNamed) {
  ComObject object = sample();
  Error missing = expectError(ErrorKind::Remote, [&] { object.call("NoSuchMember"); });
  EXPECT_CONTAINS(missing.message(), "_Sample.NoSuchMember");
  EXPECT_CONTAINS(missing.message(), "DISP_E_MEMBERNOTFOUND");
  Error count = expectError(ErrorKind::Remote, [&] { object.call("Add", {1}); });
  EXPECT_CONTAINS(count.message(), "_Sample.Add");
  EXPECT_CONTAINS(count.message(), "DISP_E_");
  EXPECT_TRUE(count.message().find("DISP_E_BADPARAMCOUNT") != std::string::npos ||
              count.message().find("DISP_E_PARAMNOTOPTIONAL") != std::string::npos)
      << count.message();
  Error type = expectError(ErrorKind::Remote, [&] { object.call("Add", {"not a number", 1}); });
  EXPECT_CONTAINS(type.message(), "DISP_E_TYPEMISMATCH");
  EXPECT_CONTAINS(type.message(), "has the wrong type");
  // Which argument: IDispatch's puArgErr counts in rgvarg (last argument first) on Windows, and
  // in declaration order under Wine 8, so only a one-argument member names the same one in both.
  Error byRef = expectError(ErrorKind::Remote, [&] { object.call("Twice", {"not a number"}); });
  EXPECT_CONTAINS(byRef.message(), "DISP_E_TYPEMISMATCH");
  EXPECT_CONTAINS(byRef.message(), "argument 1 has the wrong type");
  EXPECT_EQ(object.call("Add", {20, 22}).asInt(), 42);
}

TEST_P(ComInproc, MalformedVariantsAreRefusedAndTheHostKeepsServing) {
  ComObject object = sample();
  ComObject other = sample();
  auto dispatch = object.capability().castAs<proto::Dispatch>();
  {
    // Bounds for 3 elements, 2 carried.
    auto request = dispatch.invokeRequest();
    request.setName("Echo");
    auto array = request.initArgs(1)[0].initArray();
    array.setElementType(12);
    array.initBounds(1)[0].setCount(3);
    array.initElements(2);
    Error e = expectError(ErrorKind::MalformedPeer, [&] { host->wait(request.send()); });
    EXPECT_CONTAINS(e.message(), "argument 1 of Echo");
    EXPECT_CONTAINS(e.message(), "bounds hold more elements but which carries 2");
  }
  {
    // Bounds whose product overflows 32 bits, few elements.
    auto request = dispatch.invokeRequest();
    request.setName("Echo");
    auto array = request.initArgs(1)[0].initArray();
    array.setElementType(12);
    auto bounds = array.initBounds(2);
    bounds[0].setCount(0xFFFFFFFFu);
    bounds[1].setCount(0xFFFFFFFFu);
    array.initElements(1);
    expectError(ErrorKind::MalformedPeer, [&] { host->wait(request.send()); });
  }
  {
    // An element of the wrong type for the array, and an element type automation lacks.
    auto request = dispatch.invokeRequest();
    request.setName("Echo");
    auto array = request.initArgs(1)[0].initArray();
    array.setElementType(3);  // VT_I4
    array.initBounds(1)[0].setCount(1);
    array.initElements(1)[0].initBstr(0);
    Error e = expectError(ErrorKind::MalformedPeer, [&] { host->wait(request.send()); });
    EXPECT_CONTAINS(e.message(), "is a bstr");
  }
  {
    auto request = dispatch.invokeRequest();
    request.setName("Echo");
    auto array = request.initArgs(1)[0].initArray();
    array.setElementType(64);  // VT_FILETIME: not an automation type
    array.initBounds(1)[0].setCount(1);
    array.initElements(1)[0].setI8(0);
    Error e = expectError(ErrorKind::MalformedPeer, [&] { host->wait(request.send()); });
    EXPECT_CONTAINS(e.message(), "not an automation type");
  }
  {
    // Rank 0.
    auto request = dispatch.invokeRequest();
    request.setName("Echo");
    request.initArgs(1)[0].initArray().setElementType(12);
    expectError(ErrorKind::MalformedPeer, [&] { host->wait(request.send()); });
  }
  EXPECT_TRUE(host->running());
  EXPECT_EQ(object.call("Add", {1, 2}).asInt(), 3);
  EXPECT_EQ(other.call("Add", {3, 4}).asInt(), 7);
}

// Objects passed to methods (VB6's ByVal other As Object) arrive as themselves.
TEST_P(ComInproc, AnObjectArgumentArrivesAsTheObjectItself) {
  ComObject a = sample();
  ComObject b = sample();
  b.put("Name", "bee");
  // Attach asks the argument for an interface only its own objects answer: no proxy does.
  EXPECT_EQ(a.call("Attach", {b}).text(), "bee");
  EXPECT_EQ(a.call("Attach", {}, {{"other", b}}).text(), "bee");  // as a named argument
  EXPECT_EQ(a.call("Attach", {a}).text(), "");                     // itself
  // An object a method returned goes back as itself too (here: not a Sample, as the DLL says).
  ComVariant items = a.call("MakeItems", {2});
  Error e = expectError(ErrorKind::Remote, [&] { a.call("Attach", {items}); });
  EXPECT_CONTAINS(e.message(), "not a Sample of this DLL");
  e = expectError(ErrorKind::Remote, [&] { a.call("Attach", {ComVariant::nothing()}); });
  EXPECT_CONTAINS(e.message(), "not a Sample of this DLL");
  // Passing holds no extra reference once the call is over.
  items = ComVariant();
  EXPECT_EQ(a.get("LiveObjects").asInt(), 2);
}

TEST_P(ComInproc, ObjectsOfAnotherHostMovedFromOrForeignAreRefused) {
  ComObject a = sample();
  HostOptions options;
  options.legacyLibrary = samplePath;
  Host other = Host::spawn(runtime, options);
  ComObject elsewhere = other.createComObjectFromFile(samplePath, kSampleClsid);
  Error e = expectError(ErrorKind::BadConfiguration, [&] { a.call("Attach", {elsewhere}); });
  EXPECT_CONTAINS(e.message(), "argument 1 of Attach");
  EXPECT_CONTAINS(e.message(), "another Host (pid " + std::to_string(other.pid()) + ")");
  EXPECT_CONTAINS(e.hint(), "same Host");

  ComObject moved = sample();
  ComObject taken = std::move(moved);
  e = expectError(ErrorKind::BadConfiguration, [&] { a.call("Attach", {}, {{"other", moved}}); });
  EXPECT_CONTAINS(e.message(), "named argument other of Attach");
  EXPECT_CONTAINS(e.message(), "holds no object");

  // A peer sending capabilities the host did not make, past the client's checks: another
  // host's object, and a bare Dispatch of the client's own. Both are objects of the client to
  // the host (passed as stand-ins), which Attach tells from its own Samples.
  class Foreign final : public proto::Dispatch::Server {};
  auto dispatch = a.capability().castAs<proto::Dispatch>();
  std::vector<capnp::Capability::Client> foreigners;
  foreigners.push_back(elsewhere.capability());
  foreigners.push_back(kj::heap<Foreign>());
  for (capnp::Capability::Client& foreign : foreigners) {
    auto request = dispatch.invokeRequest();
    request.setName("Attach");
    request.initArgs(1)[0].setObject(foreign.castAs<proto::Dispatch>());
    e = expectError(ErrorKind::Remote, [&] { host->wait(request.send()); });
    EXPECT_CONTAINS(e.message(), "not a Sample of this DLL");
  }
  // Both hosts go on serving.
  EXPECT_EQ(a.call("Attach", {taken}).text(), "");
  EXPECT_EQ(elsewhere.call("Add", {1, 2}).asInt(), 3);
}

// VB6's `Sub SetSink(ByVal Sink As Object)`, then `Sink.Notify "x"` during that call, from a
// later call and from the apartment's timer: an object of the client (ComVariant::clientObject)
// called by name through the host's stand-in, answering a Variant, a ByRef argument written
// back, an unknown name refused, released when the server lets go.
TEST_P(ComInproc, AClientObjectIsCalledByNameDuringTheCallAndLater) {
  ComObject object = sample();
  std::vector<std::string> calls;
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  {
    ComVariant sink = ComVariant::clientObject(
        {"Notify"}, [&calls, alive](ComCall& call) -> ComVariant {
          std::string text = call.args.at(0).text();
          calls.push_back(call.name + "(" + text + ")");
          if (text == "change") call.args[0] = ComVariant("changed");  // ByRef Value
          return ComVariant("got " + call.args[0].text());
        });
    alive.reset();
    object.call("SetSink", {sink});  // Sink.Notify "set" inside the call
  }  // this process's reference gone: the server's stand-in holds the only one
  EXPECT_EQ(calls, (std::vector<std::string>{"Notify(set)"}));
  // A later call: CallSink("notify", value) calls Sink.notify(value) (names as VB: any case).
  ComInvokeResult later = object.invoke("CallSink", InvokeKind::Method, {"notify", "change"});
  EXPECT_EQ(later.result.text(), "got changed");
  EXPECT_EQ(later.byRef.at(1).text(), "changed");
  // From the apartment's timer while the client only waits.
  object.call("NotifyLater", {20});
  ASSERT_TRUE(host->waitUntil([&] { return calls.size() >= 3; }, std::chrono::seconds(20)));
  EXPECT_EQ(calls.back(), "Notify(timer)");
  EXPECT_EQ(object.get("LastEventResult").asInt(), 0);
  // A name it does not answer: the server's GetIDsOfNames gets DISP_E_UNKNOWNNAME.
  Error unknown = expectError(ErrorKind::Remote, [&] { object.call("CallSink", {"Other", 1}); });
  EXPECT_CONTAINS(unknown.message(), "0x80020006");
  EXPECT_EQ(calls.size(), 3u);
  EXPECT_FALSE(watch.expired());
  // Released when the server releases it: the handler, and what it holds, go.
  object.call("ReleaseSink");
  EXPECT_TRUE(host->waitUntil([&] { return watch.expired(); }, std::chrono::seconds(20)));
  EXPECT_EQ(object.call("Add", {1, 2}).asInt(), 3);
}

TEST_P(ComInproc, AClientObjectThatThrowsFailsTheServersCallNotTheHost) {
  ComObject object = sample();
  ComVariant sink = ComVariant::clientObject({"Notify"}, [](ComCall&) -> ComVariant {
    throw std::runtime_error("sink failed on purpose");
  });
  // SetSink raises what its Sink.Notify call got: DISP_E_EXCEPTION, the handler's message.
  Error e = expectError(ErrorKind::Remote, [&] { object.call("SetSink", {sink}); });
  EXPECT_CONTAINS(e.message(), "0x80020009");
  EXPECT_CONTAINS(e.message(), "sink failed on purpose");
  // An answer that cannot be carried (an object) is refused the same way.
  ComObject other = sample();
  ComVariant answersAnObject = ComVariant::clientObject(
      {"Notify"}, [&other](ComCall&) -> ComVariant { return ComVariant(other); });
  e = expectError(ErrorKind::Remote, [&] { object.call("SetSink", {answersAnObject}); });
  EXPECT_CONTAINS(e.message(), "an object in its answer");
  EXPECT_EQ(object.call("Add", {2, 3}).asInt(), 5);
  expectError(ErrorKind::BadConfiguration, [&] { ComVariant::clientObject({"Notify"}, nullptr); });
}

TEST_P(ComInproc, AWrongBitnessDllIsRefusedBeforeLoading) {
  std::string wrong =
      testComponent("com_sample", GetParam() == Arch::x86 ? Arch::x86_64 : Arch::x86);
  ASSERT_NE(wrong, samplePath);
  Error e = expectError(ErrorKind::WrongBitness,
                        [&] { host->createComObjectFromFile(wrong, kSampleClsid); });
  EXPECT_CONTAINS(e.message(), "libcom_sample.dll");
  EXPECT_CONTAINS(e.message(), GetParam() == Arch::x86 ? "bitbridge-host32" : "bitbridge-host64");
  // Not a COM server, and a class the DLL does not have.
  Error notCom = expectError(ErrorKind::BadConfiguration, [&] {
    host->createComObjectFromFile(testComponent("bind_test_lib", GetParam()), kSampleClsid);
  });
  EXPECT_CONTAINS(notCom.message(), "DllGetClassObject");
  expectError(ErrorKind::NotFound, [&] {
    host->createComObjectFromFile(samplePath, kDictionaryClsid);
  });
  // A name the type library does not have: its classes are listed.
  Error unknown = expectError(ErrorKind::NotFound,
                              [&] { host->createComObjectFromFile(samplePath, "Sample.Sample"); });
  EXPECT_CONTAINS(unknown.message(), "has no class 'Sample.Sample'");
  EXPECT_CONTAINS(unknown.message(), "BitbridgeSampleLib.Sample {6D1F7A40-");
  // A file without a type library cannot be asked by name.
  Error noTypeLibrary = expectError(ErrorKind::BadConfiguration, [&] {
    host->createComObjectFromFile(testComponent("bind_test_lib", GetParam()), "Lib.Class");
  });
  EXPECT_CONTAINS(noTypeLibrary.message(), "it has no type library");
  EXPECT_CONTAINS(noTypeLibrary.hint(), "CLSID");
  EXPECT_EQ(sample().call("Add", {1, 2}).asInt(), 3);
}

// What a VB6 user knows is the ProgID, "Project.Class": found in the DLL's own type library,
// without registration; the class name alone and any case do as well, as in VB.
TEST_P(ComInproc, CreatedFromItsFileByTheProgIdItsTypeLibraryGives) {
  for (const char* name : {"BitbridgeSampleLib.Sample", "Sample", "bitbridgesamplelib.SAMPLE"}) {
    ComObject object = host->createComObjectFromFile(samplePath, name);
    EXPECT_EQ(object.call("Add", {40, 2}).asInt(), 42) << name;
    EXPECT_EQ(object.className(), "_Sample") << name;
  }
}

// A VB6 DLL under a Wine prefix without the VB6 runtime: the error names the runtime, says
// where it comes from, and the host goes on serving.
TEST_P(ComInproc, AnActiveXDllWhoseVisualBasicRuntimeIsMissingNamesItAndWhereToGetIt) {
  std::string path = testComponent("vb6_like_server", GetParam());
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { host->createComObjectFromFile(path, kSampleClsid); });
  EXPECT_CONTAINS(e.message(), "libvb6_like_server.dll");
  EXPECT_CONTAINS(e.message(), "it needs MSVBVM60.DLL, which is nowhere the loader looks");
  EXPECT_CONTAINS(e.hint(), "the Visual Basic 6 runtime");
  EXPECT_CONTAINS(e.hint(), "syswow64");
  EXPECT_CONTAINS(e.hint(), "bitbridge");  // the inspect command that lists its dependencies
  EXPECT_EQ(sample().call("Add", {1, 2}).asInt(), 3);
}

class Dictionary : public ::testing::TestWithParam<Arch> {
 protected:
  Dictionary() {
    HostOptions options;
    options.arch = GetParam();  // registered classes: the host's bitness picks the registry view
    host = std::make_unique<Host>(Host::spawn(runtime, options));
  }
  Runtime runtime;
  std::unique_ptr<Host> host;
};

TEST_P(Dictionary, WinesScriptingDictionaryFilledEnumeratedAndQueried) {
  ComObject dict = host->createComObject("Scripting.Dictionary");
  dict.call("Add", {"a", 1});
  dict.call("Add", {"b", "two"});
  dict.call("Add", {3, 4.5});
  EXPECT_EQ(dict.get("Count").asInt(), 3);
  EXPECT_EQ(dict.get("Item", {"a"}).asInt(), 1);
  EXPECT_EQ(dict.get("Item", {"b"}).text(), "two");
  EXPECT_EQ(dict.get("", {3}).asDouble(), 4.5);  // default member: Item
  EXPECT_TRUE(dict.call("Exists", {"b"}).asBool());
  EXPECT_FALSE(dict.call("Exists", {"zz"}).asBool());
  dict.put("Item", "B", {"b"});
  EXPECT_EQ(dict.get("Item", {"b"}).text(), "B");
  // Keys(): an array of VARIANTs; For Each: the keys.
  ComVariant keys = dict.call("Keys");
  ASSERT_EQ(keys.type(), VariantType::Array);
  ASSERT_EQ(keys.array().elements.size(), 3u);
  EXPECT_EQ(keys.array().elements[0].text(), "a");
  EXPECT_EQ(keys.array().elements[2].asInt(), 3);
  auto items = dict.enumerate();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].text(), "b");
  dict.call("Remove", {"a"});
  EXPECT_EQ(dict.get("Count").asInt(), 2);
  // Its own error for a duplicate key.
  Error e = expectError(ErrorKind::Remote, [&] { dict.call("Add", {"b", 1}); });
  EXPECT_CONTAINS(e.message(), "Add");
  EXPECT_CONTAINS(e.message(), "VB error 457");  // "This key is already associated..."
}

TEST_P(Dictionary, RegisteredByClsidAndUnknownClassesNamed) {
  ComObject dict = host->createComObject(kDictionaryClsid);
  dict.call("Add", {"k", 1});
  EXPECT_EQ(dict.get("Count").asInt(), 1);
  Error e = expectError(ErrorKind::NotFound, [&] { host->createComObject("No.SuchClass"); });
  EXPECT_CONTAINS(e.message(), "No.SuchClass");
  EXPECT_CONTAINS(e.message(), GetParam() == Arch::x86 ? "32-bit registry view"
                                                       : "64-bit registry view");
  expectError(ErrorKind::NotFound,
              [&] { host->createComObject("{00000000-1111-2222-3333-444444444444}"); });
}

TEST_P(Dictionary, EachObjectHasItsOwnStateAndManyComeAndGo) {
  ComObject first = host->createComObject("Scripting.Dictionary");
  {
    ComObject second = host->createComObject("Scripting.Dictionary");
    second.call("Add", {"only-in-second", 1});
    EXPECT_EQ(second.get("Count").asInt(), 1);
  }  // released in the host: the host keeps serving the others
  EXPECT_EQ(first.get("Count").asInt(), 0);
  for (int i = 0; i < 50; ++i) host->createComObject("Scripting.Dictionary");
  EXPECT_TRUE(host->running());
  EXPECT_EQ(first.get("Count").asInt(), 0);
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComInproc, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });
INSTANTIATE_TEST_SUITE_P(BothBitnesses, Dictionary, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
