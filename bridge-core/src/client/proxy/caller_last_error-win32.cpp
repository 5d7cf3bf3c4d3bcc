#include "client/proxy/caller_last_error.h"

#include <windows.h>

namespace bitbridge::proxy {

// The host read GetLastError() right after the call ($C.lastError): a DWORD carried as Int32.
void setCallersLastError(int value) { ::SetLastError(static_cast<DWORD>(value)); }

}  // namespace bitbridge::proxy
