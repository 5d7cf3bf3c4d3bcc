// Host::bind with wide strings ($C.type(wchar)): Text on the wire (UTF-8), the host's wchar_t in
// C. The same test in every build: 4-byte UTF-32 wchar_t in the Linux hosts, 2-byte UTF-16 in
// the Windows hosts (under Wine), from clients of both bitnesses to hosts of both.
#include <gtest/gtest.h>

#include "bind_wide.capnp.h"
#include "bitbridge/host.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

#ifdef _WIN32
constexpr int kWcharBits = 16;  // UTF-16: U+1F600 takes two units
#else
constexpr int kWcharBits = 32;  // UTF-32: one unit per code point
#endif

const char kAccentAndEmoji[] = "\xC3\xA9\xF0\x9F\x98\x80";  // "é😀": U+00E9 U+1F600

class BindWide : public ::testing::TestWithParam<Arch> {
 protected:
  BindWide() {
    HostOptions options;
    options.legacyLibrary = path;  // its header picks the host
    host = std::make_unique<Host>(Host::spawn(runtime, options));
    lib = std::make_unique<bindwide::BindWide::Client>(host->bind<bindwide::BindWide>(path));
  }
  template <typename Promise>
  auto wait(Promise&& promise) {
    return host->wait(kj::mv(promise));
  }

  std::string path = testComponent("bind_wide_lib", GetParam());
  Runtime runtime;
  std::unique_ptr<Host> host;
  std::unique_ptr<bindwide::BindWide::Client> lib;  // see bind_test.cpp: noexcept fixture
};

TEST_P(BindWide, TheHostsWcharT) {
  EXPECT_EQ(wait(lib->wcharBitsRequest().send()).getResult(), kWcharBits);
}

TEST_P(BindWide, TextInAsTheHostsWideText) {
  auto ascii = lib->wcslenRequest();
  ascii.setS("twelve units");
  EXPECT_EQ(wait(ascii.send()).getResult(), 12u);

  auto beyond = lib->wcslenRequest();
  beyond.setS(kAccentAndEmoji);
  EXPECT_EQ(wait(beyond.send()).getResult(), kWcharBits == 16 ? 3u : 2u);

  auto first = lib->firstUnitRequest();
  first.setS(kAccentAndEmoji);
  EXPECT_EQ(wait(first.send()).getResult(), 0xE9u);

  auto agrees = lib->lengthAgreesRequest();  // $lengthOf counts wchar_t units, not bytes
  agrees.setS(kAccentAndEmoji);
  EXPECT_EQ(wait(agrees.send()).getResult(), 1);

  auto empty = lib->wcslenRequest();
  empty.setS("");
  EXPECT_EQ(wait(empty.send()).getResult(), 0u);
}

TEST_P(BindWide, OutBuffersAndReturnedWideText) {
  auto greet = lib->greetRequest();
  greet.setName(kAccentAndEmoji);
  greet.setCap(64);
  auto greeted = wait(greet.send());
  EXPECT_EQ(std::string(greeted.getOut().cStr()), std::string("hello, ") + kAccentAndEmoji);
  EXPECT_EQ(greeted.getResult(), kWcharBits == 16 ? 10 : 9);

  auto fixed = lib->fixedGreetRequest();  // 8 units: the library truncates to 7 and a NUL
  fixed.setName("bitbridge");
  fixed.setCap(8);
  auto truncated = wait(fixed.send());
  EXPECT_EQ(std::string(truncated.getOut().cStr()), "hello, ");

  EXPECT_EQ(std::string(wait(lib->versionRequest().send()).getResult().cStr()),
            "wide \xC3\xA9 \xF0\x9F\x98\x80 1.0");
}

