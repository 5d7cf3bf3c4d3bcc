// The raw named-pipe baselines of the Windows bench (winbench.h): round trips to
// bitbridge-pipe-echo.exe of the other bitness, blocking and through an I/O completion port,
// and spawn-to-first-reply of that bare peer.
#include <windows.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "winbench.h"

namespace bitbridge::bench::win {
namespace {

std::string echoArguments(const std::string& pipe) {
  return "\"" + pipe + "\" " + std::to_string(kSmallMessageBytes);
}

void writeAll(HANDLE pipe, const char* data, DWORD size) {
  while (size > 0) {
    DWORD put = 0;
    if (!::WriteFile(pipe, data, size, &put, nullptr)) {
      throw std::runtime_error("WriteFile: error " + std::to_string(::GetLastError()));
    }
    data += put;
    size -= put;
  }
}

void readExactly(HANDLE pipe, char* data, DWORD size) {
  while (size > 0) {
    DWORD got = 0;
    if (!::ReadFile(pipe, data, size, &got, nullptr)) {
      throw std::runtime_error("ReadFile: error " + std::to_string(::GetLastError()));
    }
    data += got;
    size -= got;
  }
}

// One overlapped operation on `pipe`, completed through `port` (one completion per call, as
// KJ's event port dequeues them).
void iocpTransfer(HANDLE port, HANDLE pipe, char* data, DWORD size, bool write) {
  while (size > 0) {
    OVERLAPPED overlapped{};
    BOOL ok = write ? ::WriteFile(pipe, data, size, nullptr, &overlapped)
                    : ::ReadFile(pipe, data, size, nullptr, &overlapped);
    if (!ok && ::GetLastError() != ERROR_IO_PENDING) {
      throw std::runtime_error("overlapped I/O: error " + std::to_string(::GetLastError()));
    }
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED* done = nullptr;
    if (!::GetQueuedCompletionStatus(port, &bytes, &key, &done, INFINITE) || done != &overlapped) {
      throw std::runtime_error("GetQueuedCompletionStatus: error " +
                               std::to_string(::GetLastError()));
    }
    data += bytes;
    size -= bytes;
  }
}

}  // namespace

CaseResult pipeRaw(const Settings& settings, Arch peer) {
  std::string name = benchPipeName("raw");
  Child echo(echoPeerExecutable(peer), echoArguments(name));
  HANDLE pipe = connectToPeerPipe(name, echo, false);
  std::vector<char> out(kSmallMessageBytes, 'x'), in(kSmallMessageBytes);
  uint64_t calls = settings.count(20000, 300);
  CaseResult result = measureCalls(Settings::warmup(calls), calls, [&] {
    writeAll(pipe, out.data(), kSmallMessageBytes);
    readExactly(pipe, in.data(), kSmallMessageBytes);
  });
  ::CloseHandle(pipe);
  echo.wait(10000);
  return result;
}

CaseResult pipeIocp(const Settings& settings, Arch peer) {
  std::string name = benchPipeName("iocp");
  Child echo(echoPeerExecutable(peer), echoArguments(name));
  HANDLE pipe = connectToPeerPipe(name, echo, true);
  HANDLE port = ::CreateIoCompletionPort(pipe, nullptr, 0, 1);
  if (port == nullptr) throw std::runtime_error("CreateIoCompletionPort failed");
  std::vector<char> out(kSmallMessageBytes, 'x'), in(kSmallMessageBytes);
  uint64_t calls = settings.count(20000, 300);
  CaseResult result = measureCalls(Settings::warmup(calls), calls, [&] {
    iocpTransfer(port, pipe, out.data(), kSmallMessageBytes, true);
    iocpTransfer(port, pipe, in.data(), kSmallMessageBytes, false);
  });
  ::CloseHandle(pipe);
  ::CloseHandle(port);
  echo.wait(10000);
  return result;
}

CaseResult spawnEcho(const Settings& settings, Arch peer) {
  uint64_t starts = settings.starts(10, 2);
  std::vector<int64_t> samples;
  std::vector<char> out(kSmallMessageBytes, 'x'), in(kSmallMessageBytes);
  for (uint64_t i = 0; i < starts + 1; ++i) {  // +1: the first start warms Wine's caches
    std::string name = benchPipeName("spawn");
    auto t0 = Clock::now();
    Child echo(echoPeerExecutable(peer), echoArguments(name));
    HANDLE pipe = connectToPeerPipe(name, echo, false);
    writeAll(pipe, out.data(), kSmallMessageBytes);
    readExactly(pipe, in.data(), kSmallMessageBytes);
    auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    ::CloseHandle(pipe);
    echo.wait(10000);
    if (i > 0) samples.push_back(elapsed);
  }
  CaseResult result;
  result.calls = samples.size();
  result.latency = summarize(samples);
  return result;
}

}  // namespace bitbridge::bench::win
