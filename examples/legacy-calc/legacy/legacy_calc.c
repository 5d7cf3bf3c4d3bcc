/* legacy_calc: implementation of the stand-in vendor library (see legacy_calc.h).
 *
 * Written as C89-ish vendor code would be: no dependencies beyond the C library, every
 * argument checked, status codes instead of crashes, so that a wrapper can turn every failure
 * into a readable error instead of a dead host process. */
#include "legacy_calc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALC_NAME_MAX 63
#define CALC_VERSION "1.4.2"

struct calc_handle {
  char name[CALC_NAME_MAX + 1];
  int64_t total; /* the running total of calc_accumulate: state kept by the library */
};

int32_t calc_open(const char* name, calc_handle** out) {
  calc_handle* handle;
  size_t length;
  if (name == NULL || out == NULL) {
    return CALC_E_INVALID;
  }
  *out = NULL;
  length = strlen(name);
  if (length == 0 || length > CALC_NAME_MAX) {
    return CALC_E_INVALID;
  }
  handle = (calc_handle*)calloc(1, sizeof *handle);
  if (handle == NULL) {
    return CALC_E_NOMEM;
  }
  memcpy(handle->name, name, length + 1);
  handle->total = 0;
  *out = handle;
  return CALC_OK;
}

void calc_close(calc_handle* handle) {
  free(handle);
}

int32_t calc_add(calc_handle* handle, int32_t a, int32_t b, int32_t* sum) {
  /* Widened so that overflow is detected instead of being undefined behaviour. */
  int64_t wide = (int64_t)a + (int64_t)b;
  if (handle == NULL || sum == NULL) {
    return CALC_E_INVALID;
  }
  if (wide < INT32_MIN || wide > INT32_MAX) {
    return CALC_E_OVERFLOW;
  }
  *sum = (int32_t)wide;
  return CALC_OK;
}

int32_t calc_divide(calc_handle* handle, int32_t a, int32_t b, int32_t* quotient) {
  if (handle == NULL || quotient == NULL) {
    return CALC_E_INVALID;
  }
  if (b == 0) {
    return CALC_E_DIVZERO;
  }
  if (a == INT32_MIN && b == -1) { /* the one quotient that does not fit (and traps on x86) */
    return CALC_E_OVERFLOW;
  }
  *quotient = a / b;
  return CALC_OK;
}

int32_t calc_accumulate(calc_handle* handle, int64_t value, int64_t* total) {
  if (handle == NULL || total == NULL) {
    return CALC_E_INVALID;
  }
  if ((value > 0 && handle->total > INT64_MAX - value) ||
      (value < 0 && handle->total < INT64_MIN - value)) {
    return CALC_E_OVERFLOW; /* the total is left unchanged */
  }
  handle->total += value;
  *total = handle->total;
  return CALC_OK;
}

int32_t calc_total(calc_handle* handle, int64_t* total) {
  if (handle == NULL || total == NULL) {
    return CALC_E_INVALID;
  }
  *total = handle->total;
  return CALC_OK;
}

int32_t calc_mean(calc_handle* handle, const double* values, uint32_t count, double* mean) {
  double sum = 0.0;
  uint32_t i;
  if (handle == NULL || mean == NULL) {
    return CALC_E_INVALID;
  }
  if (count == 0) {
    return CALC_E_EMPTY;
  }
  if (values == NULL) {
    return CALC_E_INVALID;
  }
  for (i = 0; i < count; ++i) {
    sum += values[i];
  }
  *mean = sum / (double)count;
  return CALC_OK;
}

int32_t calc_scale(calc_handle* handle, const double* in, double* out, uint32_t count,
                   double factor) {
  uint32_t i;
  if (handle == NULL) {
    return CALC_E_INVALID;
  }
  if (count == 0) {
    return CALC_OK;
  }
  if (in == NULL || out == NULL) {
    return CALC_E_INVALID;
  }
  /* Element by element, reading before writing, so in == out (in place) is safe. */
  for (i = 0; i < count; ++i) {
    out[i] = in[i] * factor;
  }
  return CALC_OK;
}

int32_t calc_greet(calc_handle* handle, const char* name, char* buffer, uint32_t buffer_size,
                   uint32_t* required) {
  int needed;
  if (handle == NULL || name == NULL) {
    return CALC_E_INVALID;
  }
  /* Measure first (snprintf with size 0 writes nothing) so that a short buffer is reported,
   * not silently truncated. */
  needed = snprintf(NULL, 0, "Hello, %s, from calculator '%s' (%d-bit)", name, handle->name,
                    (int)calc_pointer_bits());
  if (needed < 0) {
    return CALC_E_INVALID;
  }
  if (required != NULL) {
    *required = (uint32_t)needed + 1u;
  }
  if (buffer == NULL || buffer_size < (uint32_t)needed + 1u) {
    return CALC_E_BUFFER;
  }
  snprintf(buffer, buffer_size, "Hello, %s, from calculator '%s' (%d-bit)", name, handle->name,
           (int)calc_pointer_bits());
  return CALC_OK;
}

const char* calc_strerror(int32_t code) {
  switch (code) {
    case CALC_OK:
      return "success";
    case CALC_E_INVALID:
      return "invalid argument";
    case CALC_E_NOMEM:
      return "out of memory";
    case CALC_E_DIVZERO:
      return "division by zero";
    case CALC_E_OVERFLOW:
      return "result out of range";
    case CALC_E_EMPTY:
      return "empty input";
    case CALC_E_BUFFER:
      return "output buffer too small";
    default:
      return "unknown error";
  }
}

int32_t calc_pointer_bits(void) {
  /* Computed here, inside the library, so it reports the bitness of the process the library
   * is actually loaded into, whatever the caller was compiled as. */
  return (int32_t)(sizeof(void*) * 8);
}

const char* calc_version(void) {
  return CALC_VERSION;
}
