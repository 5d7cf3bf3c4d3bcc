// One CreateProcessW, tried again while Wine answers ERROR_INTERNAL_ERROR. Windows only; used by
// every process start of the library (child_process-win32.cpp, detached_process-win32.cpp).
#pragma once

#include <windows.h>

#include <functional>

namespace bitbridge {

/// Calls `start` (one CreateProcessW; returns its BOOL) until it succeeds, fails with anything
/// but ERROR_INTERNAL_ERROR, or has failed five times with it, 100 to 800 ms apart. Returns
/// ERROR_SUCCESS or the last error.
///
/// Why: under Wine on a loaded machine a start fails now and then with 1359 (the new process
/// died in Wine's loader before running any of its code, most often a 32-bit process starting a
/// 64-bit one) and the next start of the same file works; seen in our CI runs, up to two in a
/// row. Real Windows returns it for nothing a user could mend, so trying again costs nothing
/// there. The calling thread sleeps in between: process starts are not on a hot path.
DWORD startProcessRetryingTransientErrors(const std::function<BOOL()>& start);

}  // namespace bitbridge
