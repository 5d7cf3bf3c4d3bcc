/* The platform calls of bind_lane_lib.c: bind_lane_lib-posix.c, bind_lane_lib-win32.c. */
#pragma once
#include <stdint.h>

int64_t bl_platform_thread_id(void);
void bl_platform_sleep_ms(int32_t ms);
/* What $C.lastError reads: errno on Linux, GetLastError() on Windows. */
void bl_platform_set_last_error(int32_t code);
