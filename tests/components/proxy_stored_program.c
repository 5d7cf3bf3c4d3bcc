/* An existing C program written against proxy_stored.h, unchanged: built 64-bit against a proxy
 * of the 32-bit bind_callback_lib and 32-bit against a proxy of the 64-bit one
 * (tests/CMakeLists.txt; the same under Wine). It registers handlers with its own `void* user`
 * and checks what reaches them:
 *   (no argument)  an event handler fired inside a call and later from the library's own
 *                  threads (values, order, the user pointer, on a thread that is not the
 *                  program's), thousands of events quickly (also while the program calls the
 *                  library), a handler that unregisters itself, handlers that call the library again
 *                  from inside (inside a call and from a library thread), unregistering (the
 *                  library's later and in-flight fires get the declared default, never the
 *                  program), a log handler kept for the host's life (Text, no result), a
 *                  __stdcall handler. Exits 0 when all answers are right.
 *   host-dies      the library's process exits while a handler is registered and the program
 *                  is not calling: its next call gets the declared failure, the handler is
 *                  not called again, and the call after that gets a new host.
 *   hang-inside    a handler fired from the library's thread while the program makes no call
 *                  calls the library, which hangs in that call: with BITBRIDGE_CALL_TIMEOUT_MS
 *                  set, that call fails as declared once it has passed (the host is killed as
 *                  hung), the program's next call gets the declared failure (its handler did
 *                  not survive) and the one after that a new host.
 *   exit-live      the program returns from main while handlers are registered and the library
 *                  fires them from its own thread: it must exit at once (prints the host's pid
 *                  for the test to check it is gone too). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#if defined(_WIN32)
#include <windows.h>
static void sleep_ms(int ms) { Sleep((DWORD)ms); }
#else
#include <time.h>
static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}
#endif

#include "proxy_stored.h"

static int wrong;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("WRONG: %s\n", what);
    fflush(stdout);
    wrong = 1;
  }
}

/* Set on the program's main thread only: a handler that sees it ran on that thread. */
static _Thread_local int on_main_thread;

/* Waits (up to 60 s: Wine is slow) until *v reaches n. */
static int wait_for(atomic_int* v, int n) {
  for (int i = 0; i < 60000 && atomic_load(v) < n; ++i) sleep_ms(1);
  return atomic_load(v) >= n;
}

enum { max_events = 8192 };
struct tally {
  atomic_int calls;
  atomic_int on_main;      /* calls that ran on the program's main thread */
  atomic_int wrong_user;   /* calls whose user pointer was not this tally */
  int32_t events[max_events];
};
static struct tally tally;

static int32_t record(int32_t event, void* user) {
  struct tally* t = (struct tally*)user;
  if (t != &tally) {
    atomic_fetch_add(&tally.wrong_user, 1);
    return -7;
  }
  if (on_main_thread) atomic_fetch_add(&t->on_main, 1);
  int i = atomic_load(&t->calls);
  if (i < max_events) t->events[i] = event;
  atomic_store(&t->calls, i + 1); /* one handler runs at a time: the proxy's callback thread */
  return 2 * event;
}

static int32_t times3(int32_t x) { return 3 * x; }

/* A handler that calls the library through the proxy from inside: twice, one passing a callback
 * of its own. */
static atomic_int nested_calls;
static atomic_int nested_sum;
static int32_t nested(int32_t event, void* user) {
  (void)user;
  int32_t a = cb_add(event, 1000);  /* 1000 + event */
  int32_t b = cb_apply(event, times3); /* 3 * event + 1 */
  atomic_fetch_add(&nested_sum, a + b);
  atomic_fetch_add(&nested_calls, 1);
  return a + b;
}

static atomic_int once_calls;
static int32_t once(int32_t event, void* user) {
  (void)user;
  atomic_fetch_add(&once_calls, 1);
  cb_clear_handler(); /* from inside: the library's later events must not reach it */
  return event;
}

struct lines {
  atomic_int count;
  atomic_int out_of_order;
};
static void log_line(int32_t level, const char* text, void* user) {
  struct lines* l = (struct lines*)user;
  char expected[32];
  int n = atomic_load(&l->count);
  snprintf(expected, sizeof expected, "line %d", n);
  if (level != n || text == NULL || strcmp(text, expected) != 0) atomic_fetch_add(&l->out_of_order, 1);
  atomic_store(&l->count, n + 1);
}
static struct lines lines;

static int32_t CB_CALLBACK times5(int32_t x) { return 5 * x; }

