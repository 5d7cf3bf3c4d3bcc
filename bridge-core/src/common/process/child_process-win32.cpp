// Windows child processes: CreateProcessW, a job object per host so that the host dies with the
// client (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: the kernel closes the job handle when the client
// exits, however it exits), stdout+stderr through one pipe drained by a thread, and exit
// detection by waiting on the process handle.
#include <windows.h>

#include <algorithm>
#include <memory>
#include <vector>
#include <thread>

#include "common/platform/handle-win32.h"

#include "bitbridge/error.h"
#include "common/inspect_hint.h"
#include "common/platform/text-win32.h"
#include "common/platform/wait-win32.h"
#include "common/process/child_process.h"
#include "common/process/command_line-win32.h"
#include "common/process/process_start-win32.h"
#include "common/process/exit_announcement.h"
#include "common/process/output_lines.h"

namespace bitbridge {

namespace {

// Wine exports this from its ntdll; Windows does not. Under Wine a host's Unix process can also
// be killed by a signal, which Windows then reports as exit code 0.
bool underWine() {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

}  // namespace

std::string ExitStatus::describe(const std::string& situation) const {
  if (signaled) return "was terminated" + situation;
  uint32_t value = static_cast<uint32_t>(code);
  if (value >= 0xC0000000u) {
    // An NTSTATUS: the process died of an unhandled exception (our crash handler terminates
    // the host with the exception code, so this comes before the exit announcement's verdict).
    char hex[16];
    std::snprintf(hex, sizeof(hex), "0x%08X", value);
    const char* name = value == 0xC0000005u   ? " (access violation)"
                       : value == 0xC00000FDu ? " (stack overflow)"
                       : value == 0xC0000094u ? " (integer division by zero)"
                       : value == 0xC0000409u ? " (stack buffer overrun / fail-fast)"
                       : value == 0xC0000135u ? " (a DLL it needs was not found)"
                                              : "";
    return std::string("crashed with exception ") + hex + name + situation;
  }
  if (exitedByItself == false) {
    // It ended without passing through ExitProcess (exit_announcement.h): the exit code is
    // whatever the killer passed to TerminateProcess (taskkill /F passes 1), or 0 under Wine
    // when the Unix process was killed. Not an exit, whatever the number says.
    return "was terminated from outside" + situation + " (exit status " +
           std::to_string(value) + "; it did not exit by itself: TerminateProcess ended it, as `taskkill /F` does" +
           (underWine() ? ", or, under Wine, a signal to its process such as `kill -9`" : "") + ")";
  }
  return "exited with status " + std::to_string(code) + situation;
}

uint32_t currentProcessId() { return static_cast<uint32_t>(::GetCurrentProcessId()); }

namespace {

// How long a finished child's output is still waited for (see OutputLines::awaitFinished).
constexpr auto kDrainWait = std::chrono::milliseconds(100);
// Exit code given to TerminateProcess; `signaled` in ExitStatus says it was us.
constexpr UINT kTerminatedCode = 0xBB;

// The drain thread's state, shared with it: if something the host spawned keeps the output
// pipe open, the thread is detached rather than joined and outlives the ChildProcess.
struct Drain {
  explicit Drain(std::function<void(const std::string&)> onLine) : output(std::move(onLine)) {}
  OutputLines output;
};

class Win32ChildProcess final : public ChildProcess {
 public:
  // `outputRead`: the read end of the child's stdout+stderr (blocking), or null when there is
  // none (a process opened by pid without its log pipe).
  Win32ChildProcess(PROCESS_INFORMATION info, UniqueHandle job, HANDLE outputRead,
                    std::function<void(const std::string&)> onLine)
      : process_(info.hProcess), job_(kj::mv(job)), pid_(static_cast<int>(info.dwProcessId)),
        drain_(std::make_shared<Drain>(std::move(onLine))) {
    if (info.hThread != nullptr) ::CloseHandle(info.hThread);
    if (outputRead == nullptr) {
      drain_->output.finish();
      return;
    }
    readsOutput_ = true;
    drain_->output.setMarker(kExitAnnouncement);
    auto drain = drain_;
    drainThread_ = std::thread([drain, outputRead] {
      char buffer[4096];
      DWORD n = 0;
      while (::ReadFile(outputRead, buffer, sizeof(buffer), &n, nullptr) && n > 0) {
        drain->output.feed(buffer, n);
      }
      ::CloseHandle(outputRead);
      drain->output.finish();
    });
  }

