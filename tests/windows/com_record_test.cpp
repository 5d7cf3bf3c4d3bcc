// VB6 `Type`s (records, VT_RECORD) in late-bound calls (issue 17), under Wine: the tests'
// ActiveX DLL's Point (a Long, a Double, a String, a nested Tag record, a dynamic array of Long)
// passed ByRef and changed in place, returned by a function, kept in a property, in hosts of
// both bitnesses from programs of both bitnesses; wrong records refused naming the record and
// the field, and the host serving on.
#include <windows.h>

#include <gtest/gtest.h>

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
constexpr uint16_t kVtI4 = 3;

ComVariant longs(std::vector<int32_t> values) {
  ComSafeArray array;
  array.elementType = kVtI4;
  array.bounds.push_back({1, static_cast<uint32_t>(values.size())});
  for (int32_t v : values) array.elements.emplace_back(v);
  return ComVariant(std::move(array));
}

std::vector<int64_t> longsOf(const ComVariant& value) {
  std::vector<int64_t> out;
  for (const auto& element : value.array().elements) out.push_back(element.asInt());
  return out;
}

ComRecord tag(int32_t id, const std::string& label) {
  return ComRecord{"", "", "Tag", {{"Id", id}, {"Label", label}}};
}

// Public Type Point: X As Long: Y As Double: Name As String: Inner As Tag: Samples() As Long
ComRecord point(int32_t x, double y, ComVariant name, int32_t id, const std::string& label,
                ComVariant values) {
  return ComRecord{"", "", "Point",
                   {{"X", x}, {"Y", y}, {"Name", std::move(name)}, {"Inner", tag(id, label)},
                    {"Samples", std::move(values)}}};
}

class ComRecords : public ::testing::TestWithParam<Arch> {
 protected:
  ComRecords() {
    HostOptions options;
    options.legacyLibrary = samplePath;
    host = std::make_unique<Host>(Host::spawn(runtime, options));
  }
  ComObject sample() { return host->createComObjectFromFile(samplePath, kSampleClsid); }

  std::string samplePath = testComponent("com_sample", GetParam());
  Runtime runtime;
  std::unique_ptr<Host> host;
};

TEST_P(ComRecords, AByRefRecordIsChangedInPlaceAndWrittenBack) {
  ComObject object = sample();
  std::u16string name = u"\u00e9t\u00e9";  // UTF-16 with an embedded NUL, kept exactly
  name.push_back(u'\0');
  name += u"end";
  ComInvokeResult moved = object.invoke(
      "MovePoint", InvokeKind::Method, {point(1, 2.5, ComVariant(name), 7, "seven", longs({10, 20})), 5});
  ASSERT_EQ(moved.byRef.size(), 2u);
  ASSERT_EQ(moved.byRef[0].type(), VariantType::Record) << moved.byRef[0].describe();
  const ComRecord& p = moved.byRef[0].record();
  EXPECT_EQ(p.name, "Point");
  EXPECT_EQ(p.typeLibrary, kSampleLibrary);
  EXPECT_EQ(p.guid, kPointGuid);
  std::vector<std::string> names;
  for (const auto& field : p.fields) names.push_back(field.name);
  EXPECT_EQ(names, (std::vector<std::string>{"X", "Y", "Name", "Inner", "Samples"}));
  EXPECT_EQ(p.field("X").type(), VariantType::I4);
  EXPECT_EQ(p.field("X").asInt(), 6);
  EXPECT_DOUBLE_EQ(p.field("y").asDouble(), 5.0);  // field names are case-insensitive, as in VB
  EXPECT_EQ(p.field("Name").bstr(), name + u"!");
  const ComRecord& inner = p.field("Inner").record();
  EXPECT_EQ(inner.name, "Tag");
  EXPECT_EQ(inner.field("Id").asInt(), 8);
  EXPECT_EQ(inner.field("Label").text(), "moved");
  EXPECT_EQ(p.field("Samples").array().elementType, kVtI4);
  EXPECT_EQ(p.field("Samples").array().bounds[0].lower, 1);
  EXPECT_EQ(longsOf(p.field("Samples")), (std::vector<int64_t>{15, 25}));
  EXPECT_EQ(moved.byRef[1].asInt(), 5);  // ByVal dx unchanged
  Error missing = expectError(ErrorKind::NotFound, [&] { p.field("Z"); });
  EXPECT_CONTAINS(missing.message(), "record Point has no field 'Z' (it has: X, Y, Name, Inner, Samples)");
}

