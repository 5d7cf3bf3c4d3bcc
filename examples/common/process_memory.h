// Shared by the examples: this process's peak resident memory, in KiB, to show how much memory
// each side of a bridge really used. Platform code in peak_memory-posix.cpp (Linux:
// /proc/self/status VmHWM) and peak_memory-win32.cpp (GetProcessMemoryInfo's
// PeakWorkingSetSize); an example lists the one for its platform among its sources.
#pragma once

#include <cstdint>

namespace bitbridge_examples {

/// This process's peak resident set so far, in KiB; 0 if the system does not say. Thread-safe.
uint64_t peakResidentKiB();

}  // namespace bitbridge_examples
