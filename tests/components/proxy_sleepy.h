/* The one function of bind_test_lib.c that proxy_sleepy.capnp describes: the "vendor header" of
 * the proxy built from it (tests/CMakeLists.txt). Sleeps `ms` milliseconds and returns `ms`.
 * No extern "C" guard, on purpose: many vendors' C headers have none, and the proxy's C++
 * source must still take it. */
#ifndef BITBRIDGE_TESTS_PROXY_SLEEPY_H
#define BITBRIDGE_TESTS_PROXY_SLEEPY_H

#include <stdint.h>

int32_t bt_sleep_ms(int32_t ms);

#endif
