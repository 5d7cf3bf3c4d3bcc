// Shared by the wide-math demo and component: reserving address space only (nothing committed),
// the one thing that tells a 32-bit process from a 64-bit one however much RAM the machine has.
// Platform code in address_space-posix.cpp (mmap PROT_NONE) and address_space-win32.cpp
// (VirtualAlloc MEM_RESERVE).
#pragma once

#include <cstdint>
#include <string>

namespace wide_math_example {

/// Reserves `bytes` of address space and releases it at once. Returns "" on success, else why
/// not (the OS's own message). Cheap and safe with sizes far beyond RAM: nothing is committed.
/// `bytes` must be at least 1 and fit this process's size_t (the caller checks: the message
/// says more there). Thread-safe.
std::string tryReserveAddressSpace(uint64_t bytes);

}  // namespace wide_math_example
