// peakResidentKiB on Windows: the process's peak working set (psapi's GetProcessMemoryInfo,
// exported by kernel32 as K32GetProcessMemoryInfo since Windows 7; linked through psapi).
#include "peak_memory.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
// After windows.h, which it needs.
#include <psapi.h>

namespace bitbridge_examples {

uint64_t peakResidentKiB() {
  PROCESS_MEMORY_COUNTERS counters = {};
  counters.cb = sizeof counters;
  if (!GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof counters)) {
    return 0;
  }
  return static_cast<uint64_t>(counters.PeakWorkingSetSize) / 1024;
}

}  // namespace bitbridge_examples
