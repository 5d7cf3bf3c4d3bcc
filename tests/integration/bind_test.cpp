// Host::bind: a plain C library called from its schema alone, with no component, in a real host
// of each bitness (from both test binaries: 64->32, 64->64, 32->64, 32->32). The library reports
// what its own compiler says (sizeof(long), pointer width), so the host's C ABI is what is
// checked, not the client's. Then the mistakes the host must refuse, naming method and
// parameter, with the host serving on; then libraries nobody on the team wrote (zlib, libm).
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

  Error structs = expectError(ErrorKind::BadConfiguration,
                              [&] { host->bind<bindtest::StructParameter>(path); });
  EXPECT_CONTAINS(structs.message(), "StructParameter.f: parameter 'p'");

  // The host is unharmed and the first binding still works.
  EXPECT_EQ(wait(lib->pointerBitsRequest().send()).getResult(), int32_t(bits()));
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

INSTANTIATE_TEST_SUITE_P(BothBitnesses, Bind, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
