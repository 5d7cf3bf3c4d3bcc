// Starting a process that is not supervised as a child: a shared host, which serves other
// clients too and must outlive the client that started it (Host::connectShared). Unlike
// ChildProcess::spawn (child_process.h) it is put in no kill-on-close job of ours, gets no
// console window, inherits nothing but the handle given as its stdout and stderr (and NUL as
// stdin), and nobody reads its output: it goes to that handle (the host's log file).
// Windows only.
#pragma once

#include <windows.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/platform/handle-win32.h"
#include "common/internal_api.h"

namespace bitbridge {

struct DetachedProcess {
  UniqueHandle process;  ///< SYNCHRONIZE, query and terminate rights; closing it does not end it
  uint32_t pid = 0;
};

/// Starts `executable` with `arguments`, its stdout and stderr being `output` (inheritable
/// for the call's duration only; the caller keeps and closes its copy). Throws Error: NotFound
/// (no such executable), BadConfiguration (CreateProcess refused it).
BITBRIDGE_INTERNAL_API DetachedProcess startDetachedProcess(const std::string& executable,
                                     const std::vector<std::string>& arguments, HANDLE output);

}  // namespace bitbridge
