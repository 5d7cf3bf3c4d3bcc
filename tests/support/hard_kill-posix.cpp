// hard_kill.h on Linux.
#include "support/hard_kill.h"

#include <signal.h>
#include <sys/types.h>

namespace bitbridge::test {

void hardKill(uint32_t pid) { ::kill(static_cast<pid_t>(pid), SIGKILL); }

const char* const kHardKillReport = "killed by signal 9";

}  // namespace bitbridge::test
