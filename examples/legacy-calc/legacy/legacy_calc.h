/* legacy_calc: a stand-in for a 32-bit vendor library that cannot be rebuilt for 64-bit.
 *
 * It is deliberately plain C in the style of a VB6-era vendor DLL: an opaque handle, every
 * function returns an int32_t status code, results come back through out-parameters, and the
 * caller owns every buffer. Nothing here knows about bitbridge or C++; the component in
 * ../component wraps it, exactly as one would wrap a real vendor library.
 *
 * Types are fixed-width (stdint.h) so that the API means the same thing in a 32-bit and a
 * 64-bit build; only pointers and size_t change size, and no size_t appears in the API.
 *
 * Threading: a handle must be used by one thread at a time (the library does no locking).
 * Lifetime: strings returned by calc_strerror and calc_version are static; never free them.
 */
#ifndef LEGACY_CALC_H
#define LEGACY_CALC_H

#include <stdint.h>

#if defined(_WIN32)
#if defined(LEGACY_CALC_BUILD)
#define CALC_API __declspec(dllexport)
#else
#define CALC_API __declspec(dllimport)
#endif
#else
#define CALC_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Values are part of the ABI: never renumber, only append. */
#define CALC_OK 0
#define CALC_E_INVALID 1  /* a required pointer was NULL or an argument is out of range */
#define CALC_E_NOMEM 2    /* allocation failed */
#define CALC_E_DIVZERO 3  /* division by zero */
#define CALC_E_OVERFLOW 4 /* the result does not fit the result type */
#define CALC_E_EMPTY 5    /* an array argument has no elements where at least one is needed */
#define CALC_E_BUFFER 6   /* the caller's output buffer is too small; see *required */

/* Opaque calculator state: its name and a running total. */
typedef struct calc_handle calc_handle;

/* Creates a calculator called `name` (copied; 1..63 characters) with a total of 0. */
CALC_API int32_t calc_open(const char* name, calc_handle** out);
/* Destroys a handle from calc_open. NULL is ignored. */
CALC_API void calc_close(calc_handle* handle);

/* *sum = a + b; CALC_E_OVERFLOW if it does not fit int32_t. */
CALC_API int32_t calc_add(calc_handle* handle, int32_t a, int32_t b, int32_t* sum);
/* *quotient = a / b (truncated); CALC_E_DIVZERO if b == 0, CALC_E_OVERFLOW for INT32_MIN / -1. */
CALC_API int32_t calc_divide(calc_handle* handle, int32_t a, int32_t b, int32_t* quotient);

/* Adds `value` to the handle's running total and returns the new total. The total is int64_t
 * on purpose: it is state that lives in the library, not in the caller. */
CALC_API int32_t calc_accumulate(calc_handle* handle, int64_t value, int64_t* total);
/* Reads the running total. */
CALC_API int32_t calc_total(calc_handle* handle, int64_t* total);

/* Arithmetic mean of `count` doubles; CALC_E_EMPTY if count == 0. */
CALC_API int32_t calc_mean(calc_handle* handle, const double* values, uint32_t count, double* mean);
/* out[i] = in[i] * factor for i < count. `out` may equal `in` (scale in place); otherwise the
 * two arrays must not overlap. count == 0 is allowed and does nothing. */
CALC_API int32_t calc_scale(calc_handle* handle, const double* in, double* out, uint32_t count,
                            double factor);

/* Writes a NUL-terminated greeting for `name` into buffer[0..buffer_size). If the buffer is too
 * small it returns CALC_E_BUFFER, writes nothing, and stores the size needed (including the
 * NUL) in *required when `required` is not NULL: the classic "call twice" pattern. */
CALC_API int32_t calc_greet(calc_handle* handle, const char* name, char* buffer,
                            uint32_t buffer_size, uint32_t* required);

/* A static English description of a status code (never NULL). */
CALC_API const char* calc_strerror(int32_t code);
/* sizeof(void*) * 8 as compiled into this library: 32 in the 32-bit build. Callers use it to
 * prove which kind of process the library really runs in. */
CALC_API int32_t calc_pointer_bits(void);
/* Library version, "major.minor.patch". */
CALC_API const char* calc_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LEGACY_CALC_H */
