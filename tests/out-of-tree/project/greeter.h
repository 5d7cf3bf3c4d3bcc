/* greeter: the "vendor" library of this example, plain C. It stands for a legacy library that
 * comes as a prebuilt shared library only: run.sh builds it like a vendor would (vendor32.so,
 * libgreeter.so.3; no soname) and the components link those files (see CMakeLists.txt). */
#ifndef GREETER_H
#define GREETER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes `in` in upper case to `out` (NUL-terminated). Returns the length written, or -1 if
 * `outlen` bytes are not enough. */
int greeter_shout(const char* in, char* out, int32_t outlen);

/* Pointer size of the code that runs this library, in bits: 32 or 64. */
int greeter_bits(void);

#ifdef __cplusplus
}
#endif

#endif
