// c_last_error.h on Windows: GetLastError(), which is what Windows libraries set (a C runtime's
// errno is per runtime DLL and cannot be read from outside it reliably).
#include <windows.h>

#include "host/bind/c_last_error.h"

namespace bitbridge::cbind {

void clearLastSystemError() { ::SetLastError(0); }
int32_t lastSystemError() { return static_cast<int32_t>(::GetLastError()); }

}  // namespace bitbridge::cbind
