// wide_text.h: UTF-8 <-> UTF-16 / UTF-32 for Host::bind's wide strings. Both forms in every
// build (the host's wchar_t picks one: UTF-16 on Windows, UTF-32 on Linux).
#include "common/wide_text.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;

const char kMixed[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀: 1, 2, 3, 4 bytes

TEST(WideText, Utf8ToUtf16AndBack) {
  std::u16string units = utf8ToUtf16(kMixed, "t");
  EXPECT_EQ(units, (std::u16string{u'a', 0xE9, 0x20AC, 0xD83D, 0xDE00}));
  EXPECT_EQ(utf16ToUtf8(units.data(), units.size()), kMixed);
  EXPECT_EQ(utf16ToUtf8(units.c_str(), SIZE_MAX), kMixed);  // up to the NUL
  EXPECT_EQ(utf16ToUtf8(units.data(), 2), "a\xC3\xA9");      // up to the count
}

TEST(WideText, Utf8ToUtf32AndBack) {
  std::u32string units = utf8ToUtf32(kMixed, "t");
  EXPECT_EQ(units, (std::u32string{U'a', 0xE9, 0x20AC, 0x1F600}));
  EXPECT_EQ(utf32ToUtf8(units.data(), units.size()), kMixed);
}

TEST(WideText, TheHostsWcharT) {
  std::wstring wide = utf8ToWide(kMixed, "t");
  EXPECT_EQ(wide.size(), sizeof(wchar_t) == 2 ? 5u : 4u);
  EXPECT_EQ(wideToUtf8(wide.c_str(), wide.size()), kMixed);
  EXPECT_EQ(utf8ToWide("", "t"), L"");
}

TEST(WideText, InputThatIsNotUtf8IsRefusedNamingWhereAndTheOffset) {
  struct Case { std::string bytes; const char* what; };
  for (const Case& c : {Case{"ab\x80", "an unexpected byte at byte 2"},
                        Case{"\xC3", "a truncated sequence at byte 0"},
                        Case{"x\xE2\x82(", "a missing continuation byte at byte 3"},
                        Case{"\xC0\xAF", "an overlong form at byte 0"},
                        Case{"\xED\xA0\x80", "an encoded surrogate at byte 0"},
                        Case{"\xF4\x90\x80\x80", "a code point above U+10FFFF at byte 0"}}) {
    Error e = expectError(ErrorKind::BadConfiguration, [&] { utf8ToUtf16(c.bytes, "F: parameter 's'"); });
    EXPECT_CONTAINS(e.message(), "F: parameter 's' is not UTF-8");
    EXPECT_CONTAINS(e.message(), c.what);
    expectError(ErrorKind::BadConfiguration, [&] { utf8ToUtf32(c.bytes, "F"); });
  }
}

TEST(WideText, WhatALibraryWroteBadlyBecomesTheReplacementCharacter) {
  const char16_t lone[] = {u'x', 0xD800, u'y', 0};
  EXPECT_EQ(utf16ToUtf8(lone, 3), "x\xEF\xBF\xBDy");
  const char32_t big[] = {0x110000, 0};
  EXPECT_EQ(utf32ToUtf8(big, 1), "\xEF\xBF\xBD");
}

TEST(WideText, WhatAProgramPassesBadlyIsRefusedNamingTheUnit) {
  const char16_t lone[] = {u'x', 0xD800, u'y', 0};
  EXPECT_CONTAINS(expectError(ErrorKind::BadConfiguration, [&] { utf16ToUtf8Strict(lone, SIZE_MAX, "F: parameter 's'"); }).message(),
                  "F: parameter 's' is not valid UTF-16 (an unpaired surrogate 0xD800 at unit 1)");
  const char16_t trailing[] = {0xDC00, 0};
  expectError(ErrorKind::BadConfiguration, [&] { utf16ToUtf8Strict(trailing, SIZE_MAX, "F"); });
  const char16_t cut[] = {u'a', 0xD83D, 0};  // a high surrogate right before the NUL
  expectError(ErrorKind::BadConfiguration, [&] { utf16ToUtf8Strict(cut, SIZE_MAX, "F"); });
  const char32_t big[] = {U'a', 0x110000, 0};
  EXPECT_CONTAINS(expectError(ErrorKind::BadConfiguration, [&] { utf32ToUtf8Strict(big, SIZE_MAX, "F"); }).message(),
                  "F is not valid UTF-32 (a value above U+10FFFF, 0x110000 at unit 1)");
  const char32_t surrogate[] = {0xDFFF, 0};
  expectError(ErrorKind::BadConfiguration, [&] { utf32ToUtf8Strict(surrogate, SIZE_MAX, "F"); });
  // Valid text converts as the lenient form does.
  std::wstring wide = utf8ToWide(kMixed, "t");
  EXPECT_EQ(wideToUtf8Strict(wide.c_str(), SIZE_MAX, "t"), kMixed);
  const wchar_t badWide[] = {L'a', static_cast<wchar_t>(0xD800), 0};
  expectError(ErrorKind::BadConfiguration, [&] { wideToUtf8Strict(badWide, SIZE_MAX, "t"); });
}

}  // namespace
}  // namespace bitbridge
