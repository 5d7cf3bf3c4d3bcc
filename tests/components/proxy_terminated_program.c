/* An existing C program written against proxy_terminated.h, unchanged: built 64-bit against a
 * proxy of the 32-bit bind_test_lib and 32-bit against a proxy of the 64-bit one
 * (tests/CMakeLists.txt). It passes arrays whose length is where their terminator is (an argv of
 * texts ending in NULL, ints ending in 0), and a counted array of texts; prints one line per
 * call and exits 0 when all are right. With "missing" it passes arrays without a terminator
 * within the proxy's bound and a counted array holding a NULL: each gets the declared failure,
 * and the proxy works on. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_terminated.h"

static int wrong;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("WRONG: %s (errno %d)\n", what, errno);
    wrong = 1;
  }
}

/* More than the proxy looks at for a terminator (2^20 elements): none is found. */
#define BEYOND_THE_BOUND ((1 << 20) + 16)

static int missing(void) {
  int32_t* xs = (int32_t*)malloc(sizeof(int32_t) * BEYOND_THE_BOUND);
  const char** strings = (const char**)malloc(sizeof(char*) * BEYOND_THE_BOUND);
  if (xs == NULL || strings == NULL) return 2;
  for (int i = 0; i < BEYOND_THE_BOUND; ++i) {
    xs[i] = 1;
    strings[i] = "x";
  }
  errno = 0;
  int32_t sum = bt_sum_until_zero(xs);
  printf("sum_until_zero(no 0 within the bound) = %d, errno %d\n", (int)sum, errno);
  check(sum == -1 && errno == EINVAL, "a missing 0 gets the declared failure");
  errno = 0;
  int32_t count = bt_count_strings(strings);
  printf("count_strings(no NULL within the bound) = %d, errno %d\n", (int)count, errno);
  check(count == -1 && errno == EINVAL, "a missing NULL gets the declared failure");

  const char* holed[] = {"a", NULL, "c"};
  errno = 0;
  int32_t total = bt_total_length_n(holed, 3);
  printf("total_length_n(a NULL inside) = %d, errno %d\n", (int)total, errno);
  check(total == -1 && errno == EINVAL, "a NULL inside a counted list gets the declared failure");
  errno = 0;
  total = bt_total_length_n(holed, -1);
  check(total == -1 && errno == EINVAL, "a negative count gets the declared failure");

  /* Terminated just inside the bound: found. */
  xs[(1 << 20) - 1] = 0;
  sum = bt_sum_until_zero(xs);
  printf("sum_until_zero(0 at the last element the proxy reads) = %d\n", (int)sum);
  check(sum == (1 << 20) - 1, "a terminator at the bound's last element");
  free(xs);
  free(strings);
  const char* args[] = {"still", "works", NULL};
  check(bt_count_strings(args) == 2, "a call after the refusals");
  printf("%s\n", wrong ? "missing: something was WRONG" : "missing terminators: declared failures, the proxy works on");
  return wrong;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "missing") == 0) return missing();
  printf("program: %d-bit, library: %d-bit\n", (int)(sizeof(void*) * 8), (int)bt_pointer_bits());

  const char* args[] = {"prog", "--flag", "value", "\xC3\xA9t\xC3\xA9", NULL};
  int32_t count = bt_count_strings(args);
  int32_t length = bt_total_length(args);
  printf("count_strings = %d, total_length = %d\n", (int)count, (int)length);
  check(count == 4, "count_strings");
  check(length == 4 + 6 + 5 + 5, "total_length"); /* "été" is 5 bytes of UTF-8 */
  const char* none[] = {NULL};
  check(bt_count_strings(none) == 0 && bt_total_length(none) == 0, "an empty argv");
  check(bt_total_length_n(args, 2) == 10, "total_length_n: the first two");
  check(bt_total_length_n(args, 0) == 0, "total_length_n: none");

  int32_t xs[] = {5, -2, 40, 0, 99};
  int32_t sum = bt_sum_until_zero(xs);
  printf("sum_until_zero = %d\n", (int)sum);
  check(sum == 43, "sum_until_zero stops at the 0");
  int32_t zero[] = {0};
  check(bt_sum_until_zero(zero) == 0, "sum_until_zero of nothing");

  printf("%s\n", wrong ? "something was WRONG" : "all answers right");
  return wrong;
}
