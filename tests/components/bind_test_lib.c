/* bind_test_lib: a plain C library with one function per kind of parameter Host::bind handles
 * (tests/integration/bind_test.cpp, schema bind_test.capnp). No bitbridge in it: it stands for a
 * vendor's library, built for both bitnesses, and reports what its own compiler thinks (sizes
 * of long and pointers) so the tests check bitbridge against the compiler of the host's side. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(_WIN32)
#include <windows.h>
#endif

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

/* --- In-out pointers and NULL ------------------------------------------------------------- */
void bt_increment(int32_t* v) { *v += 1; }
void bt_reverse(double* xs, int32_t n) {
  for (int32_t i = 0; i < n / 2; ++i) {
    double t = xs[i];
    xs[i] = xs[n - 1 - i];
    xs[n - 1 - i] = t;
  }
}
void bt_upper(char* s) {
  for (; *s; ++s) {
    if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 'a' + 'A');
  }
}
int32_t bt_is_null(const char* s) { return s == NULL; }

/* --- Structs: layouts that differ between ABIs. bt_layout reports the compiler's view. ---- */
typedef struct { int32_t x, y; } bt_point;
typedef struct { char tag; double value; int64_t big; } bt_mixed; /* i386 Linux: 4-aligned double */
typedef struct { bt_point corner[2]; char name[16]; uint8_t flags[3]; } bt_box;
typedef struct { double* items; int32_t count; } bt_series; /* a pointer plus its count */
typedef struct { bt_mixed m; bt_point p; const char* label; } bt_outer;

/* sizeof and offsetof of the structs above, in a fixed order (tests/integration/bind_test.cpp). */
void bt_layout(uint32_t* out) {
  uint32_t values[] = {
      sizeof(bt_point),          sizeof(bt_mixed),          offsetof(bt_mixed, value),
      offsetof(bt_mixed, big),   sizeof(bt_box),            offsetof(bt_box, name),
      offsetof(bt_box, flags),   sizeof(bt_series),         offsetof(bt_series, count),
      sizeof(bt_outer),          offsetof(bt_outer, p),     offsetof(bt_outer, label),
  };
  memcpy(out, values, sizeof(values));
}

int32_t bt_point_sum(const bt_point* p) { return p->x + p->y; }
/* An optional struct: NULL is an answer of its own. */
int32_t bt_point_or_null(const bt_point* p) { return p == NULL ? -1 : p->x * 100 + p->y; }
bt_point bt_point_swap(bt_point p) {
  bt_point r = {p.y, p.x};
  return r;
}
void bt_point_scale(bt_point* p, int32_t k) {
  p->x *= k;
  p->y *= k;
}
void bt_make_point(int32_t x, int32_t y, bt_point* out) {
  out->x = x;
  out->y = y;
}
int32_t bt_points_sum(const bt_point* points, int32_t n) {
  int32_t total = 0;
  for (int32_t i = 0; i < n; ++i) total += points[i].x * points[i].y;
  return total;
}
void bt_points_make(bt_point* out, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    out[i].x = i;
    out[i].y = -i;
  }
}

/* Which fields arrived as sent: a bit per field (1 tag, 2 value, 4 big). */
int32_t bt_mixed_check(bt_mixed m) {
  return (m.tag == 'M' ? 1 : 0) | (m.value == 2.5 ? 2 : 0) | (m.big == -1234567890123LL ? 4 : 0);
}
bt_mixed bt_mixed_make(char tag, double value, int64_t big) {
  bt_mixed m = {tag, value, big};
  return m;
}

int32_t bt_box_check(const bt_box* b) {
  return (b->corner[0].x == 1 ? 1 : 0) | (b->corner[1].y == 4 ? 2 : 0) |
         (strcmp(b->name, "crate") == 0 ? 4 : 0) | (b->flags[2] == 9 ? 8 : 0);
}
void bt_box_fill(bt_box* b) {
  memset(b, 0, sizeof(*b));
  b->corner[0].x = 10;
  b->corner[0].y = 20;
  b->corner[1].x = 30;
  b->corner[1].y = 40;
  strcpy(b->name, "filled");
  b->flags[0] = 1;
  b->flags[1] = 2;
  b->flags[2] = 3;
}

double bt_series_sum(const bt_series* s) { return bt_sum(s->items, s->count); }
void bt_series_double(bt_series* s) {
  for (int32_t i = 0; i < s->count; ++i) s->items[i] *= 2;
}

/* A platform-width member: 4 bytes in i386 Linux, 8 in x86-64 Linux (proxy_structs.capnp). */
typedef struct { long value; } bt_long_box;
void bt_long_box_make(int64_t v, bt_long_box* out) { out->value = (long)v; }

int32_t bt_outer_check(const bt_outer* o) {
  return (o->m.tag == 'O' ? 1 : 0) | (o->m.value == -0.5 ? 2 : 0) | (o->p.y == 7 ? 4 : 0) |
         (o->label && strcmp(o->label, "outer") == 0 ? 8 : 0);
}

