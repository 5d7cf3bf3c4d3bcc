/* The C library of the bind bench cases (cases_bind.cpp): the same two functions are called
 * through Host::bind (schema only) and through a hand-written component (bind_bench_component.cpp),
 * so that the difference is what binding costs. Built for both bitnesses; no bitbridge in it. */
#include <stddef.h>
#include <stdint.h>

int32_t bb_add(int32_t a, int32_t b) { return a + b; }

/* The ends of an array of any size, passed by bulk reference: what the call costs apart from
 * the array, which is the client's memory, read in place. */
double bb_ends(const double* xs, size_t n) { return n == 0 ? 0 : xs[0] + xs[n - 1]; }

/* One call that calls the client back once: a callback's round trip on top of a call's. */
int32_t bb_apply(int32_t x, int32_t (*f)(int32_t)) { return f(x); }

double bb_sum(const double* xs, int32_t n) {
  double total = 0;
  for (int32_t i = 0; i < n; ++i) total += xs[i];
  return total;
}

/* An array in and an array out: what a call costs with data in both directions. */
void bb_scale(double k, const double* in, int32_t n, double* out) {
  for (int32_t i = 0; i < n; ++i) out[i] = k * in[i];
}
