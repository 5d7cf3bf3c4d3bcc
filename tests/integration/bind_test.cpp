// Host::bind: a plain C library called from its schema alone, with no component, in a real host
// of each bitness (from both test binaries: 64->32, 64->64, 32->64, 32->32). The library reports
// what its own compiler says (sizeof(long), pointer width), so the host's C ABI is what is
// checked, not the client's. Then the mistakes the host must refuse, naming method and
// parameter, with the host serving on; then libraries nobody on the team wrote (zlib, libm).
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "bind_test.capnp.h"
#include "bitbridge/host.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

std::string bindTestLibrary(Arch arch) { return testComponent("bind_test_lib", arch); }

#if defined(_WIN32)
constexpr bool kWindows = true;
#else
constexpr bool kWindows = false;
#endif

// `long` in the host's C ABI: 4 bytes on Windows (both bitnesses), the pointer's width on Linux.
int32_t hostLongBits(Arch arch) {
#ifdef _WIN32
  (void)arch;
  return 32;
#else
  return arch == Arch::x86 ? 32 : 64;
#endif
}

// The system's libraries of each bitness (Debian multiarch).
std::string systemLibrary(Arch arch, const char* name) {
  return std::string(arch == Arch::x86 ? "/lib/i386-linux-gnu/" : "/lib/x86_64-linux-gnu/") + name;
}

class Bind : public ::testing::TestWithParam<Arch> {
 protected:
  Bind() {
    HostOptions options;
    options.legacyLibrary = bindTestLibrary(GetParam());  // its header picks the host
    host = std::make_unique<Host>(Host::spawn(runtime, options));
    lib = std::make_unique<bindtest::BindTest::Client>(
        host->bind<bindtest::BindTest>(bindTestLibrary(GetParam())));
  }
  template <typename Promise>
  auto wait(Promise&& promise) {
    return host->wait(kj::mv(promise));
  }
  unsigned bits() const { return GetParam() == Arch::x86 ? 32u : 64u; }

  Runtime runtime;
  std::unique_ptr<Host> host;
  // Cap'n Proto clients have noexcept(false) destructors; the fixture's must be noexcept.
  std::unique_ptr<bindtest::BindTest::Client> lib;
};

TEST_P(Bind, RunsInAHostOfTheLibrarysBitness) {
  EXPECT_EQ(host->arch(), GetParam());
  EXPECT_EQ(wait(lib->pointerBitsRequest().send()).getResult(), int32_t(bits()));
  // long is 4 bytes on i386 Linux and Windows, 8 on x86-64 Linux: the library's compiler says.
  EXPECT_EQ(wait(lib->longBitsRequest().send()).getResult(), hostLongBits(GetParam()));
}

TEST_P(Bind, ScalarsOfEveryWidth) {
  auto add = lib->addI32Request();
  add.setA(-7);
  add.setB(49);
  EXPECT_EQ(wait(add.send()).getResult(), 42);

  auto add64 = lib->addU64Request();
  add64.setA(0xFFFFFFFF00000000ull);
  add64.setB(0xFFFFFFFFull);
  EXPECT_EQ(wait(add64.send()).getResult(), 0xFFFFFFFFFFFFFFFFull);  // 64 bits in a 32-bit host

  auto neg = lib->negI8Request();
  neg.setV(-128 + 1);
  EXPECT_EQ(wait(neg.send()).getResult(), 127);

  auto twice = lib->twiceU16Request();
  twice.setV(30000);
  EXPECT_EQ(wait(twice.send()).getResult(), 60000);

  auto mul = lib->mulF64Request();
  mul.setA(1.5);
  mul.setB(-2.25);
  EXPECT_DOUBLE_EQ(wait(mul.send()).getResult(), -3.375);

  auto half = lib->halfF32Request();
  half.setV(5.0f);
  EXPECT_FLOAT_EQ(wait(half.send()).getResult(), 2.5f);
}

TEST_P(Bind, BoolsAndEnums) {
  auto odd = lib->isOddRequest();  // a request is spent by send(): one per call
  odd.setV(7);
  EXPECT_TRUE(wait(odd.send()).getResult());
  auto notOdd = lib->isOddRequest();
  notOdd.setV(8);
  EXPECT_FALSE(wait(notOdd.send()).getResult());

  auto even = lib->isEvenIntRequest();  // a C int used as a boolean, $C.type(int)
  even.setV(8);
  EXPECT_TRUE(wait(even.send()).getEven());

  auto next = lib->colorNextRequest();
  next.setC(bindtest::Color::BLUE);
  EXPECT_EQ(wait(next.send()).getResult(), bindtest::Color::RED);
}

TEST_P(Bind, ArraysInAndOutWithTheirLengths) {
  auto sum = lib->sumRequest();
  auto xs = sum.initXs(4);
  for (unsigned i = 0; i < 4; ++i) xs.set(i, 0.5 * (i + 1));
  EXPECT_DOUBLE_EQ(wait(sum.send()).getResult(), 5.0);  // n filled from the list: 4

  auto scale = lib->scaleRequest();
  scale.setK(-2);
  auto in = scale.initXin(1000);
  for (unsigned i = 0; i < 1000; ++i) in.set(i, i);
  auto scaled = wait(scale.send());  // the response owns the message the list points into
  auto out = scaled.getXout();
  ASSERT_EQ(out.size(), 1000u);
  EXPECT_DOUBLE_EQ(out[0], 0.0);
  EXPECT_DOUBLE_EQ(out[999], -1998.0);

  auto count = lib->countTrueRequest();  // List(Bool) is bit-packed on the wire, bool[] in C
  auto flags = count.initFlags(10);
  for (unsigned i = 0; i < 10; ++i) flags.set(i, i % 3 == 0);
  EXPECT_EQ(wait(count.send()).getResult(), 4);

  auto empty = lib->sumRequest();
  empty.initXs(0);
  EXPECT_DOUBLE_EQ(wait(empty.send()).getResult(), 0.0);
}

