/* greeter: see greeter.h. */
#include "greeter.h"

#include <ctype.h>
#include <string.h>

int greeter_shout(const char* in, char* out, int32_t outlen) {
  size_t length = strlen(in);
  if (outlen <= 0 || length >= (size_t)outlen) {
    return -1;
  }
  for (size_t i = 0; i < length; ++i) {
    out[i] = (char)toupper((unsigned char)in[i]);
  }
  out[length] = '\0';
  return (int)length;
}

int greeter_bits(void) { return (int)(sizeof(void*) * 8); }
