// The examples' memory figures on Windows: the process's peak and current working set (psapi's
// GetProcessMemoryInfo, exported by kernel32 as K32GetProcessMemoryInfo since Windows 7; linked
// through psapi).
#include "process_memory.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
// After windows.h, which it needs.
#include <psapi.h>

namespace bitbridge_examples {
namespace {

PROCESS_MEMORY_COUNTERS memoryCounters() {
  PROCESS_MEMORY_COUNTERS counters = {};
  counters.cb = sizeof counters;
  if (!GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof counters)) {
    return PROCESS_MEMORY_COUNTERS{};  // all zero: "the system does not say"
  }
  return counters;
}

}  // namespace

uint64_t peakResidentKiB() { return static_cast<uint64_t>(memoryCounters().PeakWorkingSetSize) / 1024; }

uint64_t residentKiB() { return static_cast<uint64_t>(memoryCounters().WorkingSetSize) / 1024; }

}  // namespace bitbridge_examples
