// Windows side of probe_platform.h.
#include <windows.h>

#include <cstdlib>
#include <string>

#include "../support/start_process-win32.h"
#include "probe_platform.h"

namespace probe {

uint32_t processId() { return static_cast<uint32_t>(::GetCurrentProcessId()); }
uint32_t threadId() { return static_cast<uint32_t>(::GetCurrentThreadId()); }

void crashWith(int) {
  // A real access violation, as a bad pointer in a legacy DLL would cause.
  volatile int* nowhere = nullptr;
  *nowhere = 1;
  std::_Exit(99);
}

void exitAtOnce(int code) { std::_Exit(code); }

uint32_t startSleeper(uint32_t milliseconds) {
  // cmd's ping is the classic portable sleep; it inherits our inheritable handles.
  std::wstring command = L"cmd.exe /c ping -n " + std::to_wstring(milliseconds / 1000 + 1) +
                         L" 127.0.0.1 > NUL";
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION info{};
  if (!bitbridge::test::startProcess(nullptr, &command[0], TRUE, CREATE_NO_WINDOW, &startup, &info)) {
    return 0;
  }
  ::CloseHandle(info.hThread);
  ::CloseHandle(info.hProcess);
  return static_cast<uint32_t>(info.dwProcessId);
}

}  // namespace probe
