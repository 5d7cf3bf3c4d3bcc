// errno text on POSIX: strerror_r, whichever of its two forms the C library has.
#include "common/platform/system_error_text.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace bitbridge {
namespace {

// glibc's GNU strerror_r returns the text (maybe not in `buffer`); the XSI form returns 0 and
// fills `buffer`. Overloads on the return type pick the right reading at compile time.
[[maybe_unused]] const char* textOf(const char* returned, const char*) { return returned; }
[[maybe_unused]] const char* textOf(int returned, const char* buffer) {
  return returned == 0 ? buffer : nullptr;
}

}  // namespace

std::string errnoText(int errnoValue) {
  char buffer[256] = {};
  const char* text = textOf(::strerror_r(errnoValue, buffer, sizeof(buffer)), buffer);
  std::string out = text != nullptr && *text != '\0' ? text : "unknown error";
  return out + " (errno " + std::to_string(errnoValue) + ")";
}

std::string lastSystemErrorText() { return errnoText(errno); }

}  // namespace bitbridge