TEST_P(Bind, OutValuesAndTheReturnCode) {
  auto divmod = lib->divmodRequest();
  divmod.setA(47);
  divmod.setB(5);
  auto result = wait(divmod.send());
  EXPECT_EQ(result.getResult(), 0);
  EXPECT_EQ(result.getQ(), 9);
  EXPECT_EQ(result.getR(), 2);

  auto byZero = lib->divmodRequest();
  byZero.setA(47);
  byZero.setB(0);
  EXPECT_EQ(wait(byZero.send()).getResult(), -1);
}

TEST_P(Bind, StringsInOutAndReturned) {
  auto greet = lib->greetRequest();
  greet.setName("bitbridge");
  greet.setCap(64);
  auto greeted = wait(greet.send());
  EXPECT_EQ(std::string(greeted.getOut().cStr()), "hello, bitbridge");
  EXPECT_EQ(greeted.getResult(), 16);

  auto fixed = lib->fixedGreetRequest();  // an 8-byte buffer: truncated by the library
  fixed.setName("bitbridge");
  fixed.setCap(8);
  auto truncated = wait(fixed.send());
  EXPECT_EQ(std::string(truncated.getOut().cStr()), "hello, ");
  EXPECT_EQ(truncated.getResult(), 16);

  auto length = lib->strlenRequest();
  length.setS("twelve bytes");
  EXPECT_EQ(wait(length.send()).getResult(), 12u);

  EXPECT_EQ(std::string(wait(lib->versionRequest().send()).getResult().cStr()), "bind-test 1.0");
}

TEST_P(Bind, BytesInAndOut) {
  auto checksum = lib->checksumRequest();
  const char text[] = "abc";
  checksum.setData(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(text), 3));
  EXPECT_EQ(wait(checksum.send()).getResult(), (97u * 31u + 98u) * 31u + 99u);

  auto fill = lib->fillBytesRequest();
  fill.setLen(5);
  fill.setValue(0xAB);
  auto filled = wait(fill.send());
  auto bytes = filled.getOut();
  ASSERT_EQ(bytes.size(), 5u);
  for (auto b : bytes) EXPECT_EQ(b, 0xAB);
}

TEST_P(Bind, PlatformWidthIntegersFollowTheHost) {
  auto negate = lib->longNegateRequest();
  negate.setV(-2000000000);
  EXPECT_EQ(wait(negate.send()).getResult(), 2000000000);
  auto wide = lib->longNegateRequest();
  wide.setV(5000000000LL);  // fits a 64-bit Linux host's long, not a 32-bit or Windows host's
  if (hostLongBits(GetParam()) == 64) {
    EXPECT_EQ(wait(wide.send()).getResult(), -5000000000LL);
  } else {
    Error e = expectError(ErrorKind::BadConfiguration, [&] { wait(wide.send()); });
    EXPECT_CONTAINS(e.message(), "BindTest.longNegate: parameter 'v' is 5000000000");
    EXPECT_CONTAINS(e.message(), "does not fit a C int32 in this host (" +
                                     std::to_string(bits()) + "-bit)");
  }
}

TEST_P(Bind, BadArgumentsAreRefusedBeforeTheLibraryAndTheHostServesOn) {
  auto greet = lib->greetRequest();
  greet.setName("x");
  greet.setCap(-1);
  Error negative = expectError(ErrorKind::BadConfiguration, [&] { wait(greet.send()); });
  EXPECT_CONTAINS(negative.message(), "BindTest.greet: parameter 'out': its length 'cap' is -1");

  auto hugeGreet = lib->greetRequest();
  hugeGreet.setName("x");
  hugeGreet.setCap(INT32_MAX);
  Error huge = expectError(ErrorKind::BadConfiguration, [&] { wait(hugeGreet.send()); });
  EXPECT_CONTAINS(huge.message(), "BindTest.greet: parameter 'out': an out buffer of 2147483647");
  EXPECT_CONTAINS(huge.hint(), "bulk");

  auto add = lib->addI32Request();
  add.setA(1);
  add.setB(2);
  EXPECT_EQ(wait(add.send()).getResult(), 3);
}

