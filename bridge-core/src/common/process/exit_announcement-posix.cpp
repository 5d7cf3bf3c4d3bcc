// POSIX: a wait status already tells an exit from a signal; nothing to announce.
#include "common/process/exit_announcement.h"

namespace bitbridge {

void announceOwnExit() {}

}  // namespace bitbridge