/* --- Opaque handles --------------------------------------------------------------------- */
typedef struct bt_counter {
  int64_t value;
  uint32_t magic; /* cleared when freed: a use after free is seen, not undefined */
} bt_counter;
#define BT_COUNTER_MAGIC 0xC0FFEEu
static int32_t bt_counters;

bt_counter* bt_counter_new(int64_t start) {
  bt_counter* c = (bt_counter*)malloc(sizeof(bt_counter));
  c->value = start;
  c->magic = BT_COUNTER_MAGIC;
  ++bt_counters;
  return c;
}
int32_t bt_counter_open(int64_t start, bt_counter** out) {
  *out = bt_counter_new(start);
  return 0;
}
int64_t bt_counter_add(bt_counter* c, int64_t by) {
  if (c->magic != BT_COUNTER_MAGIC) abort();
  return c->value += by;
}
void bt_counter_free(bt_counter* c) {
  if (c->magic != BT_COUNTER_MAGIC) abort();
  c->magic = 0;
  free(c);
  --bt_counters;
}
int32_t bt_counters_live(void) { return bt_counters; }

/* A handle inside a struct (tests/components/proxy_structs.capnp). */
typedef struct { bt_counter* counter; int64_t by; } bt_counter_step;
int64_t bt_counter_step_apply(const bt_counter_step* s) { return bt_counter_add(s->counter, s->by); }
bt_counter* bt_counter_null(void) { return NULL; }

/* --- Strings the library allocates --------------------------------------------------------- */
static int32_t bt_strings;
char* bt_upper_copy(const char* s) { /* the caller frees with free() */
  char* copy = (char*)malloc(strlen(s) + 1);
  strcpy(copy, s);
  bt_upper(copy);
  return copy;
}
char* bt_label(int32_t n) { /* the caller frees with bt_free_string() */
  char* label = (char*)malloc(32);
  snprintf(label, 32, "label-%d", (int)n);
  ++bt_strings;
  return label;
}
int32_t bt_describe(int32_t n, char** out) {
  *out = bt_label(n);
  return 0;
}
void bt_free_string(char* s) {
  free(s);
  --bt_strings;
}
int32_t bt_strings_live(void) { return bt_strings; }

/* --- errno ---------------------------------------------------------------------------------- */
/* The last error as the platform's libraries leave it: errno on POSIX, SetLastError on Windows. */
int32_t bt_fail_with(int32_t code) {
#if defined(_WIN32)
  SetLastError((DWORD)code);
#else
  errno = code;
#endif
  return -1;
}
int32_t bt_succeed(void) { return 0; }

/* --- A long call ------------------------------------------------------------------------------ */
int32_t bt_sleep_ms(int32_t ms) {
#if defined(_WIN32)
  Sleep((DWORD)ms);
#else
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
#endif
  return ms;
}

/* --- Arrays that end at a terminator ------------------------------------------------------- */
int32_t bt_count_strings(const char* const* strings) { /* NULL-terminated */
  int32_t n = 0;
  while (strings[n] != NULL) ++n;
  return n;
}
int32_t bt_total_length(const char* const* strings) {
  int32_t total = 0;
  for (; *strings != NULL; ++strings) total += (int32_t)strlen(*strings);
  return total;
}
int32_t bt_total_length_n(const char* const* strings, int32_t n) { /* n texts, counted */
  int32_t total = 0;
  for (int32_t i = 0; i < n; ++i) total += (int32_t)strlen(strings[i]);
  return total;
}
int32_t bt_sum_until_zero(const int32_t* xs) {
  int32_t total = 0;
  for (; *xs != 0; ++xs) total += *xs;
  return total;
}

/* --- Arrays in the client's shared memory (Bulk.BulkRef parameters) -------------------------- */
/* Every call is counted, so that the tests can tell that a refused call never got here. */
static int32_t bulk_calls;
int32_t bt_bulk_calls(void) { return bulk_calls; }

/* Scales the client's array in place: what the client then reads in its own buffer is what this
 * function wrote, with nothing copied back. */
void bt_bulk_scale(double* xs, int32_t n, double k) {
  ++bulk_calls;
  for (int32_t i = 0; i < n; ++i) xs[i] *= k;
}

/* Touches only the two ends of an array that may be far larger than one call's message: returns
 * first + last, and stores that sum in the last element. */
double bt_bulk_ends(double* xs, size_t n) {
  ++bulk_calls;
  if (n == 0) return -1;
  double ends = xs[0] + xs[n - 1];
  xs[n - 1] = ends;
  return ends;
}

/* Whether the pointer is NULL (a Bulk.BulkRef $nullable left unset or empty). */
int32_t bt_bulk_is_null(const void* p) {
  ++bulk_calls;
  return p == NULL;
}
