// peakResidentKiB on Linux: the VmHWM ("high water mark") field of /proc/self/status.
#include "peak_memory.h"

#include "proc_status.h"

namespace bitbridge_examples {

uint64_t peakResidentKiB() { return procStatusKiB("VmHWM"); }

}  // namespace bitbridge_examples
