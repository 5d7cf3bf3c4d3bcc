// Arrays of VB6 `Type`s (SAFEARRAY of VT_RECORD) and records in events' ByRef arguments, by
// late binding (issue 17), under Wine: the tests' ActiveX DLL returns `Points() As Point` with
// VB6 bounds (from 1), takes `ScalePoints(pts() As Point)` ByRef and ReDims it, describes what it
// gets, and raises `Moving(p As Point)` whose handler changes the record; hosts of both bitnesses
// from programs of both bitnesses. Attacked: elements of another record, bounds that do not
// match the elements, arrays of records where none is carried, big arrays; every refusal names
// the element, and the host, and another object of it, serve on.
#include <windows.h>

#include <gtest/gtest.h>

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
constexpr char kSampleLibrary[] = "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A01} 1.0";
constexpr char kPointGuid[] = "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A20}";
constexpr uint16_t kVtRecord = 36;

ComRecord tag(int32_t id, const std::string& label) {
  return ComRecord{"", "", "Tag", {{"Id", id}, {"Label", label}}};
}

// Public Type Point: X As Long: Y As Double: Name As String: Inner As Tag: Samples() As Long
ComRecord point(int32_t x, const std::string& name) {
  return ComRecord{"", "", "Point",
                   {{"X", x}, {"Y", 0.5}, {"Name", name}, {"Inner", tag(x, "t")},
                    {"Samples", ComVariant()}}};
}

const ComRecord kPointType{"", "", "Point", {}};

class ComRecordArrays : public ::testing::TestWithParam<Arch> {
 protected:
  ComRecordArrays() {
    HostOptions options;
    options.legacyLibrary = samplePath;
    host = std::make_unique<Host>(Host::spawn(runtime, options));
  }
  ComObject sample() { return host->createComObjectFromFile(samplePath, kSampleClsid); }

  std::string samplePath = testComponent("com_sample", GetParam());
  Runtime runtime;
  std::unique_ptr<Host> host;
};

TEST_P(ComRecordArrays, AFunctionReturnsAnArrayOfRecordsWithItsBounds) {
  ComObject object = sample();
  ComVariant points = object.call("Points", {3, 1});  // Points(1 To 3)
  ASSERT_EQ(points.type(), VariantType::Array) << points.describe();
  const ComSafeArray& array = points.array();
  EXPECT_EQ(array.elementType, kVtRecord);
  EXPECT_EQ(array.recordType.name, "Point");
  EXPECT_EQ(array.recordType.typeLibrary, kSampleLibrary);
  EXPECT_EQ(array.recordType.guid, kPointGuid);
  ASSERT_EQ(array.bounds.size(), 1u);
  EXPECT_EQ(array.bounds[0].lower, 1);
  EXPECT_EQ(array.bounds[0].count, 3u);
  ASSERT_EQ(array.elements.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const ComRecord& p = array.elements[i].record();
    EXPECT_EQ(p.name, "Point");
    EXPECT_EQ(p.field("X").asInt(), i + 1);
    EXPECT_EQ(p.field("Name").text(), "p" + std::to_string(i + 1));
    EXPECT_EQ(p.field("Inner").record().field("Label").text(), "tag p" + std::to_string(i + 1));
    EXPECT_EQ(p.field("Samples").array().elements.size(), 3u);
  }
  EXPECT_EQ(points.describe(), "array(record Point)[3]");
  // What the host returned goes back in as it is: bounds, library, GUID, names.
  EXPECT_EQ(object.call("DescribePoints", {points}).text(),
            "lower=1;count=3"
            "|X=1;Y=0.5;Name=p1;Id=10;Label=tag p1;Samples=1,2,3"
            "|X=2;Y=1;Name=p2;Id=20;Label=tag p2;Samples=2,3,4"
            "|X=3;Y=1.5;Name=p3;Id=30;Label=tag p3;Samples=3,4,5");
  // An empty array keeps its lower bound.
  ComVariant none = object.call("Points", {0, -2});
  EXPECT_EQ(none.array().bounds[0].lower, -2);
  EXPECT_EQ(none.array().bounds[0].count, 0u);
  EXPECT_TRUE(none.array().elements.empty());
  EXPECT_EQ(object.call("DescribePoints", {none}).text(), "lower=-2;count=0");
}