TEST_P(BindWide, TextThatIsNotUtf8IsRefusedBeforeTheLibrary) {
  auto bad = lib->wcslenRequest();
  const char notUtf8[] = {'a', '\xC3', '(', 0};  // a lead byte without its continuation
  bad.setS(capnp::Text::Reader(notUtf8, 3));
  Error e = expectError(ErrorKind::BadConfiguration, [&] { wait(bad.send()); });
  EXPECT_CONTAINS(e.message(), "BindWide.wcslen: parameter 's' is not UTF-8");
  EXPECT_CONTAINS(e.message(), "at byte 2");

  auto fine = lib->wcslenRequest();  // the host serves on
  fine.setS("ok");
  EXPECT_EQ(wait(fine.send()).getResult(), 2u);
}

// One wchar_t by value: 2 bytes in a Windows host, 4 in a Linux host, whatever the client's.
TEST_P(BindWide, OneWcharTByValue) {
  auto next = lib->nextUnitRequest();
  next.setC('A');
  EXPECT_EQ(wait(next.send()).getResult(), uint32_t('B'));
  auto beyond = lib->nextUnitRequest();
  beyond.setC(0x1F600);  // a code point beyond the BMP: one wchar_t on Linux only
  if (kWcharBits == 16) {
    Error e = expectError(ErrorKind::BadConfiguration, [&] { wait(beyond.send()); });
    EXPECT_CONTAINS(e.message(), "BindWide.nextUnit: parameter 'c' is 128512, which does not fit "
                                 "a C uint16");
  } else {
    EXPECT_EQ(wait(beyond.send()).getResult(), 0x1F601u);
  }
}

// Wide text the library rewrites in place ($inout), and wide text it allocates ($freeWith, as a
// return value and through wchar_t**), freed by its own function once copied.
TEST_P(BindWide, WideTextRewrittenInPlaceOrAllocatedByTheLibrary) {
  auto upper = lib->upperInPlaceRequest();
  upper.setS(std::string("h") + kAccentAndEmoji + "llo");
  EXPECT_EQ(std::string(wait(upper.send()).getS().cStr()), std::string("H") + kAccentAndEmoji + "LLO");
  // 16 units: 15 and the NUL fit, 16 do not (in wchar_t units, not bytes).
  auto fits = lib->upperInPlaceRequest();
  fits.setS("abcdefghijklmno");
  EXPECT_EQ(std::string(wait(fits.send()).getS().cStr()), "ABCDEFGHIJKLMNO");
  auto tooLong = lib->upperInPlaceRequest();
  tooLong.setS("abcdefghijklmnop");
  Error e = expectError(ErrorKind::BadConfiguration, [&] { wait(tooLong.send()); });
  EXPECT_CONTAINS(e.message(), "BindWide.upperInPlace: parameter 's': a text of 16 wchar_t units "
                               "does not fit its buffer of 16 units with its NUL");

  int32_t live = wait(lib->liveRequest().send()).getResult();
  auto dup = lib->dupUpperRequest();
  dup.setS(std::string("x") + kAccentAndEmoji);
  EXPECT_EQ(std::string(wait(dup.send()).getResult().cStr()), std::string("X") + kAccentAndEmoji);
  auto describe = lib->describeRequest();
  describe.setN(1);
  EXPECT_EQ(std::string(wait(describe.send()).getOut().cStr()),
            std::string("described ") + kAccentAndEmoji);
  auto none = lib->describeRequest();
  none.setN(-1);  // *out = NULL: left unset, nothing to free
  EXPECT_FALSE(wait(none.send()).hasOut());
  EXPECT_EQ(wait(lib->liveRequest().send()).getResult(), live) << "a copied string was not freed";
}

TEST_P(BindWide, WcharAnnotationsThatDoNotFitAreRefusedAtBindTime) {
  Error number = expectError(ErrorKind::BadConfiguration,
                             [&] { host->bind<bindwide::WcharOnANumber>(path); });
  EXPECT_CONTAINS(number.message(), "WcharOnANumber.f: parameter 'v': $type(wchar) applies to Text "
                                    "fields (wide strings) and UInt32 fields (one wchar_t)");
  Error other = expectError(ErrorKind::BadConfiguration,
                            [&] { host->bind<bindwide::OtherTypeOnText>(path); });
  EXPECT_CONTAINS(other.message(), "OtherTypeOnText.f: parameter 's': a Text field takes no $type");
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, BindWide, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
