// What the probe component does differently per platform: probe_platform-posix.cpp and
// probe_platform-win32.cpp (compiled into the probe component of the matching build).
#pragma once

#include <cstdint>

namespace probe {

/// This process's id, and the calling thread's (the RPC thread's is the process id on Linux).
uint32_t processId();
uint32_t threadId();
/// Dies of `signal` (POSIX raise); on Windows of an access violation (0xC0000005) whatever
/// `signal` says. Never returns: a signal that does not kill exits 99 instead of answering.
[[noreturn]] void crashWith(int signal);
/// Ends the process with `code` at once, without answering or running destructors.
[[noreturn]] void exitAtOnce(int code);
/// Starts a process that inherits what a legacy library's helper would (POSIX: a fork keeps
/// every descriptor; Windows: a child inheriting the inheritable handles) and sleeps for
/// `milliseconds`; returns its pid.
uint32_t startSleeper(uint32_t milliseconds);

}  // namespace probe
