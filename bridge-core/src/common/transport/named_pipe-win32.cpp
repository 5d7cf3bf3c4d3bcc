// Named pipes on Windows: names, creation and connection; see named_pipe-win32.h for the security
// settings and why. The stream over a connected pipe is pipe_stream-win32.cpp.
#include "common/transport/named_pipe-win32.h"

#include <windows.h>
#include <bcrypt.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <kj/debug.h>

#include "bitbridge/error.h"
#include "common/platform/text-win32.h"
#include "common/platform/user_identity-win32.h"

namespace bitbridge {
namespace {

constexpr DWORD kPipeBufferBytes = 256 * 1024;

std::string randomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (!BCRYPT_SUCCESS(::BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(&raw[0]),
                                        static_cast<ULONG>(bytes),
                                        BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
    throw Error(ErrorKind::BadConfiguration, "the system random number generator failed",
                "BCryptGenRandom is needed to name pipes unguessably");
  }
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  return hex;
}

}  // namespace

std::string newPipeName(const std::string& purpose) {
  return "\\\\.\\pipe\\bitbridge-" + purpose + "-" + std::to_string(::GetCurrentProcessId()) + "-" +
         randomHex(16);
}

UniqueHandle createPipeServer(const std::string& name, PipeMode mode) {
  UserOnlySecurity security;
  const bool log = mode == PipeMode::BlockingLog;
  DWORD openMode = (log ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED) |
                   FILE_FLAG_FIRST_PIPE_INSTANCE;
  HANDLE pipe = ::CreateNamedPipeW(
      widen(name).c_str(), openMode,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
      1, kPipeBufferBytes, log ? 0 : kPipeBufferBytes, 0, security.get());
  if (pipe == INVALID_HANDLE_VALUE) {
    DWORD error = ::GetLastError();
    if (error == ERROR_ACCESS_DENIED || error == ERROR_PIPE_BUSY) {
      throw Error(ErrorKind::BadConfiguration,
                  "the pipe " + name + " already exists: another process created it first (" +
                      win32ErrorText(error) + ")",
                  "pipe names are random per start; if this repeats, look for a process squatting "
                  "on \\\\.\\pipe\\bitbridge-* names");
    }
    throw Error(ErrorKind::BadConfiguration,
                "cannot create the pipe " + name + ": " + win32ErrorText(error));
  }
  return UniqueHandle(pipe);
}

bool waitForPipeClient(HANDLE pipe, std::chrono::milliseconds timeout, HANDLE abandon) {
  OVERLAPPED overlapped{};
  overlapped.hEvent = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (overlapped.hEvent == nullptr) {
    throw Error(ErrorKind::BadConfiguration, "CreateEvent failed: " + lastWin32ErrorText());
  }
  UniqueHandle event(overlapped.hEvent);
  if (::ConnectNamedPipe(pipe, &overlapped)) return true;
  DWORD error = ::GetLastError();
  if (error == ERROR_PIPE_CONNECTED) return true;  // connected between create and connect
  if (error != ERROR_IO_PENDING) {
    throw Error(ErrorKind::BadConfiguration, "ConnectNamedPipe failed: " + win32ErrorText(error));
  }
  HANDLE waits[2] = {overlapped.hEvent, abandon};
  DWORD count = abandon != nullptr ? 2 : 1;
  DWORD ms = static_cast<DWORD>(std::min<int64_t>(timeout.count(), INFINITE - 1));
  DWORD which = ::WaitForMultipleObjects(count, waits, FALSE, ms);
  DWORD transferred = 0;
  if (which == WAIT_OBJECT_0) {
    return ::GetOverlappedResult(pipe, &overlapped, &transferred, FALSE) != 0;
  }
  // Timed out or abandoned: cancel, and wait for the cancellation before `overlapped` dies.
  ::CancelIoEx(pipe, &overlapped);
  bool connected = ::GetOverlappedResult(pipe, &overlapped, &transferred, TRUE) != 0;
  return connected && which != WAIT_OBJECT_0 + 1;
}

bool waitForBlockingPipeClient(HANDLE pipe, const std::string& name,
                               std::chrono::milliseconds timeout) {
  // Shared with the helper thread, which may outlive this call by the moment it takes to see
  // our own connection.
  struct Wait {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    bool connected = false;
  };
  auto wait = std::make_shared<Wait>();
  std::thread connector([pipe, wait] {
    bool connected = ::ConnectNamedPipe(pipe, nullptr) || ::GetLastError() == ERROR_PIPE_CONNECTED;
    std::lock_guard<std::mutex> lock(wait->mutex);
    wait->finished = true;
    wait->connected = connected;
    wait->done.notify_all();
  });
  bool connected = false;
  {
    std::unique_lock<std::mutex> lock(wait->mutex);
    if (!wait->done.wait_for(lock, timeout, [&] { return wait->finished; })) {
      // Release the thread: connect ourselves (the one instance is then taken, so nobody else
      // can), and close that end at once.
      lock.unlock();
      HANDLE self = ::CreateFileW(widen(name).c_str(), GENERIC_READ, 0, nullptr, OPEN_EXISTING,
                                  SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr);
      UniqueHandle ownedSelf(self);
      lock.lock();
      // Our own connection failing means the client took the instance just before us (then
      // the thread is done at once); if the thread is still blocked for another reason, it is
      // left to finish whenever it can: it touches only `wait`, which it shares.
      if (!wait->done.wait_for(lock, std::chrono::seconds(1), [&] { return wait->finished; })) {
        lock.unlock();
        connector.detach();
        return false;
      }
      bool clientConnected = !ownedSelf.valid() && wait->connected;
      lock.unlock();
      connector.join();
      return clientConnected;
    }
    connected = wait->connected;
  }
  connector.join();
  return connected;
}

UniqueHandle connectPipeClient(const std::string& name, uint32_t expectedServerPid,
                               std::chrono::milliseconds timeout,
                               const std::function<void()>& stillStarting,
                               const std::string& serverLabel, PipeMode mode) {
  const std::wstring wide = widen(name);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  const bool log = mode == PipeMode::BlockingLog;
  for (;;) {
    HANDLE pipe = ::CreateFileW(wide.c_str(), log ? GENERIC_READ : GENERIC_READ | GENERIC_WRITE,
                                0, nullptr, OPEN_EXISTING,
                                (log ? 0 : FILE_FLAG_OVERLAPPED) | SECURITY_SQOS_PRESENT |
                                    SECURITY_IDENTIFICATION,
                                nullptr);
    if (pipe != INVALID_HANDLE_VALUE) {
      UniqueHandle owned(pipe);
      ULONG server = 0;
      if (!::GetNamedPipeServerProcessId(pipe, &server)) {
        throw Error(ErrorKind::BadConfiguration,
                    "cannot tell which process serves " + name + ": " + lastWin32ErrorText());
      }
      if (expectedServerPid != 0 && server != expectedServerPid) {
        throw Error(ErrorKind::MalformedPeer,
                    "the pipe " + name + " is served by process " + std::to_string(server) +
                        ", not by " + serverLabel,
                    "another program created that pipe name first; it was not used");
      }
      return owned;
    }
    DWORD error = ::GetLastError();
    if (error == ERROR_PIPE_BUSY) {
      // Its one instance is taken: by someone else (it will never be ours), or in a race that
      // WaitNamedPipe settles.
      ::WaitNamedPipeW(wide.c_str(), 50);
    } else if (error != ERROR_FILE_NOT_FOUND) {
      throw Error(ErrorKind::BadConfiguration,
                  "cannot connect to " + serverLabel + " at " + name + ": " + win32ErrorText(error));
    }
    stillStarting();
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(ErrorKind::TimedOut,
                  serverLabel + " did not open its pipe " + name + " within " +
                      std::to_string(timeout.count()) + " ms",
                  "the host may be stuck starting; raise HostOptions::startTimeout if the "
                  "machine is slow (under Wine a first start can take seconds)");
    }
    // Short pauses: whatever the host's start takes (under Wine 40-150 ms, most of it process
    // start), a pause of up to 20 ms (as before) added 10 ms on average to every spawn; a failed
    // CreateFile costs tens of microseconds, so polling every 2 ms is cheap.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(2));
  }
}

uint32_t pipeClientProcessId(HANDLE pipe) {
  ULONG client = 0;
  return ::GetNamedPipeClientProcessId(pipe, &client) ? static_cast<uint32_t>(client) : 0;
}

}  // namespace bitbridge
