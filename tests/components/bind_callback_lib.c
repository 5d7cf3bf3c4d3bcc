/* bind_callback_lib: a plain C library that takes function pointers in every shape Host::bind
 * handles (tests/integration/bind_callback_test.cpp, schema bind_callback.capnp): a comparator
 * called many times during a call, a callback that may call back into the library (nested), a
 * handler stored with a `void* user` context and fired later, from the calling thread or from a
 * thread the library starts itself, a stale handler fired after it was cleared, and a __stdcall
 * callback (32-bit x86); an enumeration with a context, and an exit, for the drop-in proxy test
 * (proxy_callbacks_program.c); for stored callbacks through a proxy (proxy_stored_program.c) a
 * burst of events from a thread of its own, a log handler and a __stdcall handler kept for the
 * process's life, and an exit from a thread of its own, later. No bitbridge in it: it stands
 * for a vendor's library. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(_WIN32)
#include <process.h>
#else
#include <unistd.h>
#endif

#if defined(__i386__)
#define CB_STDCALL __attribute__((stdcall))
#else
#define CB_STDCALL
#endif

typedef int32_t (*cb_compare)(int32_t a, int32_t b);
typedef int32_t (*cb_unary)(int32_t x);
typedef int32_t(CB_STDCALL* cb_unary_stdcall)(int32_t x);
typedef int32_t (*cb_handler)(int32_t event, void* user);
typedef double (*cb_greeter)(const char* name, uint8_t times);
typedef void (*cb_log_handler)(int32_t level, const char* text, void* user);

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static cb_handler g_handler;       /* the registered handler, or NULL */
static void* g_user;               /* its context, passed back on every call */
static cb_handler g_stale;         /* the handler cleared last: what a late event would reach */
static void* g_stale_user;
static int32_t g_last_answer;      /* the last value a handler returned to the library */
static int32_t g_thread_fires;     /* events fired from the library's own threads, answered */

/* Items whose layout differs by ABI (the double is 4-aligned on i386 Linux: 16 bytes there, 24 on
 * x86-64 and on Windows), sorted with a comparator of const pointers, as qsort's. */
typedef struct { char tag; double weight; int32_t id; } cb_item;
typedef int32_t (*cb_item_compare)(const cb_item* a, const cb_item* b);
int32_t cb_sort_items(cb_item* items, int32_t n, cb_item_compare cmp) {
  int32_t calls = 0;
  for (int32_t i = 1; i < n; ++i) {
    for (int32_t j = i; j > 0; --j) {
      ++calls;
      if (cmp(&items[j - 1], &items[j]) <= 0) break;
      cb_item t = items[j - 1];
      items[j - 1] = items[j];
      items[j] = t;
    }
  }
  return calls;
}
/* cmp(NULL, item) once: a callback's struct argument may be NULL. */
int32_t cb_compare_with_null(cb_item_compare cmp, cb_item item) { return cmp(NULL, &item); }

/* Insertion sort: n*(n-1)/2 comparisons for a reversed input. Returns how many were made. */
int32_t cb_sort_i32(int32_t* xs, int32_t n, cb_compare cmp) {
  int32_t calls = 0;
  for (int32_t i = 1; i < n; ++i) {
    for (int32_t j = i; j > 0; --j) {
      ++calls;
      if (cmp(xs[j - 1], xs[j]) <= 0) break;
      int32_t t = xs[j - 1];
      xs[j - 1] = xs[j];
      xs[j] = t;
    }
  }
  return calls;
}

int32_t cb_apply(int32_t x, cb_unary f) {
  int32_t y = f(x);
  pthread_mutex_lock(&g_lock);
  g_last_answer = y;
  pthread_mutex_unlock(&g_lock);
  return y + 1;
}

int32_t cb_apply_maybe(int32_t x, cb_unary f) { return f ? f(x) : -200; }

