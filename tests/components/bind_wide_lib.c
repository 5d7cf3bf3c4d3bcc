/* bind_wide_lib: wide (wchar_t) strings for Host::bind's $C.type(wchar), built for every target
 * (tests/integration/bind_wide_test.cpp, schema bind_wide.capnp). wchar_t is what this library's
 * compiler says: 2 bytes (UTF-16) on Windows, 4 bytes (UTF-32) on Linux; it reports it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#ifdef _WIN32
#define BW_EXPORT __declspec(dllexport)
#else
#define BW_EXPORT __attribute__((visibility("default")))
#endif

BW_EXPORT int32_t bw_wchar_bits(void) { return (int32_t)(sizeof(wchar_t) * 8); }
BW_EXPORT int32_t bw_pointer_bits(void) { return (int32_t)(sizeof(void*) * 8); }

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

/* --- Wide strings the library rewrites in place, or allocates for the caller to free ---------- */
/* ASCII letters upper-cased in place; everything else (é, 😀's one or two units) left alone. */
BW_EXPORT void bw_upper_in_place(wchar_t* s) {
  for (; *s; ++s) {
    if (*s >= L'a' && *s <= L'z') *s = (wchar_t)(*s - L'a' + L'A');
  }
}

static int32_t bw_live_strings; /* allocated by bw_copy, not yet given to bw_free */
static wchar_t* bw_copy(const wchar_t* s) {
  size_t bytes = (wcslen(s) + 1) * sizeof(wchar_t);
  wchar_t* copy = (wchar_t*)malloc(bytes);
  memcpy(copy, s, bytes);
  ++bw_live_strings;
  return copy;
}
BW_EXPORT void bw_free(wchar_t* s) {
  if (s != NULL) --bw_live_strings;
  free(s);
}
BW_EXPORT int32_t bw_live(void) { return bw_live_strings; }

/* An upper-cased copy, the caller's to free with bw_free. */
BW_EXPORT wchar_t* bw_dup_upper(const wchar_t* s) {
  wchar_t* copy = bw_copy(s);
  bw_upper_in_place(copy);
  return copy;
}

/* *out = a string of the library's allocation (wchar_t**), or NULL for a negative n. */
BW_EXPORT int32_t bw_describe(int32_t n, wchar_t** out) {
  *out = n < 0 ? NULL : bw_copy(L"described \u00e9\U0001F600");
  return n;
}

/* A wide string the library owns (returned, not freed): beyond ASCII and beyond the BMP. */
BW_EXPORT const wchar_t* bw_version(void) { return L"wide \u00e9 \U0001F600 1.0"; }
