// Windows: libbitbridge-core's DllMain announces a host's own exit (see exit_announcement.h).
#include <windows.h>

#include <atomic>
#include <cstring>

#include "common/process/exit_announcement.h"

namespace bitbridge {
namespace {

// Set by a host's main(); clients load this DLL too and announce nothing.
std::atomic<bool> announce{false};

}  // namespace

void announceOwnExit() { announce.store(true); }

}  // namespace bitbridge

// DLL_PROCESS_DETACH with a non-null `reserved` is ExitProcess at work: the process ends by
// itself (a return from main, exit(), _exit(), ExitProcess; other threads are already gone).
// TerminateProcess, a crash handler's included, never gets here. WriteFile on the raw handle,
// not stdio: the C runtime may be shutting down around us. If the host's last line was left
// unterminated, the announcement ends it; the client looks for it at the end of a line.
extern "C" BOOL WINAPI DllMain(HINSTANCE, DWORD reason, LPVOID reserved) {
  if (reason == DLL_PROCESS_DETACH && reserved != nullptr && bitbridge::announce.load()) {
    HANDLE err = ::GetStdHandle(STD_ERROR_HANDLE);
    if (err != nullptr && err != INVALID_HANDLE_VALUE) {
      char line[sizeof(bitbridge::kExitAnnouncement)];
      std::memcpy(line, bitbridge::kExitAnnouncement, sizeof(line) - 1);
      line[sizeof(line) - 1] = '\n';
      DWORD written = 0;
      ::WriteFile(err, line, sizeof(line), &written, nullptr);
    }
  }
  return TRUE;
}
