/* An existing C program written against proxy_callbacks.h, unchanged: built 64-bit against a
 * proxy of the 32-bit bind_callback_lib and 32-bit against a proxy of the 64-bit one
 * (tests/CMakeLists.txt; the same under Wine), it passes C function pointers: a comparator the
 * library calls many times, NULL for a nullable one, a __stdcall one (32-bit Windows), one
 * taking a string, ones that call the library again from inside (nested, twice deep), an
 * enumeration handler with its `void* user` context, which must come back unchanged, and NULL
 * where the schema does not allow it (the declared failure). Exits 0
 * when all answers are right. With "host-dies", its callback makes the library's process exit:
 * the program gets the declared failures, then a new host answers. */
#include <stdio.h>
#include <string.h>

#include "proxy_callbacks.h"

static int wrong;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("WRONG: %s\n", what);
    wrong = 1;
  }
}

static int compares;
static int32_t ascending(int32_t a, int32_t b) {
  ++compares;
  return a < b ? -1 : a > b ? 1 : 0;
}
static int32_t times3(int32_t x) { return 3 * x; }
static int32_t CB_CALLBACK times5(int32_t x) { return 5 * x; }
/* The library again, from inside its own callback. */
static int32_t add_100(int32_t x) { return cb_add(x, 100); }
/* Deeper: a call that passes a callback of its own, from inside a callback. */
static int32_t apply_times3(int32_t x) { return cb_apply(x, times3); }

static char greeted[32];
static double greeter(const char* name, uint8_t times) {
  snprintf(greeted, sizeof greeted, "%s", name ? name : "(null)");
  return times + 0.25;
}

struct tally {
  int calls;
  int32_t sum;
};
static int32_t count(int32_t event, void* user) {
  struct tally* t = (struct tally*)user; /* the program's own pointer, handed back */
  ++t->calls;
  t->sum += event;
  return 2 * event;
}

static int32_t exits(int32_t x) {
  cb_exit(3); /* the host's process exits while the library waits for this callback */
  return x;
}

/* By weight, then id; counts its calls, and the NULLs and wrong layouts it was given. */
static int item_compares, item_nulls, item_bad;
static int32_t by_weight(const cb_item* a, const cb_item* b) {
  ++item_compares;
  if (a == NULL || b == NULL) {
    ++item_nulls;
    return -77;
  }
  if (a->tag != 'i' || b->tag != 'i') ++item_bad;
  if (a->weight != b->weight) return a->weight < b->weight ? -1 : 1;
  return a->id - b->id;
}

int main(int argc, char** argv) {
  char line[128];
  if (argc > 1 && strcmp(argv[1], "host-dies") == 0) {
    int32_t r = cb_apply(7, exits);
    printf("apply(7, a callback whose library exits) = %d\n", (int)r);
    check(r == -999, "the declared failure when the host dies inside a callback");
    int32_t sum = cb_add(2, 3);
    printf("add(2, 3) afterwards = %d\n", (int)sum);
    check(sum == 5, "a new host answers after the old one died");
    puts(wrong ? "some answers wrong" : "host died inside a callback: declared failure, then a new host");
    return wrong;
  }

  printf("program: %d-bit, library: %d-bit\n", (int)(sizeof(void*) * 8), (int)cb_pointer_bits());

  enum { n = 60 };
  int32_t xs[n];
  for (int i = 0; i < n; ++i) xs[i] = n - i;
  int32_t calls = cb_sort_i32(xs, n, ascending);
  printf("sort_i32(%d reversed) made %d comparisons, the program's comparator ran %d times\n", n,
         (int)calls, compares);
  check(calls == n * (n - 1) / 2 && compares == calls, "a comparator called for every comparison");
  for (int i = 0; i < n; ++i) check(xs[i] == i + 1, "sorted by the program's comparator");

  int32_t applied = cb_apply(4, times3);
  printf("apply(4, x*3) = %d\n", (int)applied);
  check(applied == 13, "apply");
  check(cb_apply_maybe(4, NULL) == -200, "a NULL callback where the schema allows it");
  /* NULL where the schema has no $C.nullable: the real library would crash; the proxy refuses
   * it and returns the declared failure (logged: "parameter 'f' is NULL"). */
  check(cb_apply(4, NULL) == -999, "the declared failure for a NULL callback without $C.nullable");
  check(cb_apply_maybe(4, times3) == 12, "a nullable callback given");
  int32_t stdcalled = cb_apply_stdcall(4, times5);
  printf("apply_stdcall(4, x*5) = %d\n", (int)stdcalled);
  check(stdcalled == 1020, "a __stdcall callback");

  double greet = cb_greet(greeter, "Ada");
  printf("greet(\"Ada\") = %.2f, the callback saw \"%s\"\n", greet, greeted);
  check(greet == 6.5 && strcmp(greeted, "Ada") == 0, "Text to a callback, a double back");

  int32_t nested = cb_apply(5, add_100);
  int32_t deeper = cb_apply(2, apply_times3);
  printf("apply(5, add(x, 100)) = %d, apply(2, apply(x, x*3)) = %d\n", (int)nested, (int)deeper);
  check(nested == 106, "a nested call from inside a callback");
  check(deeper == 8, "a nested call passing a callback of its own");

  /* Structs to a callback, each side in its own ABI (cb_item is 16 bytes on i386 Linux, 24 on
   * x86-64): the program's comparator reads them as its compiler lays them out. */
  enum { m = 40 };
  cb_item items[m];
  for (int i = 0; i < m; ++i) {
    items[i].tag = 'i';
    items[i].weight = (double)(m - i) / 4.0;
    items[i].id = i;
  }
  int32_t item_calls = cb_sort_items(items, m, by_weight);
  printf("sort_items(%d reversed) made %d comparisons (cb_item: %u bytes here)\n", m, (int)item_calls,
         (unsigned)sizeof(cb_item));
  check(item_calls == m * (m - 1) / 2 && item_compares == item_calls, "a struct comparator called for every comparison");
  check(item_bad == 0 && item_nulls == 0, "every struct arrived whole");
  for (int i = 0; i < m; ++i) {
    check(items[i].id == m - 1 - i && items[i].weight == (double)(i + 1) / 4.0 && items[i].tag == 'i',
          "sorted by the program's struct comparator");
  }
  cb_item one = {'i', 1.5, 9};
  check(cb_compare_with_null(by_weight, one) == -77 && item_nulls == 1, "a NULL struct pointer reaches the callback as NULL");

  struct tally t = {0, 0};
  int32_t each = cb_each(5, count, &t);
  snprintf(line, sizeof line, "each(5) = %d, the handler ran %d times with its context, events summing to %d",
           (int)each, t.calls, (int)t.sum);
  puts(line);
  check(each == 20 && t.calls == 5 && t.sum == 10, "an enumeration with the program's void* user");

  puts(wrong ? "some answers wrong" : "all answers right");
  return wrong;
}
