// Trying a process start again while Wine answers ERROR_INTERNAL_ERROR (process_start-win32.h).
#include "common/process/process_start-win32.h"

namespace bitbridge {

DWORD startProcessRetryingTransientErrors(const std::function<BOOL()>& start) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    if (start()) return ERROR_SUCCESS;
    DWORD error = ::GetLastError();
    if (error != ERROR_INTERNAL_ERROR || attempt == kAttempts) return error;
    ::Sleep(static_cast<DWORD>(50 << attempt));  // 100, 200, 400, 800 ms: the load may last
  }
}

}  // namespace bitbridge
