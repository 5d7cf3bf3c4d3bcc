/* calc_program: an "existing program" written against the vendor's header, legacy_calc.h, and
 * nothing else. It knows nothing of bitbridge. The same source is built twice:
 *   - 32-bit, linked against the real 32-bit liblegacy_calc.so (how it always ran);
 *   - 64-bit, linked against the drop-in proxy liblegacy_calc.so that bitbridge_add_proxy made
 *     from calc.capnp: each call then runs in the 32-bit library, in bitbridge-host32.
 * It checks every answer itself and exits 1 on a wrong one; when the library cannot be reached
 * it reports the status code and errno the header's API gives it, and exits 3. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_calc.h"

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "WRONG: %s\n", what);
    ++failures;
  }
}

int main(void) {
  calc_handle* calc = NULL;
  errno = 0;
  int32_t status = calc_open("demo", &calc);
  if (status != CALC_OK) {
    int err = errno;
    printf("calc_open failed: status %d (%s), errno %d (%s)\n", (int)status, calc_strerror(status),
           err, strerror(err));
    return 3;
  }
  printf("program: %d-bit, library: %d-bit legacy_calc %s\n", (int)(sizeof(void*) * 8),
         (int)calc_pointer_bits(), calc_version());

  int32_t sum = 0;
  status = calc_add(calc, 2, 40, &sum);
  printf("add(2, 40) = %d (status %d)\n", (int)sum, (int)status);
  check(status == CALC_OK && sum == 42, "add");

  int32_t quotient = -7;
  status = calc_divide(calc, 1, 0, &quotient);
  printf("divide(1, 0): status %d (%s)\n", (int)status, calc_strerror(status));
  check(status == CALC_E_DIVZERO, "divide by zero");

  int64_t total = 0;
  calc_accumulate(calc, 5000000000LL, &total);
  status = calc_accumulate(calc, 1, &total);
  printf("total = %lld\n", (long long)total);
  check(status == CALC_OK && total == 5000000001LL, "accumulate");

  double values[] = {1.0, 2.0, 3.0, 4.0};
  double mean = 0;
  status = calc_mean(calc, values, 4, &mean);
  printf("mean = %.2f\n", mean);
  check(status == CALC_OK && mean == 2.5, "mean");

  double scaled[4] = {0, 0, 0, 0};
  status = calc_scale(calc, values, scaled, 4, 10.0);
  printf("scaled = %.0f %.0f %.0f %.0f\n", scaled[0], scaled[1], scaled[2], scaled[3]);
  check(status == CALC_OK && scaled[0] == 10.0 && scaled[3] == 40.0, "scale");

  /* The "call twice" pattern: ask for the size, then fill a buffer of that size. */
  uint32_t required = 0;
  char small[4] = "xyz";
  status = calc_greet(calc, "world", small, sizeof small, &required);
  check(status == CALC_E_BUFFER && required > sizeof small, "greet: buffer too small");
  char* greeting = malloc(required);
  status = calc_greet(calc, "world", greeting, required, NULL);
  printf("greet: %s (%u bytes)\n", status == CALC_OK ? greeting : "?", (unsigned)required);
  check(status == CALC_OK && strstr(greeting, "world") != NULL, "greet");
  free(greeting);

  calc_close(calc);
  printf("%s\n", failures == 0 ? "all answers right" : "WRONG ANSWERS");
  return failures == 0 ? 0 : 1;
}
