/* bind_callback_lib: a plain C library that takes function pointers in every shape Host::bind
 * handles (tests/integration/bind_callback_test.cpp, schema bind_callback.capnp): a comparator
 * called many times during a call, a callback that may call back into the library (nested), a
 * handler stored with a `void* user` context and fired later, from the calling thread or from a
 * thread the library starts itself, a stale handler fired after it was cleared, and a __stdcall
 * callback (32-bit x86); an enumeration with a context, and an exit, for the drop-in proxy test
 * (proxy_callbacks_program.c). No bitbridge in it: it stands for a vendor's library. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

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

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static cb_handler g_handler;       /* the registered handler, or NULL */
static void* g_user;               /* its context, passed back on every call */
static cb_handler g_stale;         /* the handler cleared last: what a late event would reach */
static void* g_stale_user;
static int32_t g_last_answer;      /* the last value a handler returned to the library */
static int32_t g_thread_fires;     /* events fired from the library's own threads, answered */

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

struct later {
  cb_handler h;
  void* user;
  int32_t event;
  int32_t delay_ms;
};

static void* fire_later(void* arg) {
  struct later* l = (struct later*)arg;
  struct timespec ts = {l->delay_ms / 1000, (long)(l->delay_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  call_handler(l->h, l->user, l->event);
  pthread_mutex_lock(&g_lock);
  ++g_thread_fires;
  pthread_mutex_unlock(&g_lock);
  free(l);
  return NULL;
}

/* Starts a thread of the library's own that fires the handler after delay_ms and returns at
 * once: 0, or -100 when no handler is registered. */
int32_t cb_fire_from_thread(int32_t event, int32_t delay_ms) {
  struct later* l = (struct later*)malloc(sizeof(struct later));
  pthread_mutex_lock(&g_lock);
  l->h = g_handler;
  l->user = g_user;
  pthread_mutex_unlock(&g_lock);
  if (!l->h) {
    free(l);
    return -100;
  }
  l->event = event;
  l->delay_ms = delay_ms;
  pthread_t thread;
  if (pthread_create(&thread, NULL, fire_later, l) != 0) {
    free(l);
    return -1;
  }
  pthread_detach(thread);
  return 0;
}

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
