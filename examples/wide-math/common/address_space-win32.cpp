// tryReserveAddressSpace on Windows: VirtualAlloc(MEM_RESERVE), which commits nothing.
#include "address_space.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

namespace wide_math_example {

std::string tryReserveAddressSpace(uint64_t bytes) {
  void* region = VirtualAlloc(nullptr, static_cast<SIZE_T>(bytes), MEM_RESERVE, PAGE_NOACCESS);
  if (region == nullptr) {
    DWORD error = GetLastError();
    char text[256] = {};
    DWORD length = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                  nullptr, error, 0, text, sizeof text, nullptr);
    while (length > 0 && (text[length - 1] == '\r' || text[length - 1] == '\n' ||
                          text[length - 1] == ' ' || text[length - 1] == '.')) {
      text[--length] = '\0';
    }
    return "VirtualAlloc: " + (length > 0 ? std::string(text, length) : std::string("error")) +
           " (error " + std::to_string(error) + ")";
  }
  VirtualFree(region, 0, MEM_RELEASE);
  return std::string();
}

}  // namespace wide_math_example
