// CreateProcessW for test programs and test components, tried again when Wine answers
// ERROR_INTERNAL_ERROR (1359). Windows only.
//
// Why: under Wine on a loaded machine a process start fails now and then with 1359 (the new
// process died in Wine's loader before it ran any of its code; most often a 32-bit process
// starting a 64-bit one), and the next start of the same file works. The library's own starts
// (child_process-win32.cpp, detached_process-win32.cpp) try again for the same reason; a test's
// helper process must too, or CI fails on a test whose subject never ran. Any other error is
// returned at once, so a test of a real start failure still sees it.
#pragma once

#include <windows.h>

namespace bitbridge::test {

/// CreateProcessW's arguments minus the two every test passes as null (security attributes)
/// and the environment and directory (inherited). Returns what the last attempt returned, with
/// GetLastError() set by it.
inline BOOL startProcess(const wchar_t* application, wchar_t* commandLine, BOOL inheritHandles,
                         DWORD flags, STARTUPINFOW* startup, PROCESS_INFORMATION* info) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    if (::CreateProcessW(application, commandLine, nullptr, nullptr, inheritHandles, flags,
                         nullptr, nullptr, startup, info)) {
      return TRUE;
    }
    DWORD error = ::GetLastError();
    if (error != ERROR_INTERNAL_ERROR || attempt == kAttempts) {
      ::SetLastError(error);
      return FALSE;
    }
    ::Sleep(static_cast<DWORD>(50 << attempt));  // 100, 200, 400, 800 ms: the load may last
  }
}

}  // namespace bitbridge::test