TEST_P(ComRecords, AFunctionReturnsARecordAndAPropertyKeepsOne) {
  ComObject object = sample();
  ComVariant made = object.call("MakePoint", {4, "p"});
  ASSERT_EQ(made.type(), VariantType::Record) << made.describe();
  const ComRecord& p = made.record();
  EXPECT_EQ(p.field("X").asInt(), 4);
  EXPECT_DOUBLE_EQ(p.field("Y").asDouble(), 2.0);
  EXPECT_EQ(p.field("Name").text(), "p");
  EXPECT_EQ(p.field("Inner").record().field("Id").asInt(), 40);
  EXPECT_EQ(p.field("Inner").record().field("Label").text(), "tag p");
  EXPECT_EQ(longsOf(p.field("Samples")), (std::vector<int64_t>{4, 5, 6}));
  // What the host returned goes back in as it is (library, GUID and field names checked).
  EXPECT_EQ(object.call("DescribePoint", {made}).text(),
            "X=4;Y=2;Name=p;Id=40;Label=tag p;Samples=4,5,6");
  // Fields by position, values converted to the fields' types as VB assigns them (Y = 3).
  ComRecord positional{"", "", "point", {{"", 1}, {"", 3}, {"", "n"}, {"", tag(2, "t")}, {"", ComVariant()}}};
  EXPECT_EQ(object.call("DescribePoint", {positional}).text(),
            "X=1;Y=3;Name=n;Id=2;Label=t;Samples=");

  // Property Get/Let Origin As Point: empty at first (no strings, no array).
  ComVariant origin = object.get("Origin");
  EXPECT_EQ(origin.record().field("X").asInt(), 0);
  EXPECT_EQ(origin.record().field("Name").text(), "");
  EXPECT_TRUE(origin.record().field("Samples").isEmpty());
  object.put("Origin", point(-3, 0.25, "origin", 1, "one", longs({7})));
  origin = object.get("Origin");
  EXPECT_EQ(origin.record().field("X").asInt(), -3);
  EXPECT_DOUBLE_EQ(origin.record().field("Y").asDouble(), 0.25);
  EXPECT_EQ(origin.record().field("Name").text(), "origin");
  EXPECT_EQ(origin.record().field("Inner").record().field("Label").text(), "one");
  EXPECT_EQ(longsOf(origin.record().field("Samples")), (std::vector<int64_t>{7}));

  // Many records come and go: nothing the host lays out outlives its call.
  for (int i = 0; i < 200; ++i) {
    auto r = object.invoke("MovePoint", InvokeKind::Method,
                           {point(i, 1, std::string(100, 'x'), i, "l", longs({1, 2, 3})), 1});
    ASSERT_EQ(r.byRef[0].record().field("X").asInt(), i + 1);
  }
}