TEST_P(Bind, SchemaMistakesAreRefusedAtBindTimeNamingMethodAndParameter) {
  std::string path = bindTestLibrary(GetParam());
  Error missing = expectError(ErrorKind::NotFound, [&] { host->bind<bindtest::MissingSymbol>(path); });
  EXPECT_CONTAINS(missing.message(), "MissingSymbol.gone");
  EXPECT_CONTAINS(missing.message(), "does not export 'bt_no_such_function'");
  EXPECT_CONTAINS(missing.message(), "libbind_test_lib" TEST_MODULE_SUFFIX);

  Error length = expectError(ErrorKind::BadConfiguration,
                             [&] { host->bind<bindtest::LengthOfNothing>(path); });
  EXPECT_CONTAINS(length.message(),
                  "LengthOfNothing.f: parameter 'n': $lengthOf(\"ys\") names no parameter");

  Error out = expectError(ErrorKind::BadConfiguration,
                          [&] { host->bind<bindtest::OutWithoutResult>(path); });
  EXPECT_CONTAINS(out.message(), "OutWithoutResult.f: parameter 'r'");
  EXPECT_CONTAINS(out.message(), "needs a result field of the same name");

  Error recursive = expectError(ErrorKind::BadConfiguration,
                                [&] { host->bind<bindtest::SelfContaining>(path); });
  EXPECT_CONTAINS(recursive.message(), "struct Node contains itself");

  Error array = expectError(ErrorKind::BadConfiguration,
                            [&] { host->bind<bindtest::ArrayOnNumber>(path); });
  EXPECT_CONTAINS(array.message(), "struct P, field 'x': $array applies to List, Text and Data");

  Error handle = expectError(ErrorKind::BadConfiguration,
                             [&] { host->bind<bindtest::HandleNotUInt64>(path); });
  EXPECT_CONTAINS(handle.message(), "HandleNotUInt64.f: parameter 'c': $handle needs a UInt64");

  Error bulkOut = expectError(ErrorKind::BadConfiguration,
                              [&] { host->bind<bindtest::BulkRefOut>(path); });
  EXPECT_CONTAINS(bulkOut.message(), "BulkRefOut.f: parameter 'xs': a Bulk.BulkRef is read and "
                                     "written in place");
  Error elementSize = expectError(ErrorKind::BadConfiguration,
                                  [&] { host->bind<bindtest::ElementSizeOnList>(path); });
  EXPECT_CONTAINS(elementSize.message(),
                  "ElementSizeOnList.f: parameter 'xs': $elementSize applies to a Bulk.BulkRef");
  Error inStruct = expectError(ErrorKind::BadConfiguration,
                               [&] { host->bind<bindtest::BulkRefInStruct>(path); });
  EXPECT_CONTAINS(inStruct.message(), "a Bulk.BulkRef becomes a pointer only as a parameter");

  // The host is unharmed and the first binding still works.
  EXPECT_EQ(wait(lib->pointerBitsRequest().send()).getResult(), int32_t(bits()));
}

TEST_P(Bind, AListShorterThanTheLengthGivenIsRefused) {
  auto sum = [&](uint32_t elements, int32_t n) {
    auto request = lib->sumNRequest();
    auto xs = request.initXs(elements);
    for (uint32_t i = 0; i < elements; ++i) xs.set(i, 1.0);
    request.setN(n);
    return wait(request.send()).getResult();
  };
  EXPECT_DOUBLE_EQ(sum(3, 3), 3.0);
  EXPECT_DOUBLE_EQ(sum(3, 2), 2.0);
  Error longer = expectError(ErrorKind::BadConfiguration, [&] { sum(3, 1000000); });
  EXPECT_CONTAINS(longer.message(), "BindTest.sumN: parameter 'xs' has 3 elements, but 'n' says "
                                    "the function reads 1000000");
  Error negative = expectError(ErrorKind::BadConfiguration, [&] { sum(3, -1); });
  EXPECT_CONTAINS(negative.message(), "says the function reads -1");
}

TEST_P(Bind, ArraysEndingAtATerminator) {
  auto count = lib->countStringsRequest();
  auto strings = count.initStrings(3);
  strings.set(0, "a");
  strings.set(1, "");
  strings.set(2, "three");
  EXPECT_EQ(wait(count.send()).getResult(), 3);

  auto total = lib->totalLengthRequest();
  auto words = total.initStrings(2);
  words.set(0, "four");
  words.set(1, "fives");
  EXPECT_EQ(wait(total.send()).getResult(), 9);
  auto none = lib->totalLengthRequest();
  none.initStrings(0);
  EXPECT_EQ(wait(none.send()).getResult(), 0);

  auto sum = lib->sumUntilZeroRequest();
  auto xs = sum.initXs(4);
  for (uint32_t i = 0; i < 4; ++i) xs.set(i, int32_t(i) + 1);  // 1..4, then the terminator
  EXPECT_EQ(wait(sum.send()).getResult(), 10);
}

