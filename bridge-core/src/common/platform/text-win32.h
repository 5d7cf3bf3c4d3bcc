// Text helpers for Win32 code: UTF-8 <-> UTF-16 and the system's words for an error code.
// bitbridge keeps every string UTF-8 (std::string) and converts at the Win32 API boundary (the
// W functions), so paths with non-ASCII characters survive. Windows builds only.
#pragma once

#include <cstdint>
#include <string>
#include "common/internal_api.h"

namespace bitbridge {

BITBRIDGE_INTERNAL_API std::wstring widen(const std::string& utf8);
BITBRIDGE_INTERNAL_API std::string narrow(const std::wstring& utf16);
/// "The system cannot find the file specified. (error 2)", from FormatMessageW.
BITBRIDGE_INTERNAL_API std::string win32ErrorText(uint32_t code);
/// win32ErrorText(GetLastError()).
BITBRIDGE_INTERNAL_API std::string lastWin32ErrorText();

}  // namespace bitbridge
