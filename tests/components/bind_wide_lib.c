/* bind_wide_lib: wide (wchar_t) strings for Host::bind's $C.type(wchar), built for every target
 * (tests/integration/bind_wide_test.cpp, schema bind_wide.capnp). wchar_t is what this library's
 * compiler says: 2 bytes (UTF-16) on Windows, 4 bytes (UTF-32) on Linux; it reports it. */
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#ifdef _WIN32
#define BW_EXPORT __declspec(dllexport)
#else
#define BW_EXPORT __attribute__((visibility("default")))
#endif

BW_EXPORT int32_t bw_wchar_bits(void) { return (int32_t)(sizeof(wchar_t) * 8); }

/* One wchar_t by value, in and out: the next code unit. */
BW_EXPORT wchar_t bw_next_unit(wchar_t c) { return (wchar_t)(c + 1); }

/* wchar_t units up to the NUL: "é😀" is 3 in UTF-16 (a surrogate pair), 2 in UTF-32. */
BW_EXPORT size_t bw_wcslen(const wchar_t* s) { return wcslen(s); }

/* n is filled by the host ($lengthOf): the units it converted, which must match the NUL. */
BW_EXPORT int32_t bw_length_agrees(const wchar_t* s, int32_t n) { return wcslen(s) == (size_t)n; }

/* The first code unit of s (as an integer): 0xE9 for "é". */
BW_EXPORT uint32_t bw_first_unit(const wchar_t* s) { return (uint32_t)s[0]; }

/* Writes L"hello, <name>" into out (at most cap units, NUL included); returns the full length. */
BW_EXPORT int32_t bw_greet(const wchar_t* name, wchar_t* out, int32_t cap) {
  static const wchar_t prefix[] = L"hello, ";
  size_t total = 0;
  for (const wchar_t* p = prefix; *p; ++p, ++total) {
    if ((int32_t)total < cap - 1) out[total] = *p;
  }
  for (const wchar_t* p = name; *p; ++p, ++total) {
    if ((int32_t)total < cap - 1) out[total] = *p;
  }
  if (cap > 0) out[(int32_t)total < cap - 1 ? total : (size_t)(cap - 1)] = 0;
  return (int32_t)total;
}

/* A wide string the library owns (returned, not freed): beyond ASCII and beyond the BMP. */
BW_EXPORT const wchar_t* bw_version(void) { return L"wide \u00e9 \U0001F600 1.0"; }
