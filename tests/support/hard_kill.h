// Ends a process the hard way, as a crash or a user's kill would (Linux: SIGKILL; Windows:
// TerminateProcess with exit status 9), for tests that check how a host's death is reported.
// Implemented per platform: hard_kill-posix.cpp, hard_kill-win32.cpp.
#pragma once

#include <cstdint>

namespace bitbridge::test {

void hardKill(uint32_t pid);

/// What bitbridge's death report says about a process ended by hardKill.
extern const char* const kHardKillReport;

}  // namespace bitbridge::test
