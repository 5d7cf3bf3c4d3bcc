/* A program of examples/legacy-calc's header that calls it from 4 threads at once, the first
 * calls racing to start the proxy's host (proxy_test.cpp): every answer must be right, one host. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "legacy_calc.h"

enum { kThreads = 4, kCalls = 50 };

static void* work(void* arg) {
  intptr_t id = (intptr_t)arg;
  for (int32_t i = 0; i < kCalls; ++i) {
    calc_handle* calc = NULL;
    int32_t sum = 0;
    if (calc_open("thread", &calc) != CALC_OK) return (void*)1;
    int32_t status = calc_add(calc, i, (int32_t)id, &sum);
    calc_close(calc);
    if (status != CALC_OK || sum != i + (int32_t)id) return (void*)1;
  }
  return NULL;
}

int main(void) {
  pthread_t threads[kThreads];
  for (intptr_t t = 0; t < kThreads; ++t) pthread_create(&threads[t], NULL, work, (void*)(t * 1000));
  int wrong = 0;
  for (int t = 0; t < kThreads; ++t) {
    void* result = NULL;
    pthread_join(threads[t], &result);
    wrong += result != NULL;
  }
  printf("%d threads x %d calls: %s\n", kThreads, kCalls, wrong == 0 ? "all right" : "WRONG");
  return wrong == 0 ? 0 : 1;
}
