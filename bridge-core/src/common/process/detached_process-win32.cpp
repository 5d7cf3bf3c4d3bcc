// Detached processes (detached_process-win32.h).
#include "common/process/detached_process-win32.h"

#include "bitbridge/error.h"
#include "common/inspect_hint.h"
#include "common/platform/text-win32.h"
#include "common/process/command_line-win32.h"
#include "common/process/process_start-win32.h"

namespace bitbridge {

DetachedProcess startDetachedProcess(const std::string& executable,
                                     const std::vector<std::string>& arguments, HANDLE output) {
  DWORD attributes = ::GetFileAttributesW(widen(executable).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY)) {
    throw Error(ErrorKind::NotFound, "host executable " + executable + " does not exist",
                "build both bitnesses (scripts/build-windows.sh), or set BITBRIDGE_HOST_DIR");
  }
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  UniqueHandle nul(::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 &inheritable, OPEN_EXISTING, 0, nullptr));
  // Our copy of `output` becomes inheritable for this call only (restored below): a handle
  // list (PROC_THREAD_ATTRIBUTE_HANDLE_LIST) then keeps everything else of ours out.
  DWORD outputFlags = 0;
  ::GetHandleInformation(output, &outputFlags);
  ::SetHandleInformation(output, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
  HANDLE inherited[2] = {output, nul.valid() ? nul.get() : nullptr};
  SIZE_T listBytes = 0;
  ::InitializeProcThreadAttributeList(nullptr, 1, 0, &listBytes);
  std::string listStorage(listBytes, '\0');
  auto* list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(&listStorage[0]);
  bool haveList = listBytes > 0 && ::InitializeProcThreadAttributeList(list, 1, 0, &listBytes) &&
                  ::UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited,
                                              (nul.valid() ? 2 : 1) * sizeof(HANDLE), nullptr,
                                              nullptr);

  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof(startup);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = nul.valid() ? nul.get() : nullptr;
  startup.StartupInfo.hStdOutput = output;
  startup.StartupInfo.hStdError = output;
  // CREATE_BREAKAWAY_FROM_JOB: if this client runs in a job that kills its processes (a test
  // runner's, an IDE's), the host must not die with it; refused where the job forbids it.
  DWORD flags = CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB;
  if (haveList) {
    startup.lpAttributeList = list;
    flags |= EXTENDED_STARTUPINFO_PRESENT;
  }
  std::wstring line = commandLine(executable, arguments);
  PROCESS_INFORMATION info{};
  std::wstring program = widen(executable);
  DWORD error = startProcessRetryingTransientErrors([&] {
    auto start = [&] {
      return ::CreateProcessW(program.c_str(), &line[0], nullptr, nullptr, TRUE, flags, nullptr,
                              nullptr, &startup.StartupInfo, &info);
    };
    if (start()) return TRUE;
    if (::GetLastError() != ERROR_ACCESS_DENIED || !(flags & CREATE_BREAKAWAY_FROM_JOB)) return FALSE;
    flags &= ~static_cast<DWORD>(CREATE_BREAKAWAY_FROM_JOB);  // our job forbids breaking away
    return start();
  });
  if (haveList) ::DeleteProcThreadAttributeList(list);
  ::SetHandleInformation(output, HANDLE_FLAG_INHERIT, outputFlags & HANDLE_FLAG_INHERIT);
  if (error != ERROR_SUCCESS) {
    throw Error(error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND
                    ? ErrorKind::NotFound
                    : ErrorKind::BadConfiguration,
                "cannot start " + executable + ": " + win32ErrorText(error),
                "check that the host and the DLLs next to it (bitbridge-core.dll, "
                "libstdc++-6.dll, ...) are present; run `" +
                    inspectCommand(executable) + "` to see which are missing");
  }
  ::CloseHandle(info.hThread);
  return DetachedProcess{UniqueHandle(info.hProcess), static_cast<uint32_t>(info.dwProcessId)};
}

}  // namespace bitbridge
