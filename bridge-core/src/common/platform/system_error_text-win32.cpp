// Error text on Windows: strerror_s for errno values (the CRT's, e.g. from file streams), and
// FormatMessage for GetLastError() codes (text-win32.cpp).
#include "common/platform/system_error_text.h"

#include <windows.h>

#include <cstring>
#include <string>

#include "common/platform/text-win32.h"

namespace bitbridge {

std::string errnoText(int errnoValue) {
  char buffer[256] = {};
  std::string out = ::strerror_s(buffer, sizeof(buffer), errnoValue) == 0 && buffer[0] != '\0'
                        ? buffer
                        : "unknown error";
  return out + " (errno " + std::to_string(errnoValue) + ")";
}

std::string lastSystemErrorText() { return lastWin32ErrorText(); }

}  // namespace bitbridge
