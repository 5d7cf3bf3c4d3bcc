// A program a Windows test starts and reads (header-only): its stdout and stderr captured
// through a pipe, its exit status. Used by the suites that run real client processes of both
// bitnesses (shared hosts, COM in shared hosts).
#pragma once

#include <windows.h>

#include <algorithm>
#include <string>

#include "common/platform/handle-win32.h"
#include "common/platform/text-win32.h"
#include "support/start_process-win32.h"

namespace bitbridge::test {

// Whether a program a test would start was built (examples may be off).
inline bool fileExists(const std::string& path) {
  return ::GetFileAttributesW(widen(path).c_str()) != INVALID_FILE_ATTRIBUTES;
}

// A program started by a test, whose output is read to its end.
struct ProgramRun {
  DWORD status = 0xFFFFFFFF;
  std::string output;
};

// Starts `commandLine` (output captured); finish() waits for it and reads the rest.
class Program {
 public:
  explicit Program(std::wstring commandLine) {
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE read = nullptr, write = nullptr;
    if (!::CreatePipe(&read, &write, &inheritable, 0)) return;
    ::SetHandleInformation(read, HANDLE_FLAG_INHERIT, 0);
    read_ = UniqueHandle(read);
    STARTUPINFOW startup{};
    startup.cb = sizeof(startup);
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdOutput = write;
    startup.hStdError = write;
    PROCESS_INFORMATION info{};
    if (test::startProcess(nullptr, &commandLine[0], TRUE, 0, &startup, &info)) {
      ::CloseHandle(info.hThread);
      process_ = UniqueHandle(info.hProcess);
    } else {
      run_.output = "CreateProcess failed with error " + std::to_string(::GetLastError());
    }
    ::CloseHandle(write);
  }
  ProgramRun finish() {
    if (!process_.valid()) return run_;
    char buffer[512];
    DWORD n = 0;
    while (::ReadFile(read_.get(), buffer, sizeof(buffer), &n, nullptr) && n > 0) {
      run_.output.append(buffer, n);
    }
    ::WaitForSingleObject(process_.get(), 120000);
    ::GetExitCodeProcess(process_.get(), &run_.status);
    run_.output.erase(std::remove(run_.output.begin(), run_.output.end(), '\r'), run_.output.end());
    return run_;
  }

 private:
  UniqueHandle process_, read_;
  ProgramRun run_;
};

}  // namespace bitbridge::test