TEST_P(Bind, InOutPointersAndNull) {
  auto inc = lib->incrementRequest();
  inc.setV(41);
  EXPECT_EQ(wait(inc.send()).getV(), 42);

  auto reverse = lib->reverseRequest();
  auto xs = reverse.initXs(5);
  for (uint32_t i = 0; i < 5; ++i) xs.set(i, i * 1.5);
  auto reversed = wait(reverse.send());
  ASSERT_EQ(reversed.getXs().size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(reversed.getXs()[i], (4 - i) * 1.5);

  auto upper = lib->upperRequest();
  upper.setS("mixed Case 1");
  EXPECT_EQ(std::string(wait(upper.send()).getS().cStr()), "MIXED CASE 1");

  auto tooLong = lib->upperRequest();
  tooLong.setS("sixteen bytes!!!");  // 16 bytes + NUL do not fit $capacity(16)
  Error e = expectError(ErrorKind::BadConfiguration, [&] { wait(tooLong.send()); });
  EXPECT_CONTAINS(e.message(), "BindTest.upper: parameter 's': a text of 16 bytes does not fit");

  EXPECT_EQ(wait(lib->isNullRequest().send()).getResult(), 1);  // unset + $nullable: NULL
  auto set = lib->isNullRequest();
  set.setS("");
  EXPECT_EQ(wait(set.send()).getResult(), 0);
  Error null = expectError(ErrorKind::BadConfiguration,
                           [&] { wait(lib->isNullStrictRequest().send()); });
  EXPECT_CONTAINS(null.message(), "BindTest.isNullStrict: parameter 's' is not set, and NULL is "
                                  "not allowed");
}

// The host's compiler's layouts (reported by the library itself): on i386 Linux a double or
// int64_t inside a struct is 4-aligned, on x86-64 8-aligned. Every struct call below passes only
// if bitbridge lays the structs out the same way.
TEST_P(Bind, StructLayoutsAreTheHostCompilers) {
  auto reply = wait(lib->layoutRequest().send());
  auto l = reply.getOut();
  ASSERT_EQ(l.size(), 12u);
  bool i386 = GetParam() == Arch::x86;
  // A double or int64_t member is 4-aligned on i386 Linux only (32-bit Windows aligns it to 8).
  bool packed = i386 && !kWindows;
  EXPECT_EQ(l[0], 8u);                    // sizeof(bt_point)
  EXPECT_EQ(l[1], packed ? 20u : 24u);    // sizeof(bt_mixed)
  EXPECT_EQ(l[2], packed ? 4u : 8u);      // offsetof(bt_mixed, value)
  EXPECT_EQ(l[3], packed ? 12u : 16u);    // offsetof(bt_mixed, big)
  EXPECT_EQ(l[4], 36u);                   // sizeof(bt_box)
  EXPECT_EQ(l[5], 16u);                   // offsetof(bt_box, name)
  EXPECT_EQ(l[6], 32u);                   // offsetof(bt_box, flags)
  EXPECT_EQ(l[7], i386 ? 8u : 16u);       // sizeof(bt_series)
  EXPECT_EQ(l[8], i386 ? 4u : 8u);        // offsetof(bt_series, count)
  EXPECT_EQ(l[9], packed ? 32u : 40u);    // sizeof(bt_outer)
  EXPECT_EQ(l[10], packed ? 20u : 24u);   // offsetof(bt_outer, p)
  EXPECT_EQ(l[11], packed ? 28u : 32u);   // offsetof(bt_outer, label)
}

TEST_P(Bind, StructsByPointerByValueOutAndInOut) {
  auto sum = lib->pointSumRequest();
  sum.initP().setX(40);
  sum.getP().setY(2);
  EXPECT_EQ(wait(sum.send()).getResult(), 42);

  auto swap = lib->pointSwapRequest();
  swap.initP().setX(1);
  swap.getP().setY(2);
  auto swapped = wait(swap.send());
  EXPECT_EQ(swapped.getResult().getX(), 2);
  EXPECT_EQ(swapped.getResult().getY(), 1);

  auto scale = lib->pointScaleRequest();
  scale.initP().setX(3);
  scale.getP().setY(-4);
  scale.setK(5);
  auto scaled = wait(scale.send());
  EXPECT_EQ(scaled.getP().getX(), 15);
  EXPECT_EQ(scaled.getP().getY(), -20);

  auto make = lib->makePointRequest();
  make.setX(7);
  make.setY(8);
  auto made = wait(make.send());
  EXPECT_EQ(made.getOut().getX(), 7);
  EXPECT_EQ(made.getOut().getY(), 8);

  // A struct whose double is 4-aligned on i386 and 8 on x86-64, by value both ways (returned
  // through a hidden pointer: it is larger than two registers).
  auto check = lib->mixedCheckRequest();
  auto m = check.initM();
  m.setTag('M');
  m.setValue(2.5);
  m.setBig(-1234567890123LL);
  EXPECT_EQ(wait(check.send()).getResult(), 7);

  auto mixed = lib->mixedMakeRequest();
  mixed.setTag('Q');
  mixed.setValue(-6.25);
  mixed.setBig(INT64_MIN + 1);
  auto back = wait(mixed.send());
  EXPECT_EQ(back.getResult().getTag(), 'Q');
  EXPECT_DOUBLE_EQ(back.getResult().getValue(), -6.25);
  EXPECT_EQ(back.getResult().getBig(), INT64_MIN + 1);
}

TEST_P(Bind, ListsOfStructs) {
  auto sum = lib->pointsSumRequest();
  auto points = sum.initPoints(3);
  for (uint32_t i = 0; i < 3; ++i) {
    points[i].setX(int32_t(i) + 1);
    points[i].setY(10);
  }
  EXPECT_EQ(wait(sum.send()).getResult(), 60);

  auto make = lib->pointsMakeRequest();
  make.setN(4);
  auto made = wait(make.send());
  ASSERT_EQ(made.getOut().size(), 4u);
  EXPECT_EQ(made.getOut()[3].getX(), 3);
  EXPECT_EQ(made.getOut()[3].getY(), -3);
}

TEST_P(Bind, FixedArraysNestedStructsAndPointerPlusCount) {
  auto check = lib->boxCheckRequest();
  auto box = check.initB();
  auto corners = box.initCorner(2);
  corners[0].setX(1);
  corners[1].setY(4);
  box.setName("crate");
  const kj::byte flags[] = {0, 0, 9};
  box.setFlags(capnp::Data::Reader(flags, 3));
  EXPECT_EQ(wait(check.send()).getResult(), 15);

  auto fill = wait(lib->boxFillRequest().send());
  auto filled = fill.getB();
  ASSERT_EQ(filled.getCorner().size(), 2u);
  EXPECT_EQ(filled.getCorner()[1].getX(), 30);
  EXPECT_EQ(filled.getCorner()[1].getY(), 40);
  EXPECT_EQ(std::string(filled.getName().cStr()), "filled");
  ASSERT_EQ(filled.getFlags().size(), 3u);
  EXPECT_EQ(filled.getFlags()[2], 3);

  auto tooLong = lib->boxCheckRequest();
  tooLong.initB().setName("sixteen letters!");
  Error e = expectError(ErrorKind::BadConfiguration, [&] { wait(tooLong.send()); });
  EXPECT_CONTAINS(e.message(), "BindTest.boxCheck: parameter 'b'.name: a text of 16 bytes does "
                               "not fit char[16]");

  auto series = lib->seriesSumRequest();
  auto items = series.initS().initItems(4);
  for (uint32_t i = 0; i < 4; ++i) items.set(i, i + 0.5);
  EXPECT_DOUBLE_EQ(wait(series.send()).getResult(), 8.0);  // count filled from the list

  auto twice = lib->seriesDoubleRequest();
  auto values = twice.initS().initItems(3);
  for (uint32_t i = 0; i < 3; ++i) values.set(i, i + 1.0);
  auto doubled = wait(twice.send());
  ASSERT_EQ(doubled.getS().getItems().size(), 3u);
  EXPECT_DOUBLE_EQ(doubled.getS().getItems()[2], 6.0);
  EXPECT_EQ(doubled.getS().getCount(), 3);

  auto outer = lib->outerCheckRequest();
  auto o = outer.initO();
  o.initM().setTag('O');
  o.getM().setValue(-0.5);
  o.initP().setY(7);
  o.setLabel("outer");
  EXPECT_EQ(wait(outer.send()).getResult(), 15);
}

TEST_P(Bind, HandlesAreTokensThatTheHostChecks) {
  auto created = lib->counterNewRequest();
  created.setStart(100);
  uint64_t a = wait(created.send()).getResult();
  EXPECT_NE(a, 0u);

  auto opened = lib->counterOpenRequest();
  opened.setStart(-5);
  uint64_t b = wait(opened.send()).getC();
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(wait(lib->countersLiveRequest().send()).getResult(), 2);

  auto add = [&](uint64_t token, int64_t by) {
    auto request = lib->counterAddRequest();
    request.setC(token);
    request.setBy(by);
    return wait(request.send()).getResult();
  };
  EXPECT_EQ(add(a, 1), 101);
  EXPECT_EQ(add(b, 5), 0);

  // Forged, null, of another kind, released: refused before the library sees them (the library
  // aborts on a freed counter, which would end the host).
  Error forged = expectError(ErrorKind::BadConfiguration, [&] { add(a ^ 0x5a5a5a5a, 1); });
  EXPECT_CONTAINS(forged.message(), "BindTest.counterAdd: parameter 'c': token");
  EXPECT_CONTAINS(forged.message(), "is not a Counter handle of this binding");
  Error null = expectError(ErrorKind::BadConfiguration, [&] { add(0, 1); });
  EXPECT_CONTAINS(null.message(), "a null Counter handle");
  auto label = lib->labelOfCounterRequest();
  label.setC(a);
  Error kind = expectError(ErrorKind::BadConfiguration, [&] { wait(label.send()); });
  EXPECT_CONTAINS(kind.message(), "is a Counter handle, not a Label handle");

  auto release = lib->counterFreeRequest();
  release.setC(a);
  wait(release.send());
  Error stale = expectError(ErrorKind::BadConfiguration, [&] { add(a, 1); });
  EXPECT_CONTAINS(stale.message(), "already released");
  auto again = lib->counterFreeRequest();
  again.setC(a);
  expectError(ErrorKind::BadConfiguration, [&] { wait(again.send()); });
  EXPECT_EQ(wait(lib->countersLiveRequest().send()).getResult(), 1);

  // A NULL returned is token 0. Another binding of the same library has its own tokens.
  EXPECT_EQ(wait(lib->counterNullRequest().send()).getResult(), 0u);
  auto other = host->bind<bindtest::BindTest>(bindTestLibrary(GetParam()));
  auto foreign = other.counterAddRequest();
  foreign.setC(b);
  foreign.setBy(1);
  expectError(ErrorKind::BadConfiguration, [&] { wait(foreign.send()); });
  EXPECT_EQ(add(b, 1), 1);
}

TEST_P(Bind, StringsTheLibraryAllocatesAreFreedByTheirDeclaredOwner) {
  auto upper = lib->upperCopyRequest();
  upper.setS("copy me");
  EXPECT_EQ(std::string(wait(upper.send()).getResult().cStr()), "COPY ME");

  for (int32_t n = 0; n < 3; ++n) {
    auto label = lib->labelRequest();
    label.setN(n);
    EXPECT_EQ(std::string(wait(label.send()).getResult().cStr()), "label-" + std::to_string(n));
    auto describe = lib->describeRequest();
    describe.setN(n + 10);
    EXPECT_EQ(std::string(wait(describe.send()).getOut().cStr()), "label-" + std::to_string(n + 10));
  }
  // Six strings handed out, six freed with bt_free_string.
  EXPECT_EQ(wait(lib->stringsLiveRequest().send()).getResult(), 0);
}

TEST_P(Bind, LastErrorIsWhatTheFunctionLeft) {
  auto fail = lib->failWithRequest();
  fail.setCode(ENOENT);
  auto failed = wait(fail.send());
  EXPECT_EQ(failed.getResult(), -1);
  EXPECT_EQ(failed.getErrno(), ENOENT);
  // Cleared before each call: a function that does not touch errno reports 0.
  EXPECT_EQ(wait(lib->succeedRequest().send()).getErrno(), 0);
}

// A call runs on the library's own thread: during a long one the host still answers others.
TEST_P(Bind, ALongCallLeavesTheHostResponsive) {
  // The same library bound again with $C.calls(host): its calls run on the RPC thread, which
  // must be free while the first binding's long call runs on the library's thread.
  auto onHost = host->bind<bindtest::OnHostThread>(bindTestLibrary(GetParam()));
  auto sleep = lib->sleepMsRequest();
  // Long enough that a loaded machine (Wine, two builds beside it: adds of 400+ ms seen) still
  // tells "answered during the long call" from "answered after it".
  sleep.setMs(2000);
  auto slow = sleep.send();
  auto started = std::chrono::steady_clock::now();
  auto add = onHost.addRequest();
  add.setA(1);
  add.setB(2);
  EXPECT_EQ(wait(add.send()).getResult(), 3);
  auto quick = std::chrono::steady_clock::now() - started;
  EXPECT_LT(quick, std::chrono::milliseconds(1500)) << "the host's RPC thread waited for the long call";
  EXPECT_EQ(wait(kj::mv(slow)).getResult(), 2000);
}

// $C.calls(host): on the RPC thread, one at a time; $C.calls(pool): calls overlap.
TEST_P(Bind, CallsOnTheHostThreadAndOnThePool) {
  auto onHost = host->bind<bindtest::OnHostThread>(bindTestLibrary(GetParam()));
  auto add = onHost.addRequest();
  add.setA(20);
  add.setB(22);
  EXPECT_EQ(wait(add.send()).getResult(), 42);

  auto pool = host->bind<bindtest::OnPool>(bindTestLibrary(GetParam()));
  auto started = std::chrono::steady_clock::now();
  auto first = pool.sleepMsRequest();
  first.setMs(300);
  auto second = pool.sleepMsRequest();
  second.setMs(300);
  auto a = first.send();
  auto b = second.send();
  EXPECT_EQ(wait(kj::mv(a)).getResult(), 300);
  EXPECT_EQ(wait(kj::mv(b)).getResult(), 300);
  // Two threads of the pool: together well under the 600 ms they would take one after another.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(550));
}

TEST_P(Bind, ALibraryOfTheOtherBitnessIsRefusedByName) {
  std::string other = bindTestLibrary(GetParam() == Arch::x86 ? Arch::x86_64 : Arch::x86);
  Error e = expectError(ErrorKind::WrongBitness, [&] { host->bind<bindtest::BindTest>(other); });
  EXPECT_CONTAINS(e.message(), other);
}

TEST_P(Bind, ZlibOfTheSystem) {
#ifdef _WIN32
  GTEST_SKIP() << "Linux system libraries; Windows binds kernel32/msvcrt (bind_win32_test.cpp)";
#endif
  std::string path = systemLibrary(GetParam(), "libz.so.1");
  auto zlib = host->bind<bindtest::Zlib>(path);
  std::string version = wait(zlib.versionRequest().send()).getResult().cStr();
  EXPECT_EQ(version.rfind("1.", 0), 0u) << version;

  auto crc = zlib.crc32Request();
  crc.setCrc(0);
  const char hello[] = "hello";
  crc.setBuf(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(hello), 5));
  EXPECT_EQ(wait(crc.send()).getResult(), 0x3610a686u);  // uLong: 4 or 8 bytes, the host's

  auto bound = zlib.compressBoundRequest();
  bound.setSourceLen(1000);
  EXPECT_EQ(wait(bound.send()).getResult(), 1013u);
}

