// UTF-8 (bitbridge's text, and Cap'n Proto's) to and from C wide text (wchar_t) for Host::bind
// ($C.type(wchar), c_binding_call.cpp) and drop-in proxies (proxy_marshal.cpp). wchar_t is the host compiler's: 2 bytes holding UTF-16 on
// Windows, 4 bytes holding UTF-32 on Linux. The UTF-16 and UTF-32 forms are both compiled
// everywhere so that each is tested on every platform. Portable; no state, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include "common/internal_api.h"

namespace bitbridge {

/// UTF-8 to UTF-16 / UTF-32 code units, without a terminator. Throws Error{BadConfiguration}
/// naming `where` and the byte offset for input that is not UTF-8 (a stray continuation byte,
/// a truncated sequence, an overlong form, a surrogate, a code point above U+10FFFF).
BITBRIDGE_INTERNAL_API std::u16string utf8ToUtf16(std::string_view utf8, const std::string& where);
BITBRIDGE_INTERNAL_API std::u32string utf8ToUtf32(std::string_view utf8, const std::string& where);

/// UTF-16 / UTF-32 code units to UTF-8, up to the first NUL or `units`, whichever is first.
/// What a library wrote is taken as it is: an unpaired surrogate or a value above U+10FFFF
/// becomes U+FFFD (the replacement character) rather than an error.
BITBRIDGE_INTERNAL_API std::string utf16ToUtf8(const char16_t* text, size_t units);
BITBRIDGE_INTERNAL_API std::string utf32ToUtf8(const char32_t* text, size_t units);

/// The same for text a program passes (a drop-in proxy's `const wchar_t*`), which must be
/// valid: throws Error{BadConfiguration} naming `where`, the unit's value and its index for an
/// unpaired surrogate (UTF-16 and UTF-32) or a value above U+10FFFF (UTF-32), rather than
/// sending U+FFFD the caller did not write.
BITBRIDGE_INTERNAL_API std::string utf16ToUtf8Strict(const char16_t* text, size_t units, const std::string& where);
BITBRIDGE_INTERNAL_API std::string utf32ToUtf8Strict(const char32_t* text, size_t units, const std::string& where);

/// The host's wchar_t form: a NUL-terminated array of wchar_t, and back.
BITBRIDGE_INTERNAL_API std::wstring utf8ToWide(std::string_view utf8, const std::string& where);
BITBRIDGE_INTERNAL_API std::string wideToUtf8(const wchar_t* text, size_t units);
BITBRIDGE_INTERNAL_API std::string wideToUtf8Strict(const wchar_t* text, size_t units, const std::string& where);

}  // namespace bitbridge