TEST_P(ComRecordArrays, AByRefArrayOfRecordsIsChangedReDimmedAndWrittenBack) {
  ComObject object = sample();
  // Elements may leave their identity to the array (by position, no name).
  ComRecord anonymous{"", "", "", {{"", 7}, {"", 1}, {"", "b"}, {"", tag(2, "u")}, {"", ComVariant()}}};
  ComVariant points(ComSafeArray::ofRecords(kPointType, {point(1, "a"), anonymous}, 1));
  ComInvokeResult scaled = object.invoke("ScalePoints", InvokeKind::Method, {points, 3});
  ASSERT_EQ(scaled.byRef.size(), 2u);
  const ComSafeArray& back = scaled.byRef[0].array();
  EXPECT_EQ(back.elementType, kVtRecord);
  EXPECT_EQ(back.recordType.name, "Point");
  ASSERT_EQ(back.bounds.size(), 1u);
  EXPECT_EQ(back.bounds[0].lower, 1);     // kept through ReDim Preserve
  EXPECT_EQ(back.bounds[0].count, 3u);    // one more
  ASSERT_EQ(back.elements.size(), 3u);
  EXPECT_EQ(back.elements[0].record().field("X").asInt(), 3);
  EXPECT_EQ(back.elements[0].record().field("Name").text(), "a*");
  EXPECT_EQ(back.elements[1].record().field("X").asInt(), 21);
  EXPECT_EQ(back.elements[1].record().field("Name").text(), "b*");
  EXPECT_EQ(back.elements[1].record().field("Inner").record().field("Label").text(), "u");
  EXPECT_EQ(back.elements[2].record().field("Name").text(), "added");
  EXPECT_EQ(scaled.byRef[1].asInt(), 3);
  EXPECT_EQ(object.call("DescribePoints", {points}).text(),
            "lower=1;count=2|X=1;Y=0.5;Name=a;Id=1;Label=t;Samples=|X=7;Y=1;Name=b;Id=2;Label=u;Samples=");

  // Many arrays come and go: nothing the host lays out outlives its call.
  for (int i = 0; i < 50; ++i) {
    std::vector<ComRecord> many;
    for (int j = 0; j < 20; ++j) many.push_back(point(j, std::string(50, 'x')));
    auto r = object.invoke("ScalePoints", InvokeKind::Method,
                           {ComSafeArray::ofRecords(kPointType, std::move(many)), 2});
    ASSERT_EQ(r.byRef[0].array().elements.size(), 21u);
  }
  // A big one (VB6 code does pass thousands of records at a time).
  std::vector<ComRecord> big;
  for (int j = 0; j < 5000; ++j) big.push_back(point(j, "big"));
  auto r = object.invoke("ScalePoints", InvokeKind::Method,
                         {ComSafeArray::ofRecords(kPointType, std::move(big), 1), 2});
  ASSERT_EQ(r.byRef[0].array().elements.size(), 5001u);
  EXPECT_EQ(r.byRef[0].array().elements[4999].record().field("X").asInt(), 9998);
}