TEST_P(Bind, LibmOfTheSystem) {
#ifdef _WIN32
  GTEST_SKIP() << "Linux system libraries; Windows binds kernel32/msvcrt (bind_win32_test.cpp)";
#endif
  auto libm = host->bind<bindtest::LibM>(systemLibrary(GetParam(), "libm.so.6"));
  auto cosine = libm.cosRequest();
  cosine.setX(0);
  EXPECT_DOUBLE_EQ(wait(cosine.send()).getResult(), 1.0);
  auto power = libm.powRequest();
  power.setX(2);
  power.setY(10);
  EXPECT_DOUBLE_EQ(wait(power.send()).getResult(), 1024.0);
  auto scaled = libm.ldexpRequest();
  scaled.setX(3);
  scaled.setExp(4);
  EXPECT_DOUBLE_EQ(wait(scaled.send()).getResult(), 48.0);
}

// --- Arrays by bulk reference: a Bulk.BulkRef parameter is a pointer into the client's own
// shared memory (Host::allocate), which the library reads and writes in place.

TEST_P(Bind, ABulkReferenceIsReadAndWrittenInPlace) {
  constexpr uint32_t kN = 1000;
  BulkBuffer buffer = host->allocate(kN * sizeof(double));
  BulkView view = buffer.view();  // the client's own mapping, made before the calls
  auto xs = view.as<double>();
  for (uint32_t i = 0; i < kN; ++i) xs[i] = i;

  auto scale = lib->bulkScaleRequest();
  toWire(buffer.ref(), scale.initXs());  // n is filled from the reference: 1000
  scale.setK(2);
  // Only the reference travels: the request is a few words, not 8000 bytes.
  EXPECT_LT(scale.totalSize().wordCount, 16u);
  wait(scale.send());
  size_t wrong = 0;
  for (uint32_t i = 0; i < kN; ++i) wrong += xs[i] != 2.0 * i;
  EXPECT_EQ(wrong, 0u) << "the library's writes are not in the client's buffer";

  // A part of the buffer: the library's pointer is the segment's data plus the offset.
  auto part = lib->bulkScaleRequest();
  toWire(buffer.ref(10 * sizeof(double), 5 * sizeof(double)), part.initXs());
  part.setK(-1);
  wait(part.send());
  EXPECT_DOUBLE_EQ(xs[9], 18.0);
  EXPECT_DOUBLE_EQ(xs[10], -20.0);
  EXPECT_DOUBLE_EQ(xs[14], -28.0);
  EXPECT_DOUBLE_EQ(xs[15], 30.0);
}

