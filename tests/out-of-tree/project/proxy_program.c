/* A program of greeter.h that knows nothing of bitbridge, linked against the drop-in proxy
 * bitbridge_add_proxy made (CMakeLists.txt): its calls run in the 32-bit vendor32.so. */
#include <stdio.h>

#include "greeter.h"

int main(void) {
  char out[64];
  int n = greeter_shout("through a proxy", out, (int32_t)sizeof out);
  printf("proxy program: %d-bit, library: %d-bit\n", (int)(sizeof(void*) * 8), greeter_bits());
  printf("shout: %s (%d)\n", n >= 0 ? out : "?", n);
  return n == 15 ? 0 : 1;
}
