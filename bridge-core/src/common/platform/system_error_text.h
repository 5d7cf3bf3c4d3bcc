// The system's words for an error number, in one place and thread-safe.
//
// Why not std::strerror: it may return a static buffer that another thread overwrites (the
// watchdog and drain threads report errors while the RPC thread does), and it says nothing
// searchable. errnoText() uses the re-entrant form (strerror_r / strerror_s) and always names
// the number: "No such file or directory (errno 2)". On Windows, GetLastError() codes have
// their own text (win32ErrorText in text-win32.h, FormatMessage); lastSystemErrorText() picks
// the platform's current error either way.
// Threads: every function may be called from any thread.
#pragma once

#include <string>
#include "common/internal_api.h"

namespace bitbridge {

/// "<the C library's text> (errno <n>)", for an errno value.
BITBRIDGE_INTERNAL_API std::string errnoText(int errnoValue);

/// The calling thread's last system error as text: errno on POSIX, GetLastError() on Windows.
/// Read it right after the failing call, before anything else can change it.
BITBRIDGE_INTERNAL_API std::string lastSystemErrorText();

}  // namespace bitbridge

