/* bind_test_lib: a plain C library with one function per kind of parameter Host::bind handles
 * (tests/integration/bind_test.cpp, schema bind_test.capnp). No bitbridge in it: it stands for a
 * vendor's library, built for both bitnesses, and reports what its own compiler thinks (sizes
 * of long and pointers) so the tests check bitbridge against the compiler of the host's side. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int32_t bt_add_i32(int32_t a, int32_t b) { return a + b; }
uint64_t bt_add_u64(uint64_t a, uint64_t b) { return a + b; }
int8_t bt_neg_i8(int8_t v) { return (int8_t)-v; }
uint16_t bt_twice_u16(uint16_t v) { return (uint16_t)(v * 2); }
double bt_mul_f64(double a, double b) { return a * b; }
float bt_half_f32(float v) { return v / 2.0f; }
bool bt_is_odd(int32_t v) { return (v & 1) != 0; }
int bt_is_even_int(int32_t v) { return (v & 1) == 0; } /* a C boolean returned as int */

enum bt_color { BT_RED, BT_GREEN, BT_BLUE };
enum bt_color bt_color_next(enum bt_color c) { return (enum bt_color)((c + 1) % 3); }

double bt_sum(const double* xs, int32_t n) {
  double total = 0;
  for (int32_t i = 0; i < n; ++i) total += xs[i];
  return total;
}

void bt_scale(double k, const double* in, int32_t n, double* out) {
  for (int32_t i = 0; i < n; ++i) out[i] = k * in[i];
}

int32_t bt_count_true(const bool* flags, int32_t n) {
  int32_t count = 0;
  for (int32_t i = 0; i < n; ++i) count += flags[i] ? 1 : 0;
  return count;
}

int32_t bt_divmod(int32_t a, int32_t b, int32_t* q, int32_t* r) {
  if (b == 0) return -1;
  *q = a / b;
  *r = a % b;
  return 0;
}

/* Writes "hello, <name>" into out (at most cap bytes, NUL included); returns the full length. */
int32_t bt_greet(const char* name, char* out, int32_t cap) {
  return (int32_t)snprintf(out, (size_t)cap, "hello, %s", name);
}

uint32_t bt_checksum(const unsigned char* data, uint32_t len) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < len; ++i) sum = sum * 31u + data[i];
  return sum;
}

void bt_fill_bytes(unsigned char* out, uint32_t len, uint8_t value) { memset(out, value, len); }

int32_t bt_long_bits(void) { return (int32_t)(sizeof(long) * 8); }
int32_t bt_pointer_bits(void) { return (int32_t)(sizeof(void*) * 8); }
long bt_long_negate(long v) { return -v; }
size_t bt_strlen(const char* s) { return strlen(s); }
const char* bt_version(void) { return "bind-test 1.0"; }
