/* bind_lane_lib: a plain C library for the fast-lane tests (integration/bind_lane_test.cpp,
 * schema bind_lane.capnp). It records what the tests cannot see from outside: which thread ran a
 * call, the order calls arrived in, and how many calls were inside it at once. Not thread-safe
 * on purpose (no $C.calls(pool)): bitbridge must never run two of its calls at once. Built for
 * Linux and Windows: the three platform calls are in bind_lane_lib-posix.c / -win32.c. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bind_lane_lib_platform.h"

int32_t bl_add(int32_t a, int32_t b) { return a + b; }
void bl_nothing(void) {}
int32_t bl_pointer_bits(void) { return (int32_t)(sizeof(void*) * 8); }

int64_t bl_thread_id(void) { return bl_platform_thread_id(); }
int64_t bl_thread_id_p(const void* unused) {
  (void)unused;
  return bl_thread_id();
}

/* The order calls arrived in. */
static int32_t order[4096];
static int32_t order_count;
int32_t bl_append(int32_t v) {
  if (order_count < 4096) order[order_count++] = v;
  return order_count;
}
int32_t bl_append_p(const void* unused, int32_t v) {
  (void)unused;
  return bl_append(v);
}
void bl_log(int32_t* out, int32_t n) {
  for (int32_t i = 0; i < n; ++i) out[i] = i < order_count ? order[i] : -1;
}

/* How many calls are inside at once: a plain counter, deliberately not atomic, read-modify-write
 * around a sleep, as a library that keeps global state would. */
static volatile int32_t now_inside;
static int32_t max_inside;
static void sleep_ms(int32_t ms) { bl_platform_sleep_ms(ms); }
int32_t bl_inside(int32_t ms) {
  int32_t mine = ++now_inside;
  if (mine > max_inside) max_inside = mine;
  sleep_ms(ms);
  --now_inside;
  return mine;
}
int32_t bl_inside_p(const void* unused, int32_t ms) {
  (void)unused;
  return bl_inside(ms);
}
int32_t bl_max_inside(void) { return max_inside; }

void bl_scale(double k, const double* in, int32_t n, double* out) {
  for (int32_t i = 0; i < n; ++i) out[i] = k * in[i];
}
void bl_fill(unsigned char* out, uint32_t len, uint8_t value) { memset(out, value, len); }
int32_t bl_greet(const char* name, char* out, int32_t cap) {
  return (int32_t)snprintf(out, (size_t)cap, "hello, %s", name);
}
int32_t bl_fail_with(int32_t code) {
  bl_platform_set_last_error(code);
  return -1;
}
int32_t bl_sleep_ms(int32_t ms) {
  sleep_ms(ms);
  return ms;
}
