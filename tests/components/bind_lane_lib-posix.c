/* bind_lane_lib_platform.h on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bind_lane_lib_platform.h"

int64_t bl_platform_thread_id(void) { return (int64_t)syscall(SYS_gettid); }
void bl_platform_sleep_ms(int32_t ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}
void bl_platform_set_last_error(int32_t code) { errno = code; }