TEST_P(Bind, TheCountOfABulkReferenceIsFilledInElements) {
  BulkBuffer buffer = host->allocate(64 * sizeof(double));
  BulkView view = buffer.view();
  auto xs = view.as<double>();
  for (uint32_t i = 0; i < 64; ++i) xs[i] = i + 1;
  // Elements 8..23: n = 16 ($C.type(size), the host's size_t), first 9, last 24.
  auto ends = lib->bulkEndsRequest();
  toWire(buffer.ref(8 * sizeof(double), 16 * sizeof(double)), ends.initXs());
  EXPECT_DOUBLE_EQ(wait(ends.send()).getResult(), 33.0);
  EXPECT_DOUBLE_EQ(xs[23], 33.0);  // written by the library at xs[n - 1]
  EXPECT_DOUBLE_EQ(xs[24], 25.0);  // past the reference: untouched
}

TEST_P(Bind, AnExplicitCountBeyondTheBulkReferenceIsRefusedBeforeTheLibrary) {
  BulkBuffer buffer = host->allocate(100 * sizeof(double));
  BulkView view = buffer.view();
  auto xs = view.as<double>();
  for (uint32_t i = 0; i < 100; ++i) xs[i] = 1;
  auto scale = [&](int32_t n) {
    auto request = lib->bulkScaleNRequest();
    toWire(buffer.ref(), request.initXs());
    request.setN(n);
    request.setK(3);
    wait(request.send());
  };
  scale(100);  // exactly the reference: fine
  EXPECT_DOUBLE_EQ(xs[99], 3.0);
  int32_t calls = wait(lib->bulkCallsRequest().send()).getResult();

  Error over = expectError(ErrorKind::BadConfiguration, [&] { scale(101); });
  EXPECT_CONTAINS(over.message(), "BindTest.bulkScaleN: parameter 'xs' references 100 elements "
                                  "of 8 bytes, but 'n' says the function reads 101");
  Error negative = expectError(ErrorKind::BadConfiguration, [&] { scale(-1); });
  EXPECT_CONTAINS(negative.message(), "says the function reads -1");
  EXPECT_EQ(wait(lib->bulkCallsRequest().send()).getResult(), calls) << "the library was called";
  EXPECT_DOUBLE_EQ(xs[99], 3.0);
}

