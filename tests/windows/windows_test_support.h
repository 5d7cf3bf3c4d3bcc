// Helpers of the Windows suites (header-only): watching a process from outside, and a client
// process that reports the pid of the host it started, for the "client killed" tests.
#pragma once

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "probe.capnp.h"
#include "support/start_process-win32.h"
#include "support/test_support.h"

namespace bitbridge::test {

/// True when process `pid` no longer exists, or exits within `timeout`.
inline bool processGoneWithin(uint32_t pid, std::chrono::milliseconds timeout) {
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, pid);
  if (process == nullptr) return true;  // no such process any more
  DWORD waited = ::WaitForSingleObject(process, static_cast<DWORD>(timeout.count()));
  ::CloseHandle(process);
  return waited == WAIT_OBJECT_0;
}

/// Makes the probe component in `host` crash (an access violation) and checks what the client
/// hears: `disconnected` at once, naming the exception, and the host no longer running.
inline void expectProbeCrashReported(Host& host) {
  auto probe = host.activate<probe::Probe>("probe");
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::Disconnected, [&] { host.wait(probe.crashRequest().send()); });
  EXPECT_CONTAINS(e.message(), "crashed with exception 0xC0000005 (access violation)");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_FALSE(host.running());
}

/// A client program started by a test, which prints "<prefix><host pid>" on a line of its own
/// once its host runs and then keeps it busy. Destroying this kills the client if still running.
class ReportingClient {
 public:
  /// Starts `commandLine` and reads its stdout until the line with `prefix` (gtest's own lines
  /// may come first). hostPid() is 0 if the client ended without printing it; output() says why.
  ReportingClient(std::wstring commandLine, const std::string& prefix) {
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE read = nullptr, write = nullptr;
    if (!::CreatePipe(&read, &write, &inheritable, 0)) return;
    ::SetHandleInformation(read, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOW startup{};
    startup.cb = sizeof(startup);
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdOutput = write;
    startup.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION info{};
    bool started = test::startProcess(nullptr, &commandLine[0], TRUE, 0, &startup, &info);
    ::CloseHandle(write);
    if (started) {
      ::CloseHandle(info.hThread);
      process_ = info.hProcess;
      std::string line;
      char c = 0;
      DWORD n = 0;
      while (hostPid_ == 0 && ::ReadFile(read, &c, 1, &n, nullptr) && n == 1) {
        if (c != '\n') {
          if (c != '\r') line += c;
          continue;
        }
        output_ += line + "\n";
        if (line.rfind(prefix, 0) == 0) {
          hostPid_ = static_cast<uint32_t>(std::strtoul(line.c_str() + prefix.size(), nullptr, 10));
        }
        line.clear();
      }
    } else {
      output_ = "CreateProcess failed with error " + std::to_string(::GetLastError());
    }
    ::CloseHandle(read);
  }
  ~ReportingClient() {
    kill();
    if (process_ != nullptr) ::CloseHandle(process_);
  }
  ReportingClient(const ReportingClient&) = delete;
  ReportingClient& operator=(const ReportingClient&) = delete;

  uint32_t hostPid() const { return hostPid_; }
  const std::string& output() const { return output_; }
  /// Ends the client the hard way (TerminateProcess: nothing of it runs any more).
  void kill() {
    if (process_ == nullptr) return;
    ::TerminateProcess(process_, 9);
    ::WaitForSingleObject(process_, 5000);
  }

 private:
  HANDLE process_ = nullptr;
  uint32_t hostPid_ = 0;
  std::string output_;
};

/// Starts the client `commandLine`, which prints "<prefix><host pid>" once its host serves it
/// (and keeps it busy), kills the client the hard way and requires the host gone within 3 s.
inline void expectHostDiesWithItsClient(const std::wstring& commandLine, const std::string& prefix) {
  ReportingClient client(commandLine, prefix);
  uint32_t hostPid = client.hostPid();
  ASSERT_NE(hostPid, 0u) << "the client printed:\n" << client.output();
  ASSERT_FALSE(processGoneWithin(hostPid, std::chrono::milliseconds(0)));
  client.kill();
  EXPECT_TRUE(processGoneWithin(hostPid, std::chrono::seconds(3)))
      << "host " << hostPid << " outlived its killed client";
}

/// True under Wine (its ntdll exports wine_get_version; Windows' does not).
inline bool underWine() {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

/// Under Wine only: runs `script` with the Unix /bin/sh (Wine starts a Unix program that
/// CreateProcess is given, outside the Windows world) and returns its stdout, or "" if none
/// came within 30 s.
/// Wine gives a Unix program none of the Windows handles (its stdout is not a pipe of ours), so
/// the output goes through a file in /tmp. `script` is passed as one quoted Windows argument:
/// it must not contain a double quote.
inline std::string runUnixCommand(const std::string& script) {
  std::string file = "/tmp/bitbridge-unix-command-" + std::to_string(::GetCurrentProcessId()) +
                     "-" + std::to_string(::GetTickCount()) + ".out";
  // Written under another name and renamed when complete: the process handle Wine returns for a
  // Unix program cannot be waited on, so the file's appearance is the end of the script.
  std::string command = "Z:\\bin\\sh -c \"(" + script + ") >" + file + ".part; mv " +
                        file + ".part " + file + "\"";
  std::wstring wide(command.begin(), command.end());
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION info{};
  if (!test::startProcess(nullptr, &wide[0], FALSE, 0, &startup, &info)) {
    return {};
  }
  if (info.hThread != nullptr) ::CloseHandle(info.hThread);
  if (info.hProcess != nullptr) ::CloseHandle(info.hProcess);
  std::string windowsPath = "Z:" + file;
  for (char& c : windowsPath) {
    if (c == '/') c = '\\';
  }
  std::string output;
  HANDLE in = INVALID_HANDLE_VALUE;
  for (int waited = 0; waited < 30000 && in == INVALID_HANDLE_VALUE; waited += 50) {
    in = ::CreateFileA(windowsPath.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE,
                       nullptr, OPEN_EXISTING, 0, nullptr);
    if (in == INVALID_HANDLE_VALUE) ::Sleep(50);
  }
  if (in != INVALID_HANDLE_VALUE) {
    char buffer[512];
    DWORD n = 0;
    while (::ReadFile(in, buffer, sizeof(buffer), &n, nullptr) && n > 0) output.append(buffer, n);
    ::CloseHandle(in);
  }
  ::DeleteFileA(windowsPath.c_str());
  return output;
}

/// Under Wine only: the Unix pid of the bitbridge host that the Windows process `clientPid`
/// spawned, or 0 if there is not exactly one. A Wine process's /proc/<pid>/cmdline is its
/// Windows command line, where Host::spawn put "--parent <client pid>" (the pattern spells the
/// digits as [0-9] so that the shell running it, whose command line holds the pattern, does not
/// match itself); Windows pids are unique within one wineserver, and the WINEPREFIX in its
/// environment says whose that is.
inline int unixPidOfHost(uint32_t clientPid) {
  std::string script =
      "for d in /proc/[0-9]*; do "
      "c=$(tr '\\000' ' ' 2>/dev/null < $d/cmdline)' '; "
      "case $c in *bitbridge-host[0-9][0-9].exe' --channel '*' --parent " +
      std::to_string(clientPid) + " '*) ;; *) continue;; esac; "
      "tr '\\000' '\\n' 2>/dev/null < $d/environ | grep -qxF WINEPREFIX=$WINEPREFIX || continue; "
      "echo ${d#/proc/}; done";
  std::string out = runUnixCommand(script);
  int pid = 0, found = 0;
  for (size_t start = 0; start < out.size();) {
    size_t end = out.find('\n', start);
    std::string line = out.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) {
      pid = std::atoi(line.c_str());
      ++found;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return found == 1 ? pid : 0;
}

}  // namespace bitbridge::test
