/* The C library of the bind bench cases (cases_bind.cpp): the same two functions are called
 * through Host::bind (schema only) and through a hand-written component (bind_bench_component.cpp),
 * so that the difference is what binding costs. Built for both bitnesses; no bitbridge in it. */
#include <stdint.h>

int32_t bb_add(int32_t a, int32_t b) { return a + b; }

double bb_sum(const double* xs, int32_t n) {
  double total = 0;
  for (int32_t i = 0; i < n; ++i) total += xs[i];
  return total;
}
