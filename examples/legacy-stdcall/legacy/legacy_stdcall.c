/* The "vendor" DLL (see legacy_stdcall.h): plain C99, no C runtime state, no dependencies. */
#include "legacy_stdcall.h"

#include <stdio.h>
#include <string.h>

long __stdcall LegacyAdd(long a, long b) {
  /* Unsigned arithmetic: wraps like the hardware without signed-overflow undefined behaviour. */
  return (long)((unsigned long)a + (unsigned long)b);
}

long __stdcall LegacyDescribe(long value, char* buffer, long size) {
  char text[96];
  int length =
      snprintf(text, sizeof(text), "%ld: %s, %s, 0x%08lX", value, (value % 2 == 0) ? "even" : "odd",
               value < 0 ? "negative" : (value == 0 ? "zero" : "positive"), (unsigned long)value);
  if (length < 0) length = 0;
  if (buffer != NULL && size > 0) {
    size_t copy = (size_t)length < (size_t)(size - 1) ? (size_t)length : (size_t)(size - 1);
    memcpy(buffer, text, copy);
    buffer[copy] = '\0';
  }
  return length;
}

long __stdcall LegacyPointerBits(void) { return (long)(sizeof(void*) * 8); }
