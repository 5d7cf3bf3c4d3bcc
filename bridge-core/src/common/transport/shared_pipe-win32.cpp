// Shared host endpoints on Windows: names, the start mutex, pipe instances and the check of who
// serves a pipe (shared_pipe-win32.h says why each is so).
#include "common/transport/shared_pipe-win32.h"

#include <windows.h>

#include <algorithm>
#include <cctype>

#include "bitbridge/error.h"
#include "common/platform/text-win32.h"
#include "common/platform/user_identity-win32.h"

namespace bitbridge {
namespace {

constexpr DWORD kPipeBufferBytes = 256 * 1024;  // as a private host's pipe (named_pipe-win32.cpp)

// %LOCALAPPDATA% (the user's own profile: other users cannot read it), else the temp directory.
std::wstring logDirectory() {
  wchar_t buffer[MAX_PATH];
  DWORD n = ::GetEnvironmentVariableW(L"LOCALAPPDATA", buffer, MAX_PATH);
  std::wstring base;
  if (n > 0 && n < MAX_PATH) {
    base = buffer;
  } else {
    n = ::GetTempPathW(MAX_PATH, buffer);
    base = n > 0 && n < MAX_PATH ? std::wstring(buffer) : std::wstring(L".");
  }
  if (!base.empty() && (base.back() == L'\\' || base.back() == L'/')) base.pop_back();
  return base + L"\\bitbridge\\shared";
}

void createDirectory(const std::wstring& path) {
  if (::CreateDirectoryW(path.c_str(), nullptr) || ::GetLastError() == ERROR_ALREADY_EXISTS) return;
  DWORD error = ::GetLastError();
  if (error == ERROR_PATH_NOT_FOUND) {  // the parent first (…\bitbridge)
    auto slash = path.find_last_of(L'\\');
    if (slash != std::wstring::npos && slash > 0) {
      createDirectory(path.substr(0, slash));
      if (::CreateDirectoryW(path.c_str(), nullptr) || ::GetLastError() == ERROR_ALREADY_EXISTS) {
        return;
      }
      error = ::GetLastError();
    }
  }
  throw Error(ErrorKind::BadConfiguration,
              "cannot create the shared hosts' log directory " + narrow(path) + ": " +
                  win32ErrorText(error),
              "check that LOCALAPPDATA names a writable directory of this user");
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

HANDLE openMutex(const std::string& name) {
  UserOnlySecurity security;
  HANDLE mutex = ::CreateMutexW(security.get(), FALSE, widen(name).c_str());
  if (mutex == nullptr) {
    DWORD error = ::GetLastError();
    throw Error(ErrorKind::BadConfiguration,
                "cannot open the shared host start mutex " + name + ": " + win32ErrorText(error),
                error == ERROR_ACCESS_DENIED
                    ? "another user's process created that name first; end it, or use another "
                      "HostOptions::sharedName"
                    : "");
  }
  return mutex;
}

}  // namespace

SharedPipeEndpoint sharedPipeEndpoint(const std::string& endpoint) {
  std::string sid = currentUserSid();
  std::wstring directory = logDirectory();
  createDirectory(directory);
  return SharedPipeEndpoint{"\\\\.\\pipe\\bitbridge-" + sid + "-" + endpoint,
                            "Global\\bitbridge-" + sid + "-" + endpoint + "-start",
                            narrow(directory) + "\\" + endpoint + ".log"};
}

StartMutex StartMutex::acquire(const std::string& name, std::chrono::milliseconds timeout) {
  UniqueHandle mutex(openMutex(name));
  DWORD ms = static_cast<DWORD>(std::min<int64_t>(timeout.count(), INFINITE - 1));
  switch (::WaitForSingleObject(mutex.get(), ms)) {
    case WAIT_OBJECT_0:
    case WAIT_ABANDONED:  // its last owner died holding it: ours now, as a dead flock's
      return StartMutex(std::move(mutex));
    case WAIT_TIMEOUT:
      throw Error(ErrorKind::TimedOut,
                  "another process held the shared host start mutex " + name + " for more than " +
                      std::to_string(timeout.count()) + " ms",
                  "a client may be stuck starting that host (see its log in "
                  "%LOCALAPPDATA%\\bitbridge\\shared); raise HostOptions::startTimeout if starts "
                  "are legitimately slow");
    default:
      throw Error(ErrorKind::BadConfiguration,
                  "cannot wait for the start mutex " + name + ": " + lastWin32ErrorText());
  }
}

std::optional<StartMutex> StartMutex::tryAcquire(const std::string& name) {
  UniqueHandle mutex(openMutex(name));
  DWORD waited = ::WaitForSingleObject(mutex.get(), 0);
  if (waited == WAIT_OBJECT_0 || waited == WAIT_ABANDONED) return StartMutex(std::move(mutex));
  return std::nullopt;
}

StartMutex& StartMutex::operator=(StartMutex&& other) noexcept {
  if (this != &other) {
    if (mutex_.valid()) ::ReleaseMutex(mutex_.get());
    mutex_ = std::move(other.mutex_);
  }
  return *this;
}

StartMutex::~StartMutex() {
  if (mutex_.valid()) ::ReleaseMutex(mutex_.get());
}

UniqueHandle createSharedPipeInstance(const std::string& name, bool first) {
  // Wine 8 does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE: a "first" instance of a name that
  // exists is created and joins the other process's pipe (seen in shared_host_win32_test.cpp).
  // So a first instance also requires the name to be free beforehand. Under Wine that check is
  // what stops a squatter; on Windows the flag closes the moment between the check and the
  // creation. (Our own hosts never race here: they are started under the start mutex.)
  if (first) {
    bool taken = ::WaitNamedPipeW(widen(name).c_str(), 1) || ::GetLastError() != ERROR_FILE_NOT_FOUND;
    if (taken) {
      throw Error(ErrorKind::BadConfiguration,
                  "the shared host pipe " + name + " already exists: another process created it "
                  "first",
                  "if a bitbridge host of that name runs, connect to it (Host::connectShared); "
                  "otherwise end the process that holds the name, or use another "
                  "HostOptions::sharedName");
    }
  }
  UserOnlySecurity security;
  DWORD openMode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
                   (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  HANDLE pipe = ::CreateNamedPipeW(
      widen(name).c_str(), openMode,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
      PIPE_UNLIMITED_INSTANCES, kPipeBufferBytes, kPipeBufferBytes, 0, security.get());
  if (pipe != INVALID_HANDLE_VALUE) return UniqueHandle(pipe);
  DWORD error = ::GetLastError();
  if (first && (error == ERROR_ACCESS_DENIED || error == ERROR_PIPE_BUSY)) {
    throw Error(ErrorKind::BadConfiguration,
                "the shared host pipe " + name + " already exists: another process created it "
                "first (" + win32ErrorText(error) + ")",
                "if a bitbridge host of that name runs, connect to it (Host::connectShared); "
                "otherwise end the process that holds the name, or use another "
                "HostOptions::sharedName");
  }
  throw Error(ErrorKind::BadConfiguration,
              "cannot create an instance of the shared host pipe " + name + ": " +
                  win32ErrorText(error));
}

std::optional<UniqueHandle> openSharedPipe(const std::string& name,
                                           std::chrono::milliseconds timeout) {
  const std::wstring wide = widen(name);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    HANDLE pipe = ::CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                OPEN_EXISTING,
                                FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT |
                                    SECURITY_IDENTIFICATION,
                                nullptr);
    if (pipe != INVALID_HANDLE_VALUE) return UniqueHandle(pipe);
    DWORD error = ::GetLastError();
    if (error == ERROR_FILE_NOT_FOUND) return std::nullopt;  // no host serves it
    if (error == ERROR_ACCESS_DENIED) {
      throw Error(ErrorKind::BadConfiguration,
                  "this user may not open the shared host pipe " + name +
                      ": its security does not grant this user, so another user's process "
                      "created it",
                  "end the process that holds that name, or use another "
                  "HostOptions::sharedName");
    }
    if (error != ERROR_PIPE_BUSY) {
      throw Error(ErrorKind::BadConfiguration,
                  "cannot open the shared host pipe " + name + ": " + win32ErrorText(error));
    }
    // Every instance is taken: the host is between accepting a client and offering the next
    // instance (a moment), or many clients arrive at once.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw Error(ErrorKind::Overloaded,
                  "every instance of the shared host pipe " + name + " stayed busy for " +
                      std::to_string(timeout.count()) + " ms",
                  "the host is not accepting connections fast enough; retry later");
    }
    ::WaitNamedPipeW(wide.c_str(), static_cast<DWORD>(std::min<int64_t>(left.count(), 50)));
  }
}

uint32_t pipeServerProcessId(HANDLE pipe) {
  ULONG server = 0;
  return ::GetNamedPipeServerProcessId(pipe, &server) ? static_cast<uint32_t>(server) : 0;
}

std::optional<std::string> sharedServerRefusal(uint32_t pid,
                                               const std::optional<std::string>& serverSid,
                                               const std::string& ownSid,
                                               const std::string& imagePath,
                                               const std::string& expectedExecutableName,
                                               const std::string& sidProblem) {
  if (pid == 0) return std::string("the process serving it cannot be identified");
  if (auto reason = peerUserRefusal(pid, serverSid, ownSid, sidProblem)) return reason;
  if (imagePath.empty()) {
    return "the executable of process " + std::to_string(pid) + " cannot be read";
  }
  auto slash = imagePath.find_last_of("\\/");
  std::string file = slash == std::string::npos ? imagePath : imagePath.substr(slash + 1);
  if (lower(file) != lower(expectedExecutableName)) {
    return "it is served by process " + std::to_string(pid) + " (" + imagePath + "), not by " +
           expectedExecutableName;
  }
  return std::nullopt;
}

}  // namespace bitbridge
