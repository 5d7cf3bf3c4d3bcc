/* Calls bt_sleep_ms(argv[i]) for each argument, through the proxy of proxy_sleepy.capnp, and
 * prints each result, errno and how long the call took (proxy_test.cpp: a call that outlives
 * BITBRIDGE_CALL_TIMEOUT_MS fails with the declared -1/ETIMEDOUT in about that time, and the
 * next call runs in a new host). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "proxy_sleepy.h"

static long long nowMs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    int32_t ms = (int32_t)atoi(argv[i]);
    errno = 0;
    long long start = nowMs();
    int32_t result = bt_sleep_ms(ms);
    int error = errno;
    printf("sleep(%d) = %d, errno %d, took %lld ms\n", (int)ms, (int)result, error, nowMs() - start);
    fflush(stdout);
  }
  return 0;
}
