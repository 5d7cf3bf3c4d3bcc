// Shared by the examples: this process's peak and current resident memory, in KiB, to show how
// much memory each side of a bridge really used. Platform code in process_memory-posix.cpp
// (Linux: /proc/self/status VmHWM and VmRSS) and process_memory-win32.cpp
// (GetProcessMemoryInfo's PeakWorkingSetSize and WorkingSetSize); an example lists the one for
// its platform among its sources (and links psapi on Windows).
#pragma once

#include <cstdint>

namespace bitbridge_examples {

/// This process's peak resident set so far, in KiB; 0 if the system does not say. Thread-safe.
uint64_t peakResidentKiB();

/// This process's resident set now, in KiB; 0 if the system does not say. Thread-safe.
uint64_t residentKiB();

}  // namespace bitbridge_examples
