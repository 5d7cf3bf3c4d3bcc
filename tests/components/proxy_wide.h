/* The wide-string functions of bind_wide_lib.c, declared as a vendor's header would: the "vendor
 * header" of the drop-in proxies made from proxy_wide.capnp (tests/CMakeLists.txt), which an
 * unchanged C program (proxy_wide_program.c) calls in a library of the other bitness. wchar_t is
 * the program's own (4 bytes on Linux, 2 on Windows); the text crosses as UTF-8. No extern "C"
 * guard, on purpose. */
#ifndef BITBRIDGE_TESTS_PROXY_WIDE_H
#define BITBRIDGE_TESTS_PROXY_WIDE_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

int32_t bw_pointer_bits(void);
int32_t bw_wchar_bits(void);
size_t bw_wcslen(const wchar_t* s);
uint32_t bw_first_unit(const wchar_t* s);
/* Writes L"hello, <name>" into out (at most cap units, NUL included); returns the full length. */
int32_t bw_greet(const wchar_t* name, wchar_t* out, int32_t cap);
const wchar_t* bw_version(void);                  /* the library's own string */
void bw_upper_in_place(wchar_t* s);               /* ASCII letters upper-cased in place */
wchar_t* bw_dup_upper(const wchar_t* s);          /* the caller frees it with bw_free */
int32_t bw_describe(int32_t n, wchar_t** out);    /* *out: the caller frees it with bw_free */
void bw_free(wchar_t* s);
int32_t bw_live(void); /* strings the library allocated that bw_free has not freed yet */

#endif
