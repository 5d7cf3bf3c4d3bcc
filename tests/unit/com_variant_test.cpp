// ComVariant and its wire form (common/com_variant_wire.h), portable: every automation type
// round-trips through proto::Variant, and what a peer could get wrong is refused before any
// VARIANT is built (the host converts only what this accepted). Built in all four builds.
#include <type_traits>

#include <capnp/message.h>
#include <gtest/gtest.h>

#include "bitbridge/com.h"
#include "common/com_variant_wire.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;

// No objects in these tests: both directions refuse them.
capnp::Capability::Client noWrap(const std::shared_ptr<ComObjectHandle>&, bool) {
  throw Error(ErrorKind::BadConfiguration, "no objects here");
}
std::shared_ptr<ComObjectHandle> noUnwrap(capnp::Capability::Client, bool) {
  throw Error(ErrorKind::BadConfiguration, "no objects here");
}

ComVariant roundTrip(const ComVariant& value) {
  capnp::MallocMessageBuilder message;
  auto wire = message.initRoot<proto::Variant>();
  variantToWire(value, wire, noWrap);
  return variantFromWire(wire.asReader(), noUnwrap, "test");
}

TEST(ComVariant, ScalarsKeepTheirTypeAndValue) {
  EXPECT_EQ(roundTrip(ComVariant()).type(), VariantType::Empty);
  EXPECT_EQ(roundTrip(ComVariant::null()).type(), VariantType::Null);
  EXPECT_EQ(roundTrip(ComVariant::missing()).type(), VariantType::Missing);
  EXPECT_EQ(roundTrip(ComVariant::nothing()).type(), VariantType::Nothing);
  for (auto type : {VariantType::I1, VariantType::I2, VariantType::I4, VariantType::I8,
                    VariantType::UI1, VariantType::UI2, VariantType::UI4}) {
    ComVariant back = roundTrip(ComVariant::integer(type, 100));
    EXPECT_EQ(back.type(), type);
    EXPECT_EQ(back.asInt(), 100);
  }
  EXPECT_EQ(roundTrip(ComVariant::integer(VariantType::I8, INT64_MIN)).asInt(), INT64_MIN);
  EXPECT_EQ(roundTrip(ComVariant::unsignedInteger(UINT64_MAX)).asUInt64(), UINT64_MAX);
  EXPECT_EQ(roundTrip(ComVariant::single(0.5f)).type(), VariantType::R4);
  EXPECT_EQ(roundTrip(ComVariant::currency(-12345)).currencyScaled(), -12345);
  EXPECT_DOUBLE_EQ(roundTrip(ComVariant::currency(-12345)).asDouble(), -1.2345);
  EXPECT_DOUBLE_EQ(roundTrip(ComVariant::date(1.25)).asDouble(), 1.25);
  EXPECT_TRUE(roundTrip(true).asBool());
  EXPECT_EQ(roundTrip(ComVariant::error(-5)).asInt(), -5);
  ComVariant d = roundTrip(ComVariant::decimal({28, true, 7, 9}));
  EXPECT_EQ(d.decimal().scale, 28);
  EXPECT_TRUE(d.decimal().negative);
  EXPECT_EQ(d.decimal().hi32, 7u);
  EXPECT_EQ(d.decimal().lo64, 9u);
}

TEST(ComVariant, StringsAreUtf16ExactlyWithEmbeddedNuls) {
  std::u16string units(u"a\0b", 3);
  units.push_back(static_cast<char16_t>(0xDC00));  // a lone low surrogate survives
  EXPECT_EQ(roundTrip(ComVariant(units)).bstr(), units);
  EXPECT_EQ(roundTrip("héllo").text(), "héllo");
  EXPECT_EQ(roundTrip(ComVariant(std::u16string(u"x\0y", 3))).text(), "x");  // text() stops at a NUL
  // u"..." is a BSTR, not the bool a pointer would otherwise convert to.
  ComVariant literal(u"h\u00e9");
  EXPECT_EQ(literal.type(), VariantType::BStr);
  EXPECT_EQ(literal.bstr(), std::u16string(u"h\u00e9"));
  EXPECT_EQ(ComVariant(static_cast<const char16_t*>(nullptr)).bstr(), std::u16string());
  static_assert(!std::is_constructible<ComVariant, const int*>::value,
                "a pointer other than text must not become a bool");
  expectError(ErrorKind::BadConfiguration, [] { ComVariant("\xff"); });  // not UTF-8
}

