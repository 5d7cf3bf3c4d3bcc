/* bind_callback_lib's registration API, as its vendor's header would declare it: handlers a
 * program registers now and the library fires later, from the call that fires them or from
 * threads of its own (proxy_stored.capnp binds it; proxy_stored_program.c is written against
 * it). On 32-bit Windows the stdcall handler is declared __stdcall, as a Windows header's
 * CALLBACK would. */
#ifndef PROXY_STORED_H
#define PROXY_STORED_H

#include <stdint.h>

#if defined(_WIN32) && defined(__i386__)
#define CB_CALLBACK __stdcall
#else
#define CB_CALLBACK
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t (*cb_handler)(int32_t event, void* user);
typedef void (*cb_log_handler)(int32_t level, const char* text, void* user);
typedef int32_t (*cb_unary)(int32_t x);
typedef int32_t(CB_CALLBACK* cb_unary_stdcall)(int32_t x);

/* The event handler, until cb_clear_handler. */
void cb_set_handler(cb_handler h, void* user);
void cb_clear_handler(void);
/* The handler's answer to `event`, fired now on the caller's thread; -100 when none is set. */
int32_t cb_fire(int32_t event);
/* Fires the handler cleared last (an event in flight when it was cleared): its answer, or -100. */
int32_t cb_fire_stale(int32_t event);
/* A thread of the library's fires `event` delay_ms from now: 0, or -100 when none is set. */
int32_t cb_fire_from_thread(int32_t event, int32_t delay_ms);
/* A thread of the library's fires first, first+1, ... (count events) to the handler set now,
 * after delay_ms, even if it is cleared meanwhile: 0, or -100 when none is set. */
int32_t cb_fire_burst(int32_t first, int32_t count, int32_t delay_ms);
/* The last answer a handler gave the library. */
int32_t cb_last_answer(void);
/* Events fired from the library's own threads, answered. */
int32_t cb_thread_fires(void);

/* The log handler, for the process's life (no unregister). */
void cb_set_log_handler(cb_log_handler h, void* user);
/* A thread of the library's writes "line 0" ... (count lines, level = i): 0, or -100. */
int32_t cb_log_from_thread(int32_t count);

/* A __stdcall handler (32-bit Windows), for the process's life; fired: f(x) + 1000, or -100. */
void cb_set_stdcall_handler(cb_unary_stdcall f);
int32_t cb_fire_stdcall(int32_t x);

int32_t cb_add(int32_t a, int32_t b);
/* f(x) + 1 */
int32_t cb_apply(int32_t x, cb_unary f);
/* The library's process exits delay_ms from now (a crash while the program is not calling). */
int32_t cb_exit_later(int32_t delay_ms);
int32_t cb_process_id(void);
int32_t cb_pointer_bits(void);
int32_t cb_sleep(int32_t ms); /* sleeps in the library: a call that hangs */

#ifdef __cplusplus
}
#endif

#endif