TEST_P(ComRecords, WrongRecordsAreRefusedNamingTheRecordAndTheField) {
  ComObject object = sample();
  auto refused = [&](ErrorKind kind, ComVariant record) {
    return expectError(kind, [&] { object.call("DescribePoint", {std::move(record)}); });
  };
  Error e = refused(ErrorKind::BadConfiguration,
                    ComRecord{"", "", "Point", {{"X", 1}, {"Y", 2.0}, {"Name", "a"}}});
  EXPECT_CONTAINS(e.message(), "argument 1 of DescribePoint");
  EXPECT_CONTAINS(e.message(),
                  "record Point has 5 fields (X, Y, Name, Inner, Samples), 3 given");
  EXPECT_CONTAINS(e.hint(), "in the order its Type declares them");

  ComRecord wrongType = point(1, 2, "a", 3, "b", ComVariant());
  wrongType.fields[0].value = "not a number";
  e = refused(ErrorKind::BadConfiguration, wrongType);
  EXPECT_CONTAINS(e.message(), "record Point field X: the field is a Long, and bstr \"not a number\" does not convert");

  ComRecord nested = point(1, 2, "a", 3, "b", ComVariant());
  nested.fields[3].value = 5;
  e = refused(ErrorKind::BadConfiguration, nested);
  EXPECT_CONTAINS(e.message(), "record Point field Inner: the field is a record Tag, given i4 5");
  nested.fields[3].value = point(1, 2, "a", 3, "b", ComVariant());
  e = refused(ErrorKind::BadConfiguration, nested);
  EXPECT_CONTAINS(e.message(), "the field is a record Tag, given a record Point");
  nested.fields[3].value = ComRecord{"", "", "Tag", {{"Id", 1}}};
  e = refused(ErrorKind::BadConfiguration, nested);
  EXPECT_CONTAINS(e.message(), "record Tag has 2 fields (Id, Label), 1 given");

  ComRecord renamed = point(1, 2, "a", 3, "b", ComVariant());
  renamed.fields[1].name = "Z";
  e = refused(ErrorKind::BadConfiguration, renamed);
  EXPECT_CONTAINS(e.message(), "record Point field Y: field 2 is Y, given 'Z'");

  ComSafeArray texts = ComSafeArray::ofVariants({"a", "b"});
  e = refused(ErrorKind::BadConfiguration, point(1, 2, "a", 3, "b", ComVariant(texts)));
  EXPECT_CONTAINS(e.message(), "record Point field Samples: the field is an array of Long");

  ComRecord unknown = point(1, 2, "a", 3, "b", ComVariant());
  unknown.name = "Nope";
  e = refused(ErrorKind::NotFound, unknown);
  EXPECT_CONTAINS(e.message(), "type library " + std::string(kSampleLibrary) + " declares no record Nope");

  // A record of another library: neither the object's own nor registered.
  ComRecord foreign = point(1, 2, "a", 3, "b", ComVariant());
  foreign.typeLibrary = "{00000000-1111-2222-3333-444444444444} 1.0";
  e = refused(ErrorKind::NotFound, foreign);
  EXPECT_CONTAINS(e.message(), "record Point of type library {00000000-1111-2222-3333-444444444444} 1.0: "
                               "that is not the type library of _Sample (" +
                                   std::string(kSampleLibrary) + "), and no such library is registered");
  foreign.typeLibrary = "garbage";
  e = refused(ErrorKind::BadConfiguration, foreign);
  EXPECT_CONTAINS(e.message(), "the type library 'garbage' is not \"{LIBID} major.minor\"");
  // Its own library's version 2.0 is another library.
  foreign.typeLibrary = "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A01} 2.0";
  e = refused(ErrorKind::NotFound, foreign);
  EXPECT_CONTAINS(e.message(), "not the type library of _Sample");

  // A GUID that is the class's interface, not a record; a GUID and a name that disagree.
  ComRecord byGuid = point(1, 2, "a", 3, "b", ComVariant());
  byGuid.guid = "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A02}";
  e = refused(ErrorKind::BadConfiguration, byGuid);
  EXPECT_CONTAINS(e.message(), "is _Sample, which is not a record");
  byGuid.guid = "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A21}";
  e = refused(ErrorKind::BadConfiguration, byGuid);
  EXPECT_CONTAINS(e.message(), "is Tag, not Point");
  byGuid.guid = "not a guid";
  e = refused(ErrorKind::BadConfiguration, byGuid);
  EXPECT_CONTAINS(e.message(), "the record's GUID 'not a guid' is not a GUID");

  // Where a record is not carried: inside an array.
  e = expectError(ErrorKind::BadConfiguration, [&] {
    object.call("Echo", {ComSafeArray::ofVariants({point(1, 2, "a", 3, "b", ComVariant())})});
  });
  EXPECT_CONTAINS(e.message(), "record Point where bitbridge carries none (inside an array");
  // A Tag where the member takes a Point: the member itself says type mismatch.
  e = expectError(ErrorKind::Remote, [&] { object.call("DescribePoint", {tag(1, "x")}); });
  EXPECT_CONTAINS(e.message(), "DISP_E_TYPEMISMATCH");

  // The host goes on serving, records included.
  EXPECT_EQ(object.call("Add", {1, 2}).asInt(), 3);
  EXPECT_EQ(object.call("MakePoint", {1, "z"}).record().field("X").asInt(), 1);
}

TEST_P(ComRecords, MalformedRecordsOnTheWireAreRefusedAndTheHostKeepsServing) {
  ComObject object = sample();
  auto dispatch = object.capability().castAs<proto::Dispatch>();
  {
    auto request = dispatch.invokeRequest();
    request.setName("DescribePoint");
    request.initArgs(1)[0].initRecord().initFields(1)[0].initValue().setI4(1);
    Error e = expectError(ErrorKind::MalformedPeer, [&] { host->wait(request.send()); });
    EXPECT_CONTAINS(e.message(), "argument 1 of DescribePoint: a record with neither a name nor a GUID");
  }
  {
    auto request = dispatch.invokeRequest();
    request.setName("DescribePoint");
    request.initArgs(1)[0].initRecord().setName(std::string(1000, 'n'));
    Error e = expectError(ErrorKind::MalformedPeer, [&] { host->wait(request.send()); });
    EXPECT_CONTAINS(e.message(), "a record's name of 1000 bytes (at most 256)");
  }
  {
    // 40 records, one inside the other. Cap'n Proto's reader stops at 64 pointer levels, about
    // 4 per record, before the host's own limit (16 records deep, tested in
    // com_variant_test.cpp) is reached: the RPC layer refuses the message as a remote failure.
    // Either way the call is refused and the host serves on.
    auto request = dispatch.invokeRequest();
    request.setName("DescribePoint");
    auto record = request.initArgs(1)[0].initRecord();
    for (int i = 0; i < 40; ++i) {
      record.setName("Point");
      record = record.initFields(1)[0].initValue().initRecord();
    }
    record.setName("Point");
    try {
      host->wait(request.send());
      ADD_FAILURE() << "records nested 40 deep were accepted";
    } catch (const Error& e) {
      EXPECT_TRUE(e.kind() == ErrorKind::Remote || e.kind() == ErrorKind::MalformedPeer)
          << e.what();
      EXPECT_CONTAINS(e.message(), "nested");
    }
  }
  EXPECT_EQ(object.call("DescribePoint", {point(1, 2, "a", 3, "b", longs({4}))}).text(),
            "X=1;Y=2;Name=a;Id=3;Label=b;Samples=4");
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, ComRecords, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
