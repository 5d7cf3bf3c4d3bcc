// The thread's last system error as a bound C function left it (c.capnp $lastError): errno on
// POSIX, GetLastError() on Windows. Cleared just before the call and read just after it, on the
// thread that made the call, with nothing in between that could overwrite it.
#pragma once

#include <cstdint>

namespace bitbridge::cbind {

void clearLastSystemError();
int32_t lastSystemError();

}  // namespace bitbridge::cbind