static int host_dies(void) {
  cb_set_handler(record, &tally);
  int32_t pid = cb_process_id();
  check(cb_exit_later(50) == 0, "exit_later");
  sleep_ms(1500); /* the host exits while the program makes no call */
  int32_t r = cb_add(2, 3);
  printf("add(2, 3) after host pid %d died with a handler registered = %d\n", (int)pid, (int)r);
  check(r == -999, "the declared failure: the registration did not survive");
  int32_t again = cb_add(2, 3);
  check(again == 5, "the call after that gets a new host");
  check(cb_process_id() != pid, "a new host process");
  check(cb_fire(1) == -100, "the new host's library has no handler registered");
  check(atomic_load(&tally.calls) == 0, "the handler is never called");
  puts(wrong ? "some answers wrong" : "host died with a handler registered: declared failure, then a new host");
  return wrong;
}

static atomic_int hang_done;
static int32_t hang_result;
static int hang_errno;
static int32_t hangs(int32_t event, void* user) {
  (void)user;
  errno = 0;
  hang_result = cb_sleep(120000); /* beyond wait_for's 60 s: only the deadline ends it sooner */
  hang_errno = errno;
  atomic_store(&hang_done, 1);
  return event;
}

static int hang_inside(void) {
  cb_set_handler(hangs, NULL);
  int32_t pid = cb_process_id();
  printf("firing at host pid %d\n", (int)pid);
  fflush(stdout); /* a test may freeze that host now (proxy_test.cpp) */
  check(cb_fire_from_thread(5, 0) == 0, "fire_from_thread");
  /* The program makes no call meanwhile: nothing but the handler's call's own deadline runs. */
  check(wait_for(&hang_done, 1), "the hung call from inside the handler ended");
  printf("sleep(120000) from inside a handler, no call running: %d, errno %d\n", (int)hang_result, hang_errno);
  check(hang_result == -999 && hang_errno == EIO, "the declared failure");
  int32_t r = cb_add(2, 3);
  printf("add(2, 3) after host pid %d was killed = %d\n", (int)pid, (int)r);
  check(r == -999, "the declared failure: the registration did not survive");
  check(cb_add(2, 3) == 5, "the call after that gets a new host");
  int32_t next = cb_process_id();
  printf("new host pid %d\n", (int)next);
  check(next != pid, "a new host process");
  puts(wrong ? "some answers wrong" : "hung call from inside a handler: declared failure at its deadline, then a new host");
  return wrong;
}

static int exit_live(void) {
  cb_set_handler(nested, NULL); /* each event calls the library from inside, as exit begins */
  cb_set_log_handler(log_line, &lines);
  printf("host pid %d\n", (int)cb_process_id());
  fflush(stdout);
  check(cb_fire_burst(0, 1000000, 0) == 0, "a long burst started");
  check(cb_log_from_thread(1000000) == 0, "a long log started");
  check(wait_for(&nested_calls, 20), "the burst reached the handler");
  puts(wrong ? "some answers wrong" : "exiting with handlers registered and firing");
  fflush(stdout);
  return wrong; /* exit runs while the library fires: the proxy stops calling the handlers */
}