  ~Win32ChildProcess() override {
    if (!status_) kill();
    drain_->output.awaitFinished(kDrainWait);
    // Still open after the host's death: a process it spawned inherited the pipe. Let the
    // thread finish whenever that one exits; it owns what it touches.
    if (drainThread_.joinable()) drainThread_.detach();
  }

  HANDLE handle() const { return process_.get(); }
  int pid() const override { return pid_; }
  int exitHandle() const override { return -1; }  // whenProcessExits waits on handle()

  std::optional<ExitStatus> waitFor(std::chrono::milliseconds timeout) override {
    if (status_) return status_;
    DWORD ms = static_cast<DWORD>(std::min<int64_t>(timeout.count(), INFINITE - 1));
    if (::WaitForSingleObject(process_.get(), ms) != WAIT_OBJECT_0) return std::nullopt;
    DWORD code = 0;
    ::GetExitCodeProcess(process_.get(), &code);
    // The announcement, if any, was written before the process ended: the drain has it once
    // the pipe reaches EOF (or, if a process the host started keeps the pipe, soon after).
    drain_->output.awaitFinished(kDrainWait);
    status_ = ExitStatus{terminated_, static_cast<int>(code), std::nullopt};
    if (readsOutput_) status_->exitedByItself = drain_->output.sawMarker();
    return status_;
  }

  ExitStatus kill() override {
    if (status_) return *status_;
    terminated_ = true;
    ::TerminateProcess(process_.get(), kTerminatedCode);
    while (!waitFor(std::chrono::seconds(5))) ::TerminateProcess(process_.get(), kTerminatedCode);
    return *status_;
  }

  std::string outputTail() const override { return drain_->output.tail(); }

 private:
  UniqueHandle process_;
  UniqueHandle job_;  // closing it kills the host if it is still running
  int pid_;
  bool terminated_ = false;
  bool readsOutput_ = false;  // its output is read: its exit announcement can be seen
  std::optional<ExitStatus> status_;
  std::shared_ptr<Drain> drain_;
  std::thread drainThread_;
};

// A PROC_THREAD_ATTRIBUTE_HANDLE_LIST naming the only handles a child inherits. attributes()
// is null where the system does not offer the list; the child then inherits every inheritable
// handle, as CreateProcess always did.
class InheritedHandles {
 public:
  explicit InheritedHandles(std::vector<HANDLE> handles) : handles_(std::move(handles)) {
    handles_.erase(std::remove(handles_.begin(), handles_.end(), nullptr), handles_.end());
    SIZE_T bytes = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &bytes);
    storage_.resize(bytes);
    auto* list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data());
    if (bytes == 0 || !::InitializeProcThreadAttributeList(list, 1, 0, &bytes)) return;
    if (!::UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles_.data(),
                                     handles_.size() * sizeof(HANDLE), nullptr, nullptr)) {
      ::DeleteProcThreadAttributeList(list);
      return;
    }
    list_ = list;
  }
  ~InheritedHandles() {
    if (list_ != nullptr) ::DeleteProcThreadAttributeList(list_);
  }
  InheritedHandles(const InheritedHandles&) = delete;
  InheritedHandles& operator=(const InheritedHandles&) = delete;
  LPPROC_THREAD_ATTRIBUTE_LIST attributes() const { return list_; }

 private:
  std::vector<HANDLE> handles_;  // the list points into this
  std::vector<char> storage_;
  LPPROC_THREAD_ATTRIBUTE_LIST list_ = nullptr;
};

