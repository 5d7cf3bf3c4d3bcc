// typelib_schema.h: the schema `bitbridge import-typelib` writes, from type library models made
// here (the Windows suites compare the whole output for a real type library, sample.tlb, with a
// golden file): names made valid for Cap'n Proto, members sorted by DISPID whatever the
// library's order, property get/put, ByRef and optional parameters, enums with their values,
// records (members taking them included), members that cannot be carried left out with the reason, and the reader of a
// non-Windows build naming the fix.
#include <gtest/gtest.h>

#include "bitbridge/error.h"
#include "support/test_support.h"
#include "typelib_reader.h"
#include "typelib_schema.h"

namespace bitbridge::typelib {
namespace {

TlType scalar(uint16_t vt) {
  TlType t;
  t.kind = TlType::Kind::Scalar;
  t.vt = vt;
  return t;
}

TlParam param(std::string name, TlType type, bool out = false) {
  TlParam p;
  p.name = std::move(name);
  p.type = std::move(type);
  p.out = out;
  return p;
}

TypeLibModel model() {
  TypeLibModel m;
  m.name = "Accounts";
  m.libid = "{11111111-2222-3333-4444-555555555555}";
  m.major = 2;
  m.minor = 1;
  TlEnum colors;
  colors.name = "tagCOLOR";
  colors.values = {{"COLOR_RED", 1}, {"COLOR_DARK_BLUE", -5}};
  m.enums.push_back(colors);
  TlRecord point;
  point.name = "tagPOINT";
  point.fields = {{"x", scalar(3)}, {"y", scalar(3)}};
  m.records.push_back(point);
  TlInterface account;
  account.name = "_Account";
  account.iid = "{AAAAAAAA-2222-3333-4444-555555555555}";
  TlMember balancePut;  // listed before its get and out of DISPID order on purpose
  balancePut.dispid = 5;
  balancePut.kind = TlMember::Kind::PropertyPut;
  balancePut.name = "Balance";
  balancePut.params = {param("value", scalar(6))};
  TlMember balanceGet;
  balanceGet.dispid = 5;
  balanceGet.kind = TlMember::Kind::PropertyGet;
  balanceGet.name = "Balance";
  balanceGet.result = scalar(6);
  TlMember deposit;
  deposit.dispid = 1;
  deposit.name = "Deposit";
  deposit.params = {param("amount", scalar(5)), param("Total", scalar(5), true)};
  deposit.params[0].optional = true;
  TlType color;
  color.kind = TlType::Kind::Enum;
  color.name = "tagCOLOR";
  deposit.result = color;
  TlMember move;
  move.dispid = 2;
  move.name = "Move";
  TlType pointType;
  pointType.kind = TlType::Kind::Record;
  pointType.name = "tagPOINT";
  move.params = {param("to", pointType, true)};
  TlMember frame;  // a record no struct stands for: of another library
  frame.dispid = 3;
  frame.name = "Frame";
  TlType rectType;
  rectType.kind = TlType::Kind::Record;
  rectType.name = "tagRECT";
  frame.result = rectType;
  TlMember points;  // VB6's Function Points(pts() As tagPOINT) As tagPOINT()
  points.dispid = 6;
  points.name = "Points";
  TlType pointList;
  pointList.kind = TlType::Kind::RecordList;
  pointList.name = "tagPOINT";
  points.params = {param("pts", pointList, true)};
  points.result = pointList;
  TlMember border;  // a record of a named other library, of the same name as one of this one
  border.dispid = 7;
  border.name = "Border";
  TlType otherPoint = pointType;
  otherPoint.otherLibrary = "Shapes {99999999-2222-3333-4444-555555555555} 1.0";
  border.params = {param("corner", otherPoint)};
  account.members = {balancePut, balanceGet, move, frame, deposit, points, border};
  m.interfaces.push_back(account);
  TlClass cls;
  cls.name = "Account";
  cls.clsid = "{BBBBBBBB-2222-3333-4444-555555555555}";
  cls.defaultInterface = "_Account";
  m.classes.push_back(cls);
  return m;
}

TEST(TypeLibSchema, NamesAreMadeValidForCapnProto) {
  EXPECT_EQ(capnpName("_Sample", true), "Sample");
  EXPECT_EQ(capnpName("_NewEnum", false), "newEnum");
  EXPECT_EQ(capnpName("COLOR_DARK_BLUE", false), "colorDarkBlue");
  EXPECT_EQ(capnpName("tagPOINT", true), "TagPOINT");
  EXPECT_EQ(capnpName("X", false), "x");
  EXPECT_EQ(capnpName("2D", true), "T2d");  // must start with a letter
  EXPECT_EQ(capnpName("", true), "");
}

TEST(TypeLibSchema, MembersSortedByDispidThenKindWithTheirAnnotations) {
  std::string schema = writeSchema(model(), "accounts.tlb");
  EXPECT_CONTAINS(schema, "`bitbridge import-typelib accounts.tlb` from type library Accounts 2.1");
  EXPECT_CONTAINS(schema, "$Com.typeLibrary(\"{11111111-2222-3333-4444-555555555555} 2.1\");");
  EXPECT_CONTAINS(schema,
                  "const accountClsid :Text = \"{BBBBBBBB-2222-3333-4444-555555555555}\";");
  EXPECT_CONTAINS(schema, "enum TagCOLOR $Com.name(\"tagCOLOR\") {\n"
                          "  colorRed @0 $Com.value(1) $Com.name(\"COLOR_RED\");\n"
                          "  colorDarkBlue @1 $Com.value(-5) $Com.name(\"COLOR_DARK_BLUE\");\n}");
  EXPECT_CONTAINS(schema, "struct TagPOINT $Com.name(\"tagPOINT\") {\n  x @0 :Int32;\n  y @1 :Int32;\n}");
  EXPECT_CONTAINS(schema, "interface Account $Com.iid(\"{AAAAAAAA-2222-3333-4444-555555555555}\") "
                          "$Com.name(\"_Account\") {\n");
  EXPECT_CONTAINS(schema, "  deposit @0 (amount :Float64 $Com.optional, total :Float64 $Com.byRef "
                          "$Com.name(\"Total\")) -> (result :TagCOLOR, total :Float64 $Com.byRef "
                          "$Com.name(\"Total\")) $Com.dispid(1) $Com.name(\"Deposit\");\n");
  // Move takes a record of the library ByRef: its struct, in and out. Frame returns a record
  // of another library: left out, with the reason; the ordinals go on without it.
  EXPECT_CONTAINS(schema, "  move @1 (to :TagPOINT $Com.byRef) -> (to :TagPOINT $Com.byRef) "
                          "$Com.dispid(2) $Com.name(\"Move\");\n");
  EXPECT_CONTAINS(schema, "  # not written: Frame (DISPID 3): its result is record tagRECT of "
                          "another type library, which this schema does not declare; call it by "
                          "late binding");
  // An array of a record of the library is a List of its struct, in and out.
  EXPECT_CONTAINS(schema, "  points @4 (pts :List(TagPOINT) $Com.byRef) -> (result :List(TagPOINT), "
                          "pts :List(TagPOINT) $Com.byRef) $Com.dispid(6) $Com.name(\"Points\");\n");
  // A record of another library is refused by its library even when a record of this one has
  // its name.
  EXPECT_CONTAINS(schema, "  # not written: Border (DISPID 7): parameter corner is record tagPOINT "
                          "of type library Shapes {99999999-2222-3333-4444-555555555555} 1.0, which "
                          "this schema does not declare; call it by late binding (ComObject::invoke "
                          "with a ComRecord whose typeLibrary is that library's \"{LIBID} "
                          "major.minor\", the library registered)");
  EXPECT_CONTAINS(schema, "  getBalance @2 () -> (value :Int64 $Com.vt(6)) $Com.dispid(5) "
                          "$Com.propget $Com.name(\"Balance\");\n"
                          "  setBalance @3 (value :Int64 $Com.vt(6)) -> () $Com.dispid(5) "
                          "$Com.propput $Com.name(\"Balance\");\n");
  // The same model gives the same text: ordinals are stable.
  EXPECT_EQ(schema, writeSchema(model(), "accounts.tlb"));
}

TEST(TypeLibSchema, ANamespaceGoesIntoTheSchemaAndIsChecked) {
  std::string plain = writeSchema(model(), "accounts.tlb");
  EXPECT_EQ(plain.find("$Cxx.namespace"), std::string::npos);
  std::string schema = writeSchema(model(), "accounts.tlb", "legacy::accounts");
  EXPECT_CONTAINS(schema, "`bitbridge import-typelib --namespace legacy::accounts accounts.tlb`");
  EXPECT_CONTAINS(schema, "using Cxx = import \"/capnp/c++.capnp\";\n"
                          "$Cxx.namespace(\"legacy::accounts\");\n");
  for (const char* good : {"a", "legacy::accounts", "_x::y2"}) EXPECT_TRUE(isCxxNamespace(good)) << good;
  for (const char* bad : {"", "::a", "a::", "a:b", "a::::b", "2a", "a-b", "a b", "a\"b"}) {
    EXPECT_FALSE(isCxxNamespace(bad)) << bad;
  }
}

TEST(TypeLibSchema, TheFileIdDependsOnTheLibraryOnly) {
  TypeLibModel other = model();
  other.interfaces.clear();
  std::string a = writeSchema(model(), "a.tlb"), b = writeSchema(other, "b.tlb");
  auto id = [](const std::string& s) { return s.substr(s.find("\n@0x"), 20); };
  EXPECT_EQ(id(a), id(b));
  other.minor = 2;
  EXPECT_NE(id(a), id(writeSchema(other, "b.tlb")));
}

#ifndef _WIN32
TEST(TypeLibSchema, ThisBuildCannotReadATypeLibraryAndSaysWhatWill) {
  Error e = test::expectError(ErrorKind::Unimplemented, [] { readTypeLib("x.tlb"); });
  EXPECT_CONTAINS(e.message(), "oleaut32");
  EXPECT_CONTAINS(e.hint(), "bitbridge.exe");
  EXPECT_CONTAINS(e.hint(), "wine-run.sh");
}
#endif

}  // namespace
}  // namespace bitbridge::typelib