int main(int argc, char** argv) {
  on_main_thread = 1;
  if (argc > 1 && strcmp(argv[1], "host-dies") == 0) return host_dies();
  if (argc > 1 && strcmp(argv[1], "exit-live") == 0) return exit_live();
  if (argc > 1 && strcmp(argv[1], "hang-inside") == 0) return hang_inside();

  printf("program: %d-bit, library: %d-bit\n", (int)(sizeof(void*) * 8), (int)cb_pointer_bits());

  /* Registered, then fired inside a call: on the proxy's callback thread, the caller waiting. */
  cb_set_handler(record, &tally);
  int32_t fired = cb_fire(7);
  printf("fire(7) = %d\n", (int)fired);
  check(fired == 14, "a stored handler fired inside a call");
  check(atomic_load(&tally.on_main) == 0, "a stored handler runs on the proxy's thread, not the caller's");

  /* Later, from a thread of the library's own, while the program makes no call. */
  check(cb_fire_from_thread(21, 20) == 0, "fire_from_thread");
  check(wait_for(&tally.calls, 2), "a handler fired later from the library's thread");
  check(tally.events[1] == 21, "its event");

  /* Thousands, quickly, in order. */
  enum { burst = 3000 };
  check(cb_fire_burst(100, burst, 0) == 0, "fire_burst");
  check(wait_for(&tally.calls, 2 + burst), "every event of the burst reached the handler");
  int in_order = 1;
  for (int i = 0; i < burst; ++i) in_order &= tally.events[2 + i] == 100 + i;
  check(in_order, "the burst's events in the order the library fired them");
  check(atomic_load(&tally.wrong_user) == 0, "the program's own user pointer on every call");
  /* The library stores the last answer once it has it, just after the handler returned. */
  int32_t last = 0;
  for (int i = 0; i < 1000 && (last = cb_last_answer()) != 2 * (100 + burst - 1); ++i) sleep_ms(10);
  check(last == 2 * (100 + burst - 1), "the handler's answer reached the library");
  printf("a burst of %d events from the library's thread: all reached the handler, in order\n", burst);

  /* Unregistered: the library's own fires find none; a fire already in flight (the stale
   * pointer) gets the declared default, not the program. */
  cb_clear_handler();
  check(cb_fire(9) == -100, "no handler after unregistering");
  int32_t stale = cb_fire_stale(9);
  printf("fire_stale(9) after unregistering = %d\n", (int)stale);
  check(stale == -1, "an unregistered handler fired anyway gets the declared default");
  /* A burst holding the pointer, started before unregistering, firing after. */
  cb_set_handler(record, &tally);
  int before = atomic_load(&tally.calls);
  int32_t fires = cb_thread_fires();
  check(cb_fire_burst(500, 50, 300) == 0, "a delayed burst");
  cb_clear_handler();
  for (int i = 0; i < 600 && cb_thread_fires() < fires + 50; ++i) sleep_ms(10);
  check(cb_thread_fires() == fires + 50, "the library fired after unregistering");
  check(cb_last_answer() == -1, "and got the declared default");
  check(atomic_load(&tally.calls) == before, "none of them reached the program");

  /* The program calls the library while the library's thread fires at its handler. */
  cb_set_handler(record, &tally);
  before = atomic_load(&tally.calls);
  check(cb_fire_burst(1000, 1000, 0) == 0, "a burst while the program calls");
  int sums_right = 1;
  for (int i = 0; i < 300; ++i) sums_right &= cb_add(i, 1) == i + 1;
  check(sums_right, "the program's calls answered while handlers are fired");
  check(wait_for(&tally.calls, before + 1000), "every event of that burst reached the handler");
  in_order = 1;
  for (int i = 0; i < 1000 && before + i < max_events; ++i) in_order &= tally.events[before + i] == 1000 + i;
  check(in_order, "in order");

  /* A handler that unregisters itself from inside, at its first event: the rest of the burst
   * gets the declared default. */
  fires = cb_thread_fires();
  cb_set_handler(once, NULL);
  check(cb_fire_burst(0, 20, 0) == 0, "a burst at a handler that unregisters itself");
  for (int i = 0; i < 600 && cb_thread_fires() < fires + 20; ++i) sleep_ms(10);
  check(cb_thread_fires() == fires + 20, "the whole burst fired");
  check(atomic_load(&once_calls) == 1, "the handler ran once: its own unregistering held");
  check(cb_fire(1) == -100, "and it is unregistered");

  /* A handler that calls the library from inside: fired inside a call, then from a thread. */
  cb_set_handler(nested, NULL);
  int32_t inside = cb_fire(5);
  printf("fire(5) with a handler calling add and apply = %d\n", (int)inside);
  check(inside == 1005 + 16, "a handler calling the library inside a call");
  check(cb_fire_from_thread(6, 10) == 0, "fire_from_thread, nested");
  check(wait_for(&nested_calls, 2), "a handler calling the library from the library's thread");
  check(atomic_load(&nested_sum) == 1005 + 16 + 1006 + 19, "its nested calls' answers");
  check(cb_fire_burst(0, 200, 0) == 0, "a burst of nested handlers");
  check(wait_for(&nested_calls, 202), "200 handlers calling the library, from the library's thread");
  cb_clear_handler();

  /* Kept for the host's life: a log handler taking text, from the library's thread. */
  cb_set_log_handler(log_line, &lines);
  check(cb_log_from_thread(500) == 0, "log_from_thread");
  check(wait_for(&lines.count, 500), "500 log lines reached the handler");
  check(atomic_load(&lines.out_of_order) == 0, "each line's level and text, in order");
  printf("log handler: %d lines\n", atomic_load(&lines.count));

  cb_set_stdcall_handler(times5);
  int32_t stdcalled = cb_fire_stdcall(4);
  printf("fire_stdcall(4) = %d\n", (int)stdcalled);
  check(stdcalled == 1020, "a __stdcall stored handler");

  puts(wrong ? "some answers wrong" : "all answers right");
  return wrong;
}