int32_t cb_apply_stdcall(int32_t x, cb_unary_stdcall f) {
  /* Called through a stdcall pointer: a closure of the wrong convention would leave the stack
   * pointer off by 4 here, and the sum below would be garbage or the host would crash. */
  volatile int32_t guard = 1000;
  int32_t y = f(x);
  return y + guard;
}

double cb_greet(cb_greeter g, const char* name) { return g(name, 3) * 2.0; }

int32_t cb_add(int32_t a, int32_t b) { return a + b; }

uint64_t cb_current_thread(void) { return (uint64_t)(uintptr_t)pthread_self(); }

void cb_set_handler(cb_handler h, void* user) {
  pthread_mutex_lock(&g_lock);
  g_handler = h;
  g_user = user;
  pthread_mutex_unlock(&g_lock);
}

void cb_clear_handler(void) {
  pthread_mutex_lock(&g_lock);
  if (g_handler) {
    g_stale = g_handler;
    g_stale_user = g_user;
  }
  g_handler = NULL;
  g_user = NULL;
  pthread_mutex_unlock(&g_lock);
}

/* 1 when the registered handler has a context (the host's own, never the client's). */
int32_t cb_has_user(void) {
  pthread_mutex_lock(&g_lock);
  int32_t has = g_handler != NULL && g_user != NULL;
  pthread_mutex_unlock(&g_lock);
  return has;
}

static int32_t call_handler(cb_handler h, void* user, int32_t event) {
  int32_t answer = h(event, user);
  pthread_mutex_lock(&g_lock);
  g_last_answer = answer;
  pthread_mutex_unlock(&g_lock);
  return answer;
}

/* The handler's answer, or -100 when none is registered. */
int32_t cb_fire(int32_t event) {
  pthread_mutex_lock(&g_lock);
  cb_handler h = g_handler;
  void* user = g_user;
  pthread_mutex_unlock(&g_lock);
  return h ? call_handler(h, user, event) : -100;
}

/* Fires the handler cleared last, as a library with an event already in flight would. */
int32_t cb_fire_stale(int32_t event) {
  pthread_mutex_lock(&g_lock);
  cb_handler h = g_stale;
  void* user = g_stale_user;
  pthread_mutex_unlock(&g_lock);
  return h ? call_handler(h, user, event) : -100;
}

int32_t cb_fire_burst(int32_t first, int32_t count, int32_t delay_ms);

/* Starts a thread of the library's own that fires the handler after delay_ms and returns at
 * once: 0, or -100 when no handler is registered. */
int32_t cb_fire_from_thread(int32_t event, int32_t delay_ms) { return cb_fire_burst(event, 1, delay_ms); }

int32_t cb_last_answer(void) {
  pthread_mutex_lock(&g_lock);
  int32_t v = g_last_answer;
  pthread_mutex_unlock(&g_lock);
  return v;
}

int32_t cb_thread_fires(void) {
  pthread_mutex_lock(&g_lock);
  int32_t v = g_thread_fires;
  pthread_mutex_unlock(&g_lock);
  return v;
}

/* An enumeration (EnumWindows-style), on the caller's thread: h(i, user) for i = 0..n-1,
 * stopping at the first negative answer (what a callback that cannot answer gets: its declared
 * default). The sum of the answers, or -1000 - i when the i-th answer was negative. */
int32_t cb_each(int32_t n, cb_handler h, void* user) {
  int32_t sum = 0;
  for (int32_t i = 0; i < n; ++i) {
    int32_t answer = h(i, user);
    if (answer < 0) return -1000 - i;
    sum += answer;
  }
  return sum;
}

/* The library's process exits at once, as a crashing library would take its host. */
void cb_exit(int32_t code) { _Exit(code); }

int32_t cb_pointer_bits(void) { return (int32_t)(sizeof(void*) * 8); }

