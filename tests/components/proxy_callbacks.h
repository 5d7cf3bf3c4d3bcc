/* bind_callback_lib's C API with function pointers, as its vendor's header would declare it:
 * what proxy_callbacks_program.c is written against (proxy_callbacks.capnp binds it). On 32-bit
 * Windows the stdcall callback is declared __stdcall, as a Windows header's CALLBACK would. */
#ifndef PROXY_CALLBACKS_H
#define PROXY_CALLBACKS_H

#include <stdint.h>

#if defined(_WIN32) && defined(__i386__)
#define CB_CALLBACK __stdcall
#else
#define CB_CALLBACK
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t (*cb_compare)(int32_t a, int32_t b);
typedef int32_t (*cb_unary)(int32_t x);
typedef int32_t(CB_CALLBACK* cb_unary_stdcall)(int32_t x);
typedef int32_t (*cb_handler)(int32_t event, void* user);
typedef double (*cb_greeter)(const char* name, uint8_t times);
/* Laid out by each side's ABI: 16 bytes on i386 Linux, 24 on x86-64 and Windows. */
typedef struct { char tag; double weight; int32_t id; } cb_item;
typedef int32_t (*cb_item_compare)(const cb_item* a, const cb_item* b);

/* Sorts xs, calling cmp; returns how many comparisons it made. */
int32_t cb_sort_i32(int32_t* xs, int32_t n, cb_compare cmp);
/* f(x) + 1 */
int32_t cb_apply(int32_t x, cb_unary f);
/* f(x), or -200 when f is NULL */
int32_t cb_apply_maybe(int32_t x, cb_unary f);
/* f(x) + 1000, f called __stdcall on 32-bit x86 */
int32_t cb_apply_stdcall(int32_t x, cb_unary_stdcall f);
/* g(name, 3) * 2 */
double cb_greet(cb_greeter g, const char* name);
int32_t cb_add(int32_t a, int32_t b);
/* h(i, user) for i in 0..n-1: the sum of the answers (-1000 - i at the first negative one) */
int32_t cb_each(int32_t n, cb_handler h, void* user);
/* The library's process exits. */
void cb_exit(int32_t code);
int32_t cb_pointer_bits(void);
/* Sorts items, calling cmp with pointers to two of them; returns how many comparisons it made. */
int32_t cb_sort_items(cb_item* items, int32_t n, cb_item_compare cmp);
/* cmp(NULL, &item) */
int32_t cb_compare_with_null(cb_item_compare cmp, cb_item item);

#ifdef __cplusplus
}
#endif

#endif
