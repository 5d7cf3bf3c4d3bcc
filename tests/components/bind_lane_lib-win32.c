/* bind_lane_lib_platform.h on Windows. */
#include <windows.h>

#include "bind_lane_lib_platform.h"

int64_t bl_platform_thread_id(void) { return (int64_t)GetCurrentThreadId(); }
void bl_platform_sleep_ms(int32_t ms) { Sleep((DWORD)ms); }
void bl_platform_set_last_error(int32_t code) { SetLastError((DWORD)code); }