TEST_P(Bind, BadBulkReferencesAreRefusedNamingTheParameter) {
  BulkBuffer buffer = host->allocate(1024);
  int32_t calls = wait(lib->bulkCallsRequest().send()).getResult();
  auto scale = [&](BulkRef ref) {
    auto request = lib->bulkScaleRequest();
    toWire(ref, request.initXs());
    request.setK(2);
    wait(request.send());
  };
  uint64_t segment = buffer.segmentId();

  Error outside = expectError(ErrorKind::MalformedPeer, [&] { scale({segment, 1016, 16}); });
  EXPECT_CONTAINS(outside.message(), "BindTest.bulkScale: parameter 'xs': ");
  EXPECT_CONTAINS(outside.message(), "is outside its segment's 1024 bytes");
  Error wrapping =
      expectError(ErrorKind::MalformedPeer, [&] { scale({segment, UINT64_MAX - 7, 16}); });
  EXPECT_CONTAINS(wrapping.message(), "is outside its segment's");

  Error unknown = expectError(ErrorKind::MalformedPeer, [&] { scale({12345, 0, 8}); });
  EXPECT_CONTAINS(unknown.message(), "BindTest.bulkScale: parameter 'xs': ");
  EXPECT_CONTAINS(unknown.message(), "segment 12345, which is not attached to this host");

  // A buffer of another host: unknown to this one.
  HostOptions otherOptions;
  otherOptions.arch = GetParam();
  Host other = Host::spawn(runtime, otherOptions);
  BulkBuffer elsewhere = other.allocate(1024);
  Error foreign = expectError(ErrorKind::MalformedPeer, [&] { scale(elsewhere.ref()); });
  EXPECT_CONTAINS(foreign.message(), "which is not attached to this host");

  Error ragged = expectError(ErrorKind::BadConfiguration, [&] { scale({segment, 4, 8}); });
  EXPECT_CONTAINS(ragged.message(), "BindTest.bulkScale: parameter 'xs': a bulk reference at "
                                    "offset 4 of 8 bytes is not a whole number of 8-byte elements");

  auto strict = lib->bulkIsNullStrictRequest();
  Error unset = expectError(ErrorKind::BadConfiguration, [&] { wait(strict.send()); });
  EXPECT_CONTAINS(unset.message(),
                  "BindTest.bulkIsNullStrict: parameter 'p' is not set, and NULL is not allowed");
  auto empty = lib->bulkIsNullStrictRequest();
  toWire(BulkRef{segment, 0, 0}, empty.initP());
  Error none = expectError(ErrorKind::BadConfiguration, [&] { wait(empty.send()); });
  EXPECT_CONTAINS(none.message(), "parameter 'p' is an empty bulk reference, and NULL is not allowed");

  // More than a 32-bit host can map at once is refused there before anything is mapped (a
  // 64-bit host maps any size: there the range is what is wrong).
  uint64_t threeGiB = uint64_t{3} << 30;
  if (GetParam() == Arch::x86) {
    Error big = expectError(ErrorKind::BadConfiguration, [&] { scale({segment, 0, threeGiB}); });
    EXPECT_CONTAINS(big.message(), "BindTest.bulkScale: parameter 'xs': a bulk reference of "
                                   "3072 MiB is more than a 32-bit host maps at once");
    EXPECT_CONTAINS(big.hint(), "in parts");
  } else {
    expectError(ErrorKind::MalformedPeer, [&] { scale({segment, 0, threeGiB}); });
  }

  EXPECT_EQ(wait(lib->bulkCallsRequest().send()).getResult(), calls) << "the library was called";
  auto add = lib->addI32Request();  // and the host serves on
  add.setA(1);
  add.setB(2);
  EXPECT_EQ(wait(add.send()).getResult(), 3);
}

