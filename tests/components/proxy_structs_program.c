/* An existing C program written against proxy_structs.h, unchanged: built 64-bit against a proxy
 * of the 32-bit bind_test_lib and 32-bit against a proxy of the 64-bit one (tests/CMakeLists.txt),
 * it passes and gets structs of every kind the proxy converts. Every answer is computed by the
 * library; the program checks it against what the C code it calls must give, prints one line
 * per call, and exits 0 when all are right (1 otherwise). With the argument "null" it passes
 * NULL for a struct the schema does not let be NULL; with "long" it asks for a long its own
 * long may not hold. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "proxy_structs.h"

static int wrong;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("WRONG: %s (errno %d)\n", what, errno);
    wrong = 1;
  }
}

int main(int argc, char** argv) {
  uint32_t layout[12] = {0};
  if (argc > 1 && strcmp(argv[1], "null") == 0) {
    /* NULL where the schema has no $C.nullable: the proxy refuses it (the real library would
     * crash), returning the declared failure. */
    errno = 0;
    int32_t r = bt_point_sum(NULL);
    printf("point_sum(NULL) = %d, errno %d\n", (int)r, errno);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "long") == 0) {
    /* A long the library makes that the program's long cannot hold (a 64-bit library's, for a
     * 32-bit program): the proxy refuses to truncate it and returns the declared failure. */
    bt_long_box box = {7};
    errno = 0;
    bt_long_box_make((int64_t)5000000000LL, &box);
    printf("long_box_make(5000000000): value %ld, errno %d\n", box.value, errno);
    return 0;
  }
  bt_layout(layout);
  printf("program: %d-bit, library: %d-bit\n", (int)(sizeof(void*) * 8), (int)bt_pointer_bits());
  printf("bt_mixed: %u bytes here, %u in the library; bt_outer: %u here, %u there\n",
         (unsigned)sizeof(bt_mixed), (unsigned)layout[1], (unsigned)sizeof(bt_outer), (unsigned)layout[9]);

  bt_point p = {3, 4};
  int32_t sum = bt_point_sum(&p);
  printf("point_sum({3, 4}) = %d\n", (int)sum);
  check(sum == 7, "point_sum");

  int32_t some = bt_point_or_null(&p);
  int32_t none = bt_point_or_null(NULL);
  printf("point_or_null: %d, NULL: %d\n", (int)some, (int)none);
  check(some == 304 && none == -1, "point_or_null");

  bt_point swapped = bt_point_swap(p);
  printf("point_swap({3, 4}) = {%d, %d}\n", (int)swapped.x, (int)swapped.y);
  check(swapped.x == 4 && swapped.y == 3, "point_swap");

  bt_point scaled = {2, -3};
  bt_point_scale(&scaled, 5);
  printf("point_scale({2, -3}, 5) = {%d, %d}\n", (int)scaled.x, (int)scaled.y);
  check(scaled.x == 10 && scaled.y == -15, "point_scale");

  bt_point made = {0, 0};
  bt_make_point(7, -8, &made);
  printf("make_point(7, -8) = {%d, %d}\n", (int)made.x, (int)made.y);
  check(made.x == 7 && made.y == -8, "make_point");

  bt_mixed m = {'M', 2.5, -1234567890123LL};
  int32_t mixedBits = bt_mixed_check(m);
  printf("mixed_check = %d\n", (int)mixedBits);
  check(mixedBits == 7, "mixed_check");

  bt_mixed back = bt_mixed_make('Q', 0.25, (int64_t)1 << 40);
  printf("mixed_make = {'%c', %g, %lld}\n", back.tag, back.value, (long long)back.big);
  check(back.tag == 'Q' && back.value == 0.25 && back.big == (int64_t)1 << 40, "mixed_make");

  bt_box box;
  memset(&box, 0, sizeof box);
  box.corner[0].x = 1;
  box.corner[1].y = 4;
  strcpy(box.name, "crate");
  box.flags[2] = 9;
  int32_t boxBits = bt_box_check(&box);
  printf("box_check = %d\n", (int)boxBits);
  check(boxBits == 15, "box_check");

  bt_box filled;
  memset(&filled, 0x5a, sizeof filled);
  bt_box_fill(&filled);
  printf("box_fill = {{%d, %d}, {%d, %d}}, '%s', %d %d %d\n", (int)filled.corner[0].x,
         (int)filled.corner[0].y, (int)filled.corner[1].x, (int)filled.corner[1].y, filled.name,
         filled.flags[0], filled.flags[1], filled.flags[2]);
  check(filled.corner[0].x == 10 && filled.corner[0].y == 20 && filled.corner[1].x == 30 &&
            filled.corner[1].y == 40 && strcmp(filled.name, "filled") == 0 &&
            filled.flags[0] == 1 && filled.flags[1] == 2 && filled.flags[2] == 3,
        "box_fill");

  double items[] = {1.5, 2.25, 4};
  bt_series series = {items, 3};
  double total = bt_series_sum(&series);
  printf("series_sum = %g\n", total);
  check(total == 7.75, "series_sum");

  bt_outer outer;
  memset(&outer, 0, sizeof outer);
  outer.m.tag = 'O';
  outer.m.value = -0.5;
  outer.p.y = 7;
  outer.label = "outer";
  int32_t outerBits = bt_outer_check(&outer);
  printf("outer_check = %d\n", (int)outerBits);
  check(outerBits == 15, "outer_check");

  bt_long_box longBox = {0};
  bt_long_box_make(-123456, &longBox);
  printf("long_box_make(-123456) = %ld\n", longBox.value);
  check(longBox.value == -123456, "long_box_make");

  bt_point points[3] = {{1, 2}, {3, 4}, {-5, 6}};
  int32_t products = bt_points_sum(points, 3);
  printf("points_sum = %d\n", (int)products);
  check(products == 2 + 12 - 30, "points_sum");

  bt_point madePoints[4];
  memset(madePoints, 0x5a, sizeof madePoints);
  bt_points_make(madePoints, 4);
  printf("points_make = {%d, %d} {%d, %d} {%d, %d} {%d, %d}\n", (int)madePoints[0].x,
         (int)madePoints[0].y, (int)madePoints[1].x, (int)madePoints[1].y, (int)madePoints[2].x,
         (int)madePoints[2].y, (int)madePoints[3].x, (int)madePoints[3].y);
  check(madePoints[0].x == 0 && madePoints[0].y == 0 && madePoints[3].x == 3 && madePoints[3].y == -3,
        "points_make");

  bt_counter* counter = bt_counter_new(40);
  bt_counter_step step = {counter, 2};
  int64_t stepped = bt_counter_step_apply(&step);
  printf("counter_step_apply = %lld\n", (long long)stepped);
  check(counter != NULL && stepped == 42, "counter_step_apply");
  bt_counter_free(counter);

  puts(wrong ? "some answers wrong" : "all answers right");
  return wrong;
}