// A job that kills its processes when its last handle closes: ours, at the latest when this
// process exits. Null if the system refuses (the host's --parent watch still ends it then).
UniqueHandle makeKillOnCloseJob() {
  HANDLE job = ::CreateJobObjectW(nullptr, nullptr);
  if (job == nullptr) return nullptr;
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!::SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof(limits))) {
    ::CloseHandle(job);
    return nullptr;
  }
  return UniqueHandle(job);
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::spawn(const SpawnRequest& request) {
  DWORD attributes = ::GetFileAttributesW(widen(request.executable).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY)) {
    throw Error(ErrorKind::NotFound, "host executable " + request.executable + " does not exist",
                "build both bitnesses (scripts/build-windows.sh), or set BITBRIDGE_HOST_DIR");
  }
  // One pipe for stdout and stderr; only the child's end is inheritable.
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE outputRead = nullptr, outputWrite = nullptr;
  if (!::CreatePipe(&outputRead, &outputWrite, &inheritable, 0)) {
    throw Error(ErrorKind::BadConfiguration, "CreatePipe failed: " + lastWin32ErrorText());
  }
  ::SetHandleInformation(outputRead, HANDLE_FLAG_INHERIT, 0);
  UniqueHandle ownedRead(outputRead), ownedWrite(outputWrite);
  HANDLE nul = ::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inheritable,
                             OPEN_EXISTING, 0, nullptr);
  UniqueHandle ownedNul(nul);  // INVALID_HANDLE_VALUE: nothing to close

  std::wstring commandLine = quoteArgument(widen(request.executable));
  for (const auto& argument : request.arguments) commandLine += L" " + quoteArgument(widen(argument));

  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof(startup);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = nul != INVALID_HANDLE_VALUE ? nul : nullptr;
  startup.StartupInfo.hStdOutput = outputWrite;
  startup.StartupInfo.hStdError = outputWrite;
  // Only these handles are inherited, whatever else of the client is inheritable (the POSIX
  // spawn closes every descriptor above the heartbeat's for the same reason).
  InheritedHandles inherited({outputWrite, startup.StartupInfo.hStdInput});
  DWORD flags = CREATE_SUSPENDED | CREATE_NO_WINDOW;
  if (inherited.attributes() != nullptr) {
    startup.lpAttributeList = inherited.attributes();
    flags |= EXTENDED_STARTUPINFO_PRESENT;
  }
  PROCESS_INFORMATION info{};
  // Suspended until it is in its job, so not even its first instruction runs unsupervised.
  std::wstring executable = widen(request.executable);
  DWORD error = startProcessRetryingTransientErrors([&] {
    return ::CreateProcessW(executable.c_str(), &commandLine[0], nullptr, nullptr, TRUE, flags,
                            nullptr, nullptr, &startup.StartupInfo, &info);
  });
  if (error != ERROR_SUCCESS) {
    throw Error(error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND
                    ? ErrorKind::NotFound
                    : ErrorKind::BadConfiguration,
                "cannot start " + request.executable + ": " + win32ErrorText(error),
                error == ERROR_BAD_EXE_FORMAT
                    ? "the file is not a Windows program for this machine; run `" +
                          inspectCommand(request.executable) + "` to check it"
                    : "check that the host and the DLLs next to it (bitbridge-core.dll, "
                      "libstdc++-6.dll, ...) are present; run `" +
                          inspectCommand(request.executable) + "` to see which are missing");
  }
  UniqueHandle job = makeKillOnCloseJob();
  if (job.valid() &&
      !::AssignProcessToJobObject(job.get(), info.hProcess)) {
    job = nullptr;  // e.g. an old Windows where our own job forbids nesting: --parent remains
  }
  ::ResumeThread(info.hThread);
  ownedWrite = nullptr;  // the child has its copy; ours would hide the end of its output
  return std::make_unique<Win32ChildProcess>(info, kj::mv(job), ownedRead.release(),
                                             request.onOutputLine);
}

std::unique_ptr<ChildProcess> ChildProcess::open(OpenRequest request) {
  UniqueHandle output(static_cast<HANDLE>(request.outputPipe));  // ours from here
  HANDLE process = ::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_TERMINATE,
                                 FALSE, static_cast<DWORD>(request.pid));
  if (process == nullptr) return nullptr;
  PROCESS_INFORMATION info{};
  info.hProcess = process;
  info.dwProcessId = static_cast<DWORD>(request.pid);
  return std::make_unique<Win32ChildProcess>(info, UniqueHandle(), output.release(),
                                             std::move(request.onOutputLine));
}

kj::Promise<void> whenProcessExits(kj::AsyncIoContext&, const ChildProcess& process) {
  auto* child = dynamic_cast<const Win32ChildProcess*>(&process);
  if (child == nullptr) return kj::NEVER_DONE;
  return whenSignaled(child->handle());
}

}  // namespace bitbridge
