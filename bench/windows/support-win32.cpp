// Paths, child processes and pipe connection for the Windows bench cases (winbench.h).
#include <windows.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "winbench.h"

#if !defined(WINBENCH_ECHO_X86) || !defined(WINBENCH_STAGE_DIR)
#error "bench/windows/CMakeLists.txt defines the stage paths"
#endif

namespace bitbridge::bench::win {

namespace {
const char* archDir(Arch arch) { return arch == Arch::x86 ? "x86" : "x86_64"; }
}  // namespace

std::string echoPeerExecutable(Arch arch) {
  return windowsPath(arch == Arch::x86 ? WINBENCH_ECHO_X86 : WINBENCH_ECHO_X86_64);
}
std::string benchComponent(Arch arch) {
  return windowsPath(arch == Arch::x86 ? WINBENCH_COMPONENT_X86 : WINBENCH_COMPONENT_X86_64);
}
std::string bindBenchLibrary(Arch arch) {
  return windowsPath(arch == Arch::x86 ? WINBENCH_BIND_LIB_X86 : WINBENCH_BIND_LIB_X86_64);
}
std::string hostExecutable(Arch arch) {
  return windowsPath(std::string(WINBENCH_STAGE_DIR) + "/bin/" + archDir(arch) +
                     (arch == Arch::x86 ? "/bitbridge-host32.exe" : "/bitbridge-host64.exe"));
}
std::string winbenchExecutable(Arch arch) {
  return windowsPath(std::string(WINBENCH_STAGE_DIR) + "/bin/" + archDir(arch) +
                     (arch == Arch::x86 ? "/bitbridge-winbench32.exe" : "/bitbridge-winbench64.exe"));
}

std::wstring widen(const std::string& text) {
  int size = ::MultiByteToWideChar(CP_UTF8, 0, text.c_str(), -1, nullptr, 0);
  std::wstring wide(static_cast<size_t>(size), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, text.c_str(), -1, &wide[0], size);
  wide.resize(wide.size() - 1);
  return wide;
}

std::string narrow(const std::wstring& text) {
  int size = ::WideCharToMultiByte(CP_UTF8, 0, text.c_str(), -1, nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(size), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, text.c_str(), -1, &out[0], size, nullptr, nullptr);
  out.resize(out.size() - 1);
  return out;
}

std::string windowsPath(const std::string& path) {
  std::wstring full(MAX_PATH * 2, L'\0');
  DWORD length = ::GetFullPathNameW(widen(path).c_str(), static_cast<DWORD>(full.size()),
                                    &full[0], nullptr);
  if (length == 0 || length >= full.size()) return path;
  full.resize(length);
  return narrow(full);
}

Child::Child(const std::string& executable, const std::string& arguments, bool quiet) {
  std::wstring command = L"\"" + widen(executable) + L"\" " + widen(arguments);
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  HANDLE nul = INVALID_HANDLE_VALUE;
  if (quiet) {
    SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    nul = ::CreateFileW(L"NUL", GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                        OPEN_EXISTING, 0, nullptr);
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = ::GetStdHandle(STD_INPUT_HANDLE);
    startup.hStdOutput = nul;
    startup.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
  }
  PROCESS_INFORMATION process{};
  BOOL started = ::CreateProcessW(nullptr, &command[0], nullptr, nullptr, quiet ? TRUE : FALSE, 0,
                                  nullptr, nullptr, &startup, &process);
  DWORD error = ::GetLastError();
  if (nul != INVALID_HANDLE_VALUE) ::CloseHandle(nul);
  if (!started) {
    throw std::runtime_error("cannot start " + executable + ": error " + std::to_string(error));
  }
  ::CloseHandle(process.hThread);
  process_ = process.hProcess;
  pid_ = process.dwProcessId;
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    this->~Child();
    process_ = other.process_;
    pid_ = other.pid_;
    other.process_ = nullptr;
    other.pid_ = 0;
  }
  return *this;
}

Child::~Child() {
  if (process_ == nullptr) return;
  if (running()) {
    ::TerminateProcess(process_, 1);
    ::WaitForSingleObject(process_, 10000);
  }
  ::CloseHandle(process_);
  process_ = nullptr;
}

int Child::wait(DWORD ms) {
  if (::WaitForSingleObject(process_, ms) != WAIT_OBJECT_0) return -1;
  DWORD code = 0;
  ::GetExitCodeProcess(process_, &code);
  return static_cast<int>(code);
}

bool Child::running() const {
  return process_ != nullptr && ::WaitForSingleObject(process_, 0) == WAIT_TIMEOUT;
}

HANDLE connectToPeerPipe(const std::string& name, const Child& server, bool overlapped) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::wstring wide = widen(name);
  // Starts at 0.1 ms: spawn-to-first-reply is measured through this loop, and a coarse pause
  // would show up in it (Sleep(0) yields; short sleeps are what Wine's timers give anyway).
  for (int attempt = 0;; ++attempt) {
    HANDLE pipe = ::CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                OPEN_EXISTING, overlapped ? FILE_FLAG_OVERLAPPED : 0, nullptr);
    if (pipe != INVALID_HANDLE_VALUE) return pipe;
    DWORD error = ::GetLastError();
    if (error == ERROR_PIPE_BUSY) {
      ::WaitNamedPipeW(wide.c_str(), 50);
    } else if (error != ERROR_FILE_NOT_FOUND) {
      throw std::runtime_error("cannot open " + name + ": error " + std::to_string(error));
    }
    if (!server.running()) throw std::runtime_error("the peer exited before opening " + name);
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the peer did not open " + name + " within 30 s");
    }
    ::Sleep(attempt < 20 ? 0 : 1);
  }
}

std::string benchPipeName(const char* purpose) {
  static std::atomic<unsigned> counter{0};
  return "\\\\.\\pipe\\bitbridge-winbench-" + std::string(purpose) + "-" +
         std::to_string(::GetCurrentProcessId()) + "-" + std::to_string(counter++);
}

}  // namespace bitbridge::bench::win
