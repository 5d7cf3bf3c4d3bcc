/* An existing C program written against proxy_wide.h, unchanged: built 64-bit against a proxy of
 * the 32-bit bind_wide_lib and 32-bit against a proxy of the 64-bit one (tests/CMakeLists.txt),
 * on Linux (4-byte wchar_t) and on Windows (2-byte wchar_t, UTF-16 with surrogate pairs). It
 * passes and gets wide text every way the proxy converts, frees what the library allocated with
 * the vendor's bw_free (the proxy's), prints one line per call, and exits 0 when all are right.
 * With "bad-text" it passes wide text that is not Unicode (a lone surrogate; on Linux also a
 * value above U+10FFFF) and frees pointers bw_free never handed out: each call gets the declared
 * failure, nothing is freed that should not be, and later calls work. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "proxy_wide.h"

static int wrong;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("WRONG: %s (errno %d)\n", what, errno);
    wrong = 1;
  }
}

/* é (U+00E9) and 😀 (U+1F600, beyond the BMP: a surrogate pair in UTF-16) */
static const wchar_t kName[] = L"w\u00e9 \U0001F600";

static int bad_text(void) {
  wchar_t lone[] = {L'a', (wchar_t)0xD800, L'b', 0};
  errno = 0;
  size_t n = bw_wcslen(lone);
  printf("wcslen(lone surrogate) = %u, errno %d\n", (unsigned)n, errno);
  check(n == 0 && errno == EINVAL, "a lone surrogate gets the declared failure");
  if (sizeof(wchar_t) == 4) {
    wchar_t big[] = {L'x', (wchar_t)0x110000, 0};
    errno = 0;
    uint32_t u = bw_first_unit(big);
    printf("first_unit(above U+10FFFF) = %u, errno %d\n", (unsigned)u, errno);
    check(u == 0 && errno == EINVAL, "a value above U+10FFFF gets the declared failure");
  }
  wchar_t out[32] = L"untouched";
  errno = 0;
  int32_t g = bw_greet(lone, out, 32);
  printf("greet(lone surrogate) = %d, errno %d\n", (int)g, errno);
  check(g == -1 && errno == EINVAL && wcscmp(out, L"untouched") == 0, "greet with bad text fails, out untouched");

  /* bw_free of what the proxy never handed out: logged, not freed (no crash). */
  wchar_t stack[4] = L"abc";
  bw_free(stack);
  bw_free(NULL);
  wchar_t* mine = bw_dup_upper(L"once");
  bw_free(mine);
  bw_free(mine); /* twice: the second is refused, not a double free */

  /* The proxy works on. */
  size_t ok = bw_wcslen(L"fine");
  check(ok == 4, "a call after the refusals");
  check(bw_live() == 0, "the library's own strings were all freed by the host");
  printf("%s\n", wrong ? "bad text: something was WRONG" : "bad text: declared failures, the proxy works on");
  return wrong;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "bad-text") == 0) return bad_text();
  int bits = (int)bw_wchar_bits();
  printf("program: %d-bit, library: %d-bit\n", (int)(sizeof(void*) * 8), (int)bw_pointer_bits());
  printf("wchar_t: %d bits here, %d in the library\n", (int)(sizeof(wchar_t) * 8), bits);
  check(bits == (int)(sizeof(wchar_t) * 8), "the same OS, the same wchar_t");

  size_t n = bw_wcslen(kName);
  printf("wcslen(name) = %u\n", (unsigned)n);
  check(n == wcslen(kName), "wcslen: units of this OS's wchar_t");
  check(bw_first_unit(L"\u00e9t\u00e9") == 0xE9, "first_unit");
  check(bw_wcslen(L"") == 0, "empty text");

  wchar_t out[32];
  int32_t total = bw_greet(kName, out, 32);
  /* (Wide text is compared, not printed: %ls stops at the first non-ASCII character in the C locale.) */
  printf("greet: %d units\n", (int)total);
  check(total == (int32_t)(7 + wcslen(kName)) && wcscmp(out, L"hello, w\u00e9 \U0001F600") == 0, "greet");

  /* A buffer too small: cut with its NUL, as the library cut it. */
  wchar_t small[6];
  total = bw_greet(kName, small, 6);
  check(total == (int32_t)(7 + wcslen(kName)) && wcscmp(small, L"hello") == 0, "greet into 6 units");

  const wchar_t* v1 = bw_version();
  const wchar_t* v2 = bw_version();
  printf("version: %u units\n", (unsigned)wcslen(v1));
  check(wcscmp(v1, L"wide \u00e9 \U0001F600 1.0") == 0, "version");
  check(v1 == v2, "the library's string is kept once, as a static string would be");

  wchar_t buf[16] = L"abc\u00e9xyz";
  bw_upper_in_place(buf);
  check(wcscmp(buf, L"ABC\u00e9XYZ") == 0, "upper_in_place");

  for (int i = 0; i < 200; ++i) {
    wchar_t* up = bw_dup_upper(kName);
    if (i == 0) printf("dup_upper: %u units\n", up == NULL ? 0u : (unsigned)wcslen(up));
    check(up != NULL && wcscmp(up, L"W\u00e9 \U0001F600") == 0, "dup_upper");
    bw_free(up);
    wchar_t* d = NULL;
    int32_t r = bw_describe(i, &d);
    check(r == i && d != NULL && wcscmp(d, L"described \u00e9\U0001F600") == 0, "describe");
    bw_free(d);
  }
  wchar_t* none = NULL;
  check(bw_describe(-1, &none) == -1 && none != NULL && none[0] == 0, "describe(-1): NULL reaches the program as an empty string");
  bw_free(none);
  int32_t live = bw_live();
  printf("library strings not freed: %d\n", (int)live);
  check(live == 0, "the host freed the library's strings with bw_free");

  printf("%s\n", wrong ? "something was WRONG" : "all answers right");
  return wrong;
}
