// hard_kill.h on Windows.
#include "support/hard_kill.h"

#include <windows.h>

namespace bitbridge::test {

void hardKill(uint32_t pid) {
  HANDLE process = ::OpenProcess(PROCESS_TERMINATE, FALSE, pid);
  if (process == nullptr) return;  // gone already: the test sees that
  ::TerminateProcess(process, 9);
  ::CloseHandle(process);
}

const char* const kHardKillReport = "was terminated from outside";

}  // namespace bitbridge::test
