// What a proxied function leaves in its caller's "last error" when the bind schema reports the
// library's own ($C.lastError on a result field): errno on POSIX, GetLastError() on Windows,
// the same place the library itself would have left it. Called on the program's thread (the
// one that called the proxy's export), after the call has completed; thread-local in both.
#pragma once

namespace bitbridge::proxy {

void setCallersLastError(int value);

}  // namespace bitbridge::proxy
