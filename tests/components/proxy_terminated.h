/* The functions of bind_test_lib.c that take arrays ending at a terminator, and a counted array
 * of texts, declared as a vendor's header would: the "vendor header" of the drop-in proxies made
 * from proxy_terminated.capnp (tests/CMakeLists.txt), which an unchanged C program
 * (proxy_terminated_program.c) calls in a library of the other bitness. No extern "C" guard. */
#ifndef BITBRIDGE_TESTS_PROXY_TERMINATED_H
#define BITBRIDGE_TESTS_PROXY_TERMINATED_H

#include <stdint.h>

int32_t bt_pointer_bits(void);
int32_t bt_count_strings(const char* const* strings);  /* NULL-terminated, like argv */
int32_t bt_total_length(const char* const* strings);   /* NULL-terminated */
int32_t bt_total_length_n(const char* const* strings, int32_t n);
int32_t bt_sum_until_zero(const int32_t* xs);          /* ends at the first 0 */

#endif