TEST(ComVariant, ArraysKeepElementTypeBoundsAndNesting) {
  ComSafeArray grid;
  grid.elementType = 3;  // VT_I4
  grid.bounds = {{1, 2}, {-1, 3}};
  for (int i = 0; i < 6; ++i) grid.elements.push_back(i);
  ComVariant back = roundTrip(ComVariant(grid));
  EXPECT_EQ(back.array().elementType, 3);
  ASSERT_EQ(back.array().bounds.size(), 2u);
  EXPECT_EQ(back.array().bounds[1].lower, -1);
  EXPECT_EQ(back.array().bounds[1].count, 3u);
  EXPECT_EQ(back.array().elements[5].asInt(), 5);
  ComVariant nested = roundTrip(ComSafeArray::ofVariants({1, ComSafeArray::ofVariants({"in"})}));
  EXPECT_EQ(nested.array().elements[1].array().elements[0].text(), "in");
  ComSafeArray empty;
  empty.elementType = 8;
  empty.bounds = {{0, 0}};
  EXPECT_TRUE(roundTrip(ComVariant(empty)).array().elements.empty());
}

TEST(ComVariant, WrongTypeReadsAndOutOfRangeIntegersAreNamed) {
  Error e = expectError(ErrorKind::BadConfiguration, [] { ComVariant("x").asInt(); });
  EXPECT_CONTAINS(e.message(), "holds bstr, not an integer");
  expectError(ErrorKind::BadConfiguration, [] { ComVariant::integer(VariantType::I1, 200); });
  expectError(ErrorKind::BadConfiguration, [] { ComVariant::integer(VariantType::R8, 1); });
  expectError(ErrorKind::BadConfiguration, [] { ComVariant(1).asObject(); });
}

// A hand-made wire array: what a malicious or broken peer could send.
Error refused(const std::function<void(proto::SafeArray::Builder)>& fill) {
  capnp::MallocMessageBuilder message;
  auto wire = message.initRoot<proto::Variant>();
  fill(wire.initArray());
  return expectError(ErrorKind::MalformedPeer,
                     [&] { variantFromWire(wire.asReader(), noUnwrap, "argument 1 of Echo"); });
}

TEST(ComVariant, MalformedArraysAreRefused) {
  Error count = refused([](proto::SafeArray::Builder a) {
    a.setElementType(12);
    a.initBounds(1)[0].setCount(3);
    a.initElements(2);
  });
  EXPECT_CONTAINS(count.message(), "argument 1 of Echo");
  EXPECT_CONTAINS(count.message(), "carries 2");
  refused([](proto::SafeArray::Builder a) {  // the product overflows 32 and 64 bits
    a.setElementType(12);
    auto b = a.initBounds(3);
    for (unsigned i = 0; i < 3; ++i) b[i].setCount(0xFFFFFFFFu);
    a.initElements(1);
  });
  refused([](proto::SafeArray::Builder a) {  // rank 0
    a.setElementType(12);
  });
  refused([](proto::SafeArray::Builder a) {  // rank above the limit
    a.setElementType(12);
    a.initBounds(kMaxSafeArrayRank + 1);
  });
  Error type = refused([](proto::SafeArray::Builder a) {  // VT_FILETIME
    a.setElementType(64);
    a.initBounds(1)[0].setCount(0);
  });
  EXPECT_CONTAINS(type.message(), "not an automation type");
  Error element = refused([](proto::SafeArray::Builder a) {  // a bstr in an array of VT_I4
    a.setElementType(3);
    a.initBounds(1)[0].setCount(1);
    a.initElements(1)[0].initBstr(1);
  });
  EXPECT_CONTAINS(element.message(), "element 0");
  refused([](proto::SafeArray::Builder a) {  // an upper index past 2^31 - 1
    a.setElementType(12);
    auto b = a.initBounds(1)[0];
    b.setLower(INT32_MAX);
    b.setCount(2);
    a.initElements(2);
  });
  Error scale = expectError(ErrorKind::MalformedPeer, [] {
    capnp::MallocMessageBuilder message;
    auto wire = message.initRoot<proto::Variant>();
    wire.initDecimal().setScale(29);
    variantFromWire(wire.asReader(), noUnwrap, "x");
  });
  EXPECT_CONTAINS(scale.message(), "above 28");
}