static void sleep_ms(int32_t ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Sleeps ms milliseconds in the library (a call that hangs, for a deadline to end). */
int32_t cb_sleep(int32_t ms) {
  sleep_ms(ms);
  return ms;
}

struct burst {
  cb_handler h;
  void* user;
  int32_t first, count, delay_ms;
};

static void* fire_burst(void* arg) {
  struct burst* b = (struct burst*)arg;
  sleep_ms(b->delay_ms);
  for (int32_t i = 0; i < b->count; ++i) {
    call_handler(b->h, b->user, b->first + i);
    pthread_mutex_lock(&g_lock);
    ++g_thread_fires;
    pthread_mutex_unlock(&g_lock);
  }
  free(b);
  return NULL;
}

/* Starts a thread of the library's own that, after delay_ms, fires the handler registered now
 * with events first, first+1, ... (count of them, each waiting for its answer), even if it is
 * cleared meanwhile (an event source that took the pointer once). 0, or -100 when no handler is
 * registered. */
int32_t cb_fire_burst(int32_t first, int32_t count, int32_t delay_ms) {
  struct burst* b = (struct burst*)malloc(sizeof(struct burst));
  pthread_mutex_lock(&g_lock);
  b->h = g_handler;
  b->user = g_user;
  pthread_mutex_unlock(&g_lock);
  if (!b->h) {
    free(b);
    return -100;
  }
  b->first = first;
  b->count = count;
  b->delay_ms = delay_ms;
  pthread_t thread;
  if (pthread_create(&thread, NULL, fire_burst, b) != 0) {
    free(b);
    return -1;
  }
  pthread_detach(thread);
  return 0;
}

static cb_log_handler g_log;  /* kept for the process's life: there is no unregister */
static void* g_log_user;

void cb_set_log_handler(cb_log_handler h, void* user) {
  pthread_mutex_lock(&g_lock);
  g_log = h;
  g_log_user = user;
  pthread_mutex_unlock(&g_lock);
}

static void* log_lines(void* arg) {
  int32_t count = (int32_t)(intptr_t)arg;
  pthread_mutex_lock(&g_lock);
  cb_log_handler h = g_log;
  void* user = g_log_user;
  pthread_mutex_unlock(&g_lock);
  char text[32];
  for (int32_t i = 0; i < count; ++i) {
    snprintf(text, sizeof text, "line %d", (int)i);
    h(i, text, user);
  }
  return NULL;
}

/* Writes count log lines ("line 0", ...) to the log handler from a thread of the library's own:
 * 0, or -100 when none is set. */
int32_t cb_log_from_thread(int32_t count) {
  pthread_mutex_lock(&g_lock);
  int set = g_log != NULL;
  pthread_mutex_unlock(&g_lock);
  if (!set) return -100;
  pthread_t thread;
  if (pthread_create(&thread, NULL, log_lines, (void*)(intptr_t)count) != 0) return -1;
  pthread_detach(thread);
  return 0;
}

static cb_unary_stdcall g_stdcall;

void cb_set_stdcall_handler(cb_unary_stdcall f) {
  pthread_mutex_lock(&g_lock);
  g_stdcall = f;
  pthread_mutex_unlock(&g_lock);
}

/* The __stdcall handler's f(x) + 1000 (a wrong convention breaks the sum), or -100. */
int32_t cb_fire_stdcall(int32_t x) {
  pthread_mutex_lock(&g_lock);
  cb_unary_stdcall f = g_stdcall;
  pthread_mutex_unlock(&g_lock);
  if (!f) return -100;
  volatile int32_t guard = 1000;
  int32_t y = f(x);
  return y + guard;
}

static void* exit_later(void* arg) {
  sleep_ms((int32_t)(intptr_t)arg);
  _Exit(4);
  return NULL;
}

/* The library's process exits delay_ms from now, from a thread of its own (no call in flight). */
int32_t cb_exit_later(int32_t delay_ms) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, exit_later, (void*)(intptr_t)delay_ms) != 0) return -1;
  pthread_detach(thread);
  return 0;
}

int32_t cb_process_id(void) {
#if defined(_WIN32)
  return (int32_t)_getpid();
#else
  return (int32_t)getpid();
#endif
}
