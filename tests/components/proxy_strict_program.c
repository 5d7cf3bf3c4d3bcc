/* A program of examples/legacy-calc's header linked against a proxy without $C.onFailure
 * (proxy_strict.capnp): prints the library's bitness and version, or is aborted by the proxy. */
#include <stdio.h>

#include "legacy_calc.h"

int main(void) {
  int bits = calc_pointer_bits(); /* first: the test expects this one to abort */
  const char* version = calc_version();
  printf("library: %d-bit legacy_calc %s\n", bits, version);
  return 0;
}
