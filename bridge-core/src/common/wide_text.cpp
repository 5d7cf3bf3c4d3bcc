// wide_text.h: UTF-8 <-> UTF-16 / UTF-32 by hand (no <codecvt>: deprecated in C++17, and its
// mingw and glibc behaviours on bad input differ).
#include "common/wide_text.h"

#include <cstdio>
#include <type_traits>

#include "bitbridge/error.h"

namespace bitbridge {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes `utf8` code point by code point into `emit`; refuses anything that is not UTF-8.
template <typename Emit>
void decodeUtf8(std::string_view utf8, const std::string& where, Emit&& emit) {
  auto bad = [&](size_t at, const char* what) {
    throw Error(ErrorKind::BadConfiguration,
                where + " is not UTF-8 (" + what + " at byte " + std::to_string(at) + ")",
                "Text is UTF-8 on the wire; the host converts it to wchar_t");
  };
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  size_t n = utf8.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      emit(char32_t(c));
      ++i;
      continue;
    }
    size_t length;
    char32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      length = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, cp = c & 0x07, min = 0x10000;
    } else {
      bad(i, "an unexpected byte");
    }
    if (i + length > n) bad(i, "a truncated sequence");
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) bad(i + k, "a missing continuation byte");
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min) bad(i, "an overlong form");
    if (cp >= 0xD800 && cp <= 0xDFFF) bad(i, "an encoded surrogate");
    if (cp > 0x10FFFF) bad(i, "a code point above U+10FFFF");
    emit(cp);
    i += length;
  }
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacement;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// A unit a program passed that is not text: refused, naming it (strict conversions).
[[noreturn]] void badUnit(const std::string& where, const char* form, char32_t unit, size_t at,
                          const char* what) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%X", static_cast<unsigned>(unit));
  throw Error(ErrorKind::BadConfiguration,
              where + " is not valid " + form + " (" + what + " " + hex + " at unit " +
                  std::to_string(at) + ")",
              "pass Unicode text: a wide string holds no unpaired surrogate and nothing above "
              "U+10FFFF");
}

// UTF-16 to UTF-8 up to the first NUL or `units`; `where` set: refuse an unpaired surrogate.
std::string fromUtf16(const char16_t* text, size_t units, const std::string* where) {
  std::string out;
  for (size_t i = 0; i < units && text[i] != 0; ++i) {
    char32_t unit = text[i];
    if (unit >= 0xD800 && unit <= 0xDBFF && i + 1 < units && text[i + 1] >= 0xDC00 &&
        text[i + 1] <= 0xDFFF) {
      appendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (char32_t(text[i + 1]) - 0xDC00));
      ++i;
    } else if (where != nullptr && unit >= 0xD800 && unit <= 0xDFFF) {
      badUnit(*where, "UTF-16", unit, i, "an unpaired surrogate");
    } else {
      appendUtf8(out, unit);  // an unpaired surrogate becomes U+FFFD there
    }
  }
  return out;
}

std::string fromUtf32(const char32_t* text, size_t units, const std::string* where) {
  std::string out;
  for (size_t i = 0; i < units && text[i] != 0; ++i) {
    if (where != nullptr && text[i] >= 0xD800 && text[i] <= 0xDFFF) {
      badUnit(*where, "UTF-32", text[i], i, "a surrogate");
    }
    if (where != nullptr && text[i] > 0x10FFFF) badUnit(*where, "UTF-32", text[i], i, "a value above U+10FFFF,");
    appendUtf8(out, text[i]);
  }
  return out;
}

template <typename Unit>
std::string fromWide(const wchar_t* text, size_t units, const std::string* where) {
  static_assert(sizeof(wchar_t) == 2 || sizeof(wchar_t) == 4, "wchar_t is UTF-16 or UTF-32");
  std::basic_string<Unit> copy;
  for (size_t i = 0; i < units && text[i] != 0; ++i) copy += static_cast<Unit>(text[i]);
  if constexpr (sizeof(Unit) == 2) {
    return fromUtf16(copy.data(), copy.size(), where);
  } else {
    return fromUtf32(copy.data(), copy.size(), where);
  }
}

using WideUnit = std::conditional_t<sizeof(wchar_t) == 2, char16_t, char32_t>;

}  // namespace

std::u16string utf8ToUtf16(std::string_view utf8, const std::string& where) {
  std::u16string out;
  out.reserve(utf8.size());
  decodeUtf8(utf8, where, [&](char32_t cp) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += char16_t(0xD800 + (cp >> 10));
      out += char16_t(0xDC00 + (cp & 0x3FF));
    } else {
      out += char16_t(cp);
    }
  });
  return out;
}

std::u32string utf8ToUtf32(std::string_view utf8, const std::string& where) {
  std::u32string out;
  out.reserve(utf8.size());
  decodeUtf8(utf8, where, [&](char32_t cp) { out += cp; });
  return out;
}

std::string utf16ToUtf8(const char16_t* text, size_t units) { return fromUtf16(text, units, nullptr); }

std::string utf32ToUtf8(const char32_t* text, size_t units) { return fromUtf32(text, units, nullptr); }

std::string utf16ToUtf8Strict(const char16_t* text, size_t units, const std::string& where) {
  return fromUtf16(text, units, &where);
}

std::string utf32ToUtf8Strict(const char32_t* text, size_t units, const std::string& where) {
  return fromUtf32(text, units, &where);
}

std::wstring utf8ToWide(std::string_view utf8, const std::string& where) {
  static_assert(sizeof(wchar_t) == 2 || sizeof(wchar_t) == 4, "wchar_t is UTF-16 or UTF-32");
  if constexpr (sizeof(wchar_t) == 2) {
    std::u16string units = utf8ToUtf16(utf8, where);
    return std::wstring(units.begin(), units.end());
  } else {
    std::u32string units = utf8ToUtf32(utf8, where);
    return std::wstring(units.begin(), units.end());
  }
}

std::string wideToUtf8(const wchar_t* text, size_t units) {
  return fromWide<WideUnit>(text, units, nullptr);
}

std::string wideToUtf8Strict(const wchar_t* text, size_t units, const std::string& where) {
  return fromWide<WideUnit>(text, units, &where);
}

}  // namespace bitbridge