TEST_P(Bind, ANullableBulkReferenceUnsetOrEmptyIsNull) {
  BulkBuffer buffer = host->allocate(64);
  auto unset = lib->bulkIsNullRequest();
  EXPECT_EQ(wait(unset.send()).getResult(), 1);
  auto empty = lib->bulkIsNullRequest();
  toWire(buffer.ref(0, 0), empty.initP());
  EXPECT_EQ(wait(empty.send()).getResult(), 1);
  auto some = lib->bulkIsNullRequest();
  toWire(buffer.ref(8, 8), some.initP());
  EXPECT_EQ(wait(some.send()).getResult(), 0);
}

// 1 GiB: more than the window of a 32-bit process (BulkOptions::windowBytes, 256 MiB), which
// a 32-bit host maps at once for the call all the same, and a 32-bit client never maps whole.
// Only the two ends are touched: the GiB is reserved for the buffer but never walked.
TEST_P(Bind, ALargeBulkReferenceReachesTheLibraryWhole) {
  constexpr uint64_t kBytes = uint64_t{1} << 30;
  {
    BulkBuffer buffer = host->allocate(kBytes);
    buffer.view(0, sizeof(double)).as<double>()[0] = 1.5;
    buffer.view(kBytes - sizeof(double), sizeof(double)).as<double>()[0] = 2.25;
    auto ends = lib->bulkEndsRequest();
    toWire(buffer.ref(), ends.initXs());
    EXPECT_DOUBLE_EQ(wait(ends.send()).getResult(), 3.75);  // n = 2^27: the far end reached
    BulkView last = buffer.view(kBytes - sizeof(double), sizeof(double));
    EXPECT_DOUBLE_EQ(last.as<double>()[0], 3.75);

    // A 32-bit host keeps its mapping of one large segment between calls (bulk_registry.h):
    // a part of it, then another large segment, then the first again all land where they must.
    auto endsOf = [&](const BulkBuffer& b, uint64_t offset, uint64_t length) {
      auto request = lib->bulkEndsRequest();
      toWire(b.ref(offset, length), request.initXs());
      return wait(request.send()).getResult();
    };
    constexpr uint64_t kMiddle = kBytes / 2;
    buffer.view(kMiddle, 2 * sizeof(double)).as<double>()[0] = 10;
    EXPECT_DOUBLE_EQ(endsOf(buffer, kMiddle, 2 * sizeof(double)), 10.0);
    BulkBuffer second = host->allocate(uint64_t{320} << 20);
    second.view(0, sizeof(double)).as<double>()[0] = 7;
    EXPECT_DOUBLE_EQ(endsOf(second, 0, second.size()), 7.0);
    EXPECT_DOUBLE_EQ(endsOf(buffer, 0, sizeof(double)), 3.0);  // 1.5 + 1.5: one element
  }
  // The host may hold the last reference to the GiB, and freeing it takes longer than the
  // moment a host is given when its Host is simply destroyed: ask it to exit, and wait.
  host->shutdown();
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, Bind, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