TEST(ComVariant, NestingDeeperThanTheLimitIsRefused) {
  capnp::MallocMessageBuilder message;
  auto wire = message.initRoot<proto::Variant>();
  auto current = wire;
  for (unsigned i = 0; i <= kMaxVariantDepth + 1; ++i) {
    auto array = current.initArray();
    array.setElementType(12);
    array.initBounds(1)[0].setCount(1);
    current = array.initElements(1)[0];
  }
  Error e = expectError(ErrorKind::MalformedPeer,
                        [&] { variantFromWire(wire.asReader(), noUnwrap, "deep"); });
  EXPECT_CONTAINS(e.message(), "nested deeper");
}

TEST(ComVariant, RecordsKeepTheirIdentityFieldsAndNesting) {
  ComRecord tag{"", "", "Tag", {{"Id", 3}, {"Label", "t"}}};
  ComRecord point{"{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A01} 1.0", "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A20}",
                  "Point",
                  {{"X", 1}, {"Y", 2.5}, {"", std::u16string(u"a\0b", 3)}, {"Inner", tag},
                   {"Values", ComSafeArray::ofVariants({1, "x"})}}};
  ComVariant back = roundTrip(ComVariant(point));
  ASSERT_EQ(back.type(), VariantType::Record);
  const ComRecord& r = back.record();
  EXPECT_EQ(r.typeLibrary, point.typeLibrary);
  EXPECT_EQ(r.guid, point.guid);
  EXPECT_EQ(r.name, "Point");
  ASSERT_EQ(r.fields.size(), 5u);
  EXPECT_EQ(r.fields[2].name, "");
  EXPECT_EQ(r.fields[2].value.bstr(), std::u16string(u"a\0b", 3));
  EXPECT_EQ(r.field("x").asInt(), 1);
  EXPECT_EQ(r.field("INNER").record().field("Label").text(), "t");
  EXPECT_EQ(r.field("Values").array().elements.size(), 2u);
  EXPECT_EQ(back.describe(), "record Point{5 fields}");
  Error e = expectError(ErrorKind::NotFound, [&] { r.field("Nope"); });
  EXPECT_CONTAINS(e.message(), "record Point has no field 'Nope' (it has: X, Y, , Inner, Values)");
  Error wrong = expectError(ErrorKind::BadConfiguration, [] { ComVariant(1).record(); });
  EXPECT_CONTAINS(wrong.message(), "holds i4, not a record");
}

TEST(ComVariant, MalformedRecordsAreRefused) {
  auto refused = [](auto build) {
    capnp::MallocMessageBuilder message;
    auto wire = message.initRoot<proto::Variant>();
    build(wire.initRecord());
    return expectError(ErrorKind::MalformedPeer,
                       [&] { variantFromWire(wire.asReader(), noUnwrap, "argument 1 of Move"); });
  };
  Error anonymous = refused([](proto::Record::Builder r) { r.initFields(1); });
  EXPECT_CONTAINS(anonymous.message(), "argument 1 of Move: a record with neither a name nor a GUID");
  Error longName = refused([](proto::Record::Builder r) { r.setName(std::string(257, 'n')); });
  EXPECT_CONTAINS(longName.message(), "a record's name of 257 bytes (at most 256)");
  Error longLibrary = refused([](proto::Record::Builder r) {
    r.setName("P");
    r.setTypeLibrary(std::string(300, 'l'));
  });
  EXPECT_CONTAINS(longLibrary.message(), "a record's type library of 300 bytes");
  Error longField = refused([](proto::Record::Builder r) {
    r.setName("P");
    r.initFields(1)[0].setName(std::string(1000, 'f'));
  });
  EXPECT_CONTAINS(longField.message(), "a field name of P of 1000 bytes");
  Error badField = refused([](proto::Record::Builder r) {
    r.setName("P");
    auto fields = r.initFields(2);
    fields[0].setName("A");
    fields[1].setName("B");
    fields[1].initValue().initDecimal().setScale(40);
  });
  EXPECT_CONTAINS(badField.message(), "argument 1 of Move, record P field B: a decimal's scale is 40");
  Error tooMany = refused([](proto::Record::Builder r) {
    r.setName("P");
    r.initFields(kMaxRecordFields + 1);
  });
  EXPECT_CONTAINS(tooMany.message(), "record P with 65536 fields (at most 65535)");
  // Records inside records inside...: the same depth limit as arrays.
  capnp::MallocMessageBuilder message;
  auto record = message.initRoot<proto::Variant>().initRecord();
  for (unsigned i = 0; i <= kMaxVariantDepth + 1; ++i) {
    record.setName("R");
    record = record.initFields(1)[0].initValue().initRecord();
  }
  record.setName("R");
  Error deep = expectError(ErrorKind::MalformedPeer, [&] {
    variantFromWire(message.getRoot<proto::Variant>().asReader(), noUnwrap, "deep");
  });
  EXPECT_CONTAINS(deep.message(), "nested deeper");
}