TEST_P(ComRecordArrays, WrongArraysOfRecordsAreRefusedAndTheHostServesOn) {
  ComObject object = sample();
  ComObject other = sample();
  auto refused = [&](ErrorKind kind, ComVariant array) {
    return expectError(kind, [&] { object.call("DescribePoints", {std::move(array)}); });
  };
  // An element of another record type, by name.
  Error e = refused(ErrorKind::BadConfiguration,
                    ComSafeArray::ofRecords(kPointType, {point(1, "a"), tag(1, "x")}));
  EXPECT_CONTAINS(e.message(), "argument 1 of DescribePoints, element 1: a record Tag in an array "
                               "of Point (" + std::string(kSampleLibrary) + ")");
  EXPECT_CONTAINS(e.hint(), "give every element the array's record type");
  // ... by GUID (Tag's), and of another library.
  ComRecord byGuid = point(2, "b");
  byGuid.name.clear();
  byGuid.guid = "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A21}";
  e = refused(ErrorKind::BadConfiguration, ComSafeArray::ofRecords(kPointType, {byGuid}));
  EXPECT_CONTAINS(e.message(), "element 0: a record {6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A21} in an "
                               "array of Point");
  ComRecord foreign = point(2, "b");
  foreign.typeLibrary = "{00000000-1111-2222-3333-444444444444} 1.0";
  e = refused(ErrorKind::BadConfiguration, ComSafeArray::ofRecords(kPointType, {foreign}));
  EXPECT_CONTAINS(e.message(), "of type library {00000000-1111-2222-3333-444444444444} 1.0 in an "
                               "array of Point");
  // An element whose field does not fit: named by index and field.
  ComRecord garbage = point(3, "c");
  garbage.fields[0].value = "not a number";
  e = refused(ErrorKind::BadConfiguration,
              ComSafeArray::ofRecords(kPointType, {point(1, "a"), point(2, "b"), garbage}));
  EXPECT_CONTAINS(e.message(), "element 2, record Point field X: the field is a Long, and bstr "
                               "\"not a number\" does not convert");
  ComRecord short_{"", "", "Point", {{"X", 1}}};
  e = refused(ErrorKind::BadConfiguration, ComSafeArray::ofRecords(kPointType, {short_}));
  EXPECT_CONTAINS(e.message(), "element 0: record Point has 5 fields");
  // An array of a record the library does not declare.
  e = refused(ErrorKind::NotFound,
              ComSafeArray::ofRecords(ComRecord{"", "", "Nope", {}}, {point(1, "a")}));
  EXPECT_CONTAINS(e.message(), "declares no record Nope");
  // Inside an array of Variants, or a Tag array where Points are wanted (the member's mismatch).
  e = expectError(ErrorKind::BadConfiguration, [&] {
    object.call("Echo", {ComSafeArray::ofVariants(
                            {ComSafeArray::ofRecords(kPointType, {point(1, "a")})})});
  });
  EXPECT_CONTAINS(e.message(), "an array of records Point where bitbridge carries none");
  e = expectError(ErrorKind::Remote, [&] {
    object.call("DescribePoints", {ComSafeArray::ofRecords(ComRecord{"", "", "Tag", {}},
                                                           {tag(1, "x")})});
  });
  EXPECT_CONTAINS(e.message(), "DISP_E_TYPEMISMATCH");
  // Two dimensions: carried, and refused by the member itself.
  ComSafeArray square = ComSafeArray::ofRecords(kPointType, {point(1, "a"), point(2, "b"),
                                                             point(3, "c"), point(4, "d")}, 1);
  square.bounds = {{1, 2}, {1, 2}};
  e = refused(ErrorKind::Remote, square);
  EXPECT_CONTAINS(e.message(), "DISP_E_TYPEMISMATCH");

  // On the wire: bounds that do not match the elements, no record type, elements that are not
  // records, a claimed 2^32 - 1 elements.
  auto dispatch = object.capability().castAs<proto::Dispatch>();
  auto send = [&](auto fill) {
    auto request = dispatch.invokeRequest();
    request.setName("DescribePoints");
    auto array = request.initArgs(1)[0].initArray();
    array.setElementType(kVtRecord);
    array.initRecordType().setName("Point");
    fill(array);
    return expectError(ErrorKind::MalformedPeer, [&] { host->wait(request.send()); });
  };
  e = send([](proto::SafeArray::Builder array) {
    auto bound = array.initBounds(1)[0];
    bound.setLower(1);
    bound.setCount(3);
    array.initElements(2)[0].initRecord().setName("Point");
  });
  EXPECT_CONTAINS(e.message(), "a SAFEARRAY whose bounds hold more elements but which carries 2");
  e = send([](proto::SafeArray::Builder array) {
    array.initBounds(1)[0].setCount(0xFFFFFFFFu);
    array.initElements(1);
  });
  EXPECT_CONTAINS(e.message(), "a SAFEARRAY whose bounds hold more elements but which carries 1");
  e = send([](proto::SafeArray::Builder array) {
    array.initRecordType().setName("");
    array.initBounds(1)[0].setCount(0);
  });
  EXPECT_CONTAINS(e.message(), "the array's record type: a record with neither a name nor a GUID");
  e = send([](proto::SafeArray::Builder array) {
    array.getRecordType().initFields(1);
    array.initBounds(1)[0].setCount(0);
  });
  EXPECT_CONTAINS(e.message(), "whose recordType has fields");
  e = send([](proto::SafeArray::Builder array) {
    array.initBounds(1)[0].setCount(1);
    array.initElements(1)[0].setI4(5);
  });
  EXPECT_CONTAINS(e.message(), "element 0 of a SAFEARRAY of type 36 is a i4");

  // The host, this object and another one serve on.
  EXPECT_EQ(object.call("Points", {2, 1}).array().elements.size(), 2u);
  EXPECT_EQ(other.call("DescribePoints", {ComSafeArray::ofRecords(kPointType, {point(9, "z")}, 5)})
                .text(),
            "lower=5;count=1|X=9;Y=0.5;Name=z;Id=9;Label=t;Samples=");
}

TEST_P(ComRecordArrays, AnEventsByRefRecordChangedByTheHandlerGoesBackToTheSource) {
  ComObject object = sample();
  std::vector<std::string> seen;
  ComEventConnection connection = object.advise([&](ComEvent& event) {
    if (event.name != "Moving") return;
    ComRecord changed = event.args.at(0).record();
    seen.push_back(changed.name + " " + changed.field("Name").text() + " " +
                   std::to_string(changed.field("X").asInt()));
    changed.field("X") = 100;
    changed.field("Name") = "handled";
    changed.field("Inner") = tag(5, "by handler");
    event.args[0] = changed;
  });
  EXPECT_EQ(object.call("FireMoving", {4}).text(),
            "X=100;Y=2;Name=handled;Id=5;Label=by handler;Samples=4,5,6");
  EXPECT_EQ(seen, (std::vector<std::string>{"Point event 4"}));

  // A handler giving back something else than the record: the host logs it (as any value that
  // does not fit a ByRef argument) and the record stays as it was.
  connection.unadvise();
  ComEventConnection wrong = object.advise([&](ComEvent& event) {
    if (event.name == "Moving") event.args[0] = 5;
  });
  EXPECT_EQ(object.call("FireMoving", {2}).text(), "X=2;Y=1;Name=event;Id=20;Label=tag event;Samples=2,3,4");
  wrong.unadvise();
  EXPECT_EQ(object.call("Add", {1, 2}).asInt(), 3);
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComRecordArrays, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
