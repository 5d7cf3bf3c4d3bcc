// How a client tells a host that exited by itself from one that was terminated from outside.
//
// On Windows, TerminateProcess (what `taskkill /F` and Task Manager do) ends a process with
// whatever exit code the killer chose, often 1, sometimes 0, and under Wine a signal to the
// host's Unix process (`kill -9`) shows as exit code 0: the exit code alone cannot say that the
// host was killed. What can: a process that ends by itself (a return from main, exit(),
// _exit(), ExitProcess, from our code or from a legacy DLL) goes through ExitProcess, which
// notifies every loaded DLL (DLL_PROCESS_DETACH); a terminated one notifies nobody. So a host
// calls announceOwnExit() first thing, and libbitbridge-core's DllMain then writes
// kExitAnnouncement as a line of its own to stderr whenever the host exits by itself. The
// client's output drain (child_process-win32.cpp) takes that line out of the host's output and
// reports a host that died without it as terminated (ExitStatus::exitedByItself).
//
// POSIX needs none of this (wait status says "killed by signal 9"): announceOwnExit() does
// nothing there.
#pragma once

#include "wire/host_exit.h"  // kExitAnnouncement
#include "common/internal_api.h"

namespace bitbridge {

/// Makes this process announce its own exit (see above). Call it once, early in a host's
/// main(), before anything can make the host exit. Thread-safe; never undone.
BITBRIDGE_INTERNAL_API void announceOwnExit();

}  // namespace bitbridge