TEST(ComVariant, ArraysOfRecordsKeepTheirRecordTypeBoundsAndElements) {
  ComRecord a{"", "", "Point", {{"X", 1}, {"Name", "a"}}};
  ComRecord anonymous{"", "", "", {{"", 2}, {"", "b"}}};  // identity left to the array
  ComSafeArray array = ComSafeArray::ofRecords(
      ComRecord{"{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A01} 1.0", "", "Point", {{"ignored", 1}}},
      {a, anonymous}, 1);
  EXPECT_TRUE(array.recordType.fields.empty());
  ComVariant back = roundTrip(ComVariant(array));
  EXPECT_EQ(back.describe(), "array(record Point)[2]");
  const ComSafeArray& got = back.array();
  EXPECT_EQ(got.elementType, 36);
  EXPECT_EQ(got.recordType.name, "Point");
  EXPECT_EQ(got.recordType.typeLibrary, "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A01} 1.0");
  EXPECT_EQ(got.bounds[0].lower, 1);
  EXPECT_EQ(got.bounds[0].count, 2u);
  EXPECT_EQ(got.elements[0].record().field("X").asInt(), 1);
  EXPECT_EQ(got.elements[1].record().name, "");
  EXPECT_EQ(got.elements[1].record().fields[1].value.text(), "b");
  EXPECT_TRUE(roundTrip(ComVariant(ComSafeArray::ofRecords(a, {}))).array().elements.empty());
}

TEST(ComVariant, MalformedArraysOfRecordsAreRefused) {
  Error noType = refused([](proto::SafeArray::Builder a) {
    a.setElementType(36);
    a.initBounds(1)[0].setCount(0);
  });
  EXPECT_CONTAINS(noType.message(),
                  "the array's record type: a record with neither a name nor a GUID");
  Error fields = refused([](proto::SafeArray::Builder a) {
    a.setElementType(36);
    a.initRecordType().setName("Point");
    a.getRecordType().initFields(2);
    a.initBounds(1)[0].setCount(0);
  });
  EXPECT_CONTAINS(fields.message(), "whose recordType has fields");
  Error notRecord = refused([](proto::SafeArray::Builder a) {
    a.setElementType(36);
    a.initRecordType().setName("Point");
    a.initBounds(1)[0].setCount(1);
    a.initElements(1)[0].setI4(3);
  });
  EXPECT_CONTAINS(notRecord.message(), "element 0 of a SAFEARRAY of type 36 is a i4");
  Error longName = refused([](proto::SafeArray::Builder a) {
    a.setElementType(36);
    a.initRecordType().setName("Point");
    a.initBounds(1)[0].setCount(1);
    a.initElements(1)[0].initRecord().setName(std::string(300, 'n'));
  });
  EXPECT_CONTAINS(longName.message(), "element 0: a record's name of 300 bytes");
  Error count = refused([](proto::SafeArray::Builder a) {
    a.setElementType(36);
    a.initRecordType().setName("Point");
    a.initBounds(1)[0].setCount(3);
    a.initElements(2);
  });
  EXPECT_CONTAINS(count.message(), "carries 2");
  // A record's element type elsewhere than an array of records: a record in an array of
  // Variants is a Variant (carried as such); in an array of Long it is refused.
  Error inLongs = refused([](proto::SafeArray::Builder a) {
    a.setElementType(3);
    a.initBounds(1)[0].setCount(1);
    a.initElements(1)[0].initRecord().setName("Point");
  });
  EXPECT_CONTAINS(inLongs.message(), "element 0 of a SAFEARRAY of type 3 is a record");
}

}  // namespace
}  // namespace bitbridge
