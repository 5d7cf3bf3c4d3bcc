/* The struct functions of bind_test_lib.c, declared as a vendor's header would: the "vendor
 * header" of the drop-in proxies made from proxy_structs.capnp (tests/CMakeLists.txt), which an
 * unchanged C program (proxy_structs_program.c) calls in a library of the other bitness.
 * bt_mixed's layout differs between i386 Linux (double and int64_t 4-aligned: 20 bytes) and
 * x86-64 (24 bytes): each side lays it out in its own ABI. No extern "C" guard, on purpose. */
#ifndef BITBRIDGE_TESTS_PROXY_STRUCTS_H
#define BITBRIDGE_TESTS_PROXY_STRUCTS_H

#include <stdint.h>

typedef struct { int32_t x, y; } bt_point;
typedef struct { char tag; double value; int64_t big; } bt_mixed;
typedef struct { bt_point corner[2]; char name[16]; uint8_t flags[3]; } bt_box;
typedef struct { double* items; int32_t count; } bt_series;
typedef struct { bt_mixed m; bt_point p; const char* label; } bt_outer;
typedef struct { long value; } bt_long_box; /* $C.type(long): each side's own long */
typedef struct bt_counter bt_counter;
typedef struct { bt_counter* counter; int64_t by; } bt_counter_step;

int32_t bt_pointer_bits(void);
void bt_layout(uint32_t* out); /* 12 sizes and offsets, as the library's compiler sees them */

int32_t bt_point_sum(const bt_point* p);
int32_t bt_point_or_null(const bt_point* p); /* -1 for NULL */
bt_point bt_point_swap(bt_point p);
void bt_point_scale(bt_point* p, int32_t k);
void bt_make_point(int32_t x, int32_t y, bt_point* out);
int32_t bt_mixed_check(bt_mixed m);
bt_mixed bt_mixed_make(char tag, double value, int64_t big);
int32_t bt_box_check(const bt_box* b);
void bt_box_fill(bt_box* b);
double bt_series_sum(const bt_series* s);
int32_t bt_outer_check(const bt_outer* o);

void bt_long_box_make(int64_t v, bt_long_box* out); /* out->value = (long)v */
int32_t bt_points_sum(const bt_point* points, int32_t n); /* sum of x * y */
void bt_points_make(bt_point* out, int32_t n);             /* out[i] = {i, -i} */

bt_counter* bt_counter_new(int64_t start);
int64_t bt_counter_step_apply(const bt_counter_step* s);
void bt_counter_free(bt_counter* c);

#endif
