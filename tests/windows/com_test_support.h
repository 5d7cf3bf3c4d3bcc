// Helpers of the COM suites (tests/windows/com_*_test.cpp, header-only): paths as the host COM
// starts must see them, the hosts' registration in the Wine prefix's HKLM, and a logger that keeps
// what the client library logs. Every suite that registers undoes it after its last test
// (registerBothHosts / unregisterBothHosts), and its tests hold the bitbridge_com_registry lock.
#pragma once

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "bitbridge/arch.h"
#include "support/start_process-win32.h"
#include "wire/com_ids.h"

#ifndef HOST_EXE_X86
#error "HOST_EXE_X86 and HOST_EXE_X86_64 must name the staged bitbridge-host32.exe and -host64.exe"
#endif

namespace bitbridge::test {

// The first activation in a fresh wineserver takes seconds; each later one about one.
inline constexpr std::chrono::milliseconds kStartTimeout{30000};

inline std::wstring widePath(const std::string& path) {
  int size = ::MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, nullptr, 0);
  std::wstring wide(static_cast<size_t>(size), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, &wide[0], size);
  wide.resize(wide.size() - 1);
  return wide;
}

inline std::string utf8(const std::wstring& wide) {
  int size = ::WideCharToMultiByte(CP_UTF8, 0, wide.c_str(), -1, nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(size), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide.c_str(), -1, &out[0], size, nullptr, nullptr);
  out.resize(out.size() - 1);
  return out;
}

// A full Windows path ("Z:\work\...") for a path the build wrote in Unix form ("/work/..."): the
// host COM starts need not share this process's current drive, so a drive-relative path could
// name another file there.
inline std::string windowsPath(const std::string& path) {
  std::wstring full(MAX_PATH * 2, L'\0');
  DWORD length = ::GetFullPathNameW(widePath(path).c_str(), static_cast<DWORD>(full.size()),
                                    &full[0], nullptr);
  EXPECT_GT(length, 0u) << path;
  full.resize(length);
  return utf8(full);
}

inline std::string hostExecutable(Arch arch) {
  return windowsPath(arch == Arch::x86 ? HOST_EXE_X86 : HOST_EXE_X86_64);
}

// Runs `host` with `arguments` and returns its exit code (-1 if it could not run or hung).
inline int runHostCommand(Arch arch, const std::string& arguments) {
  std::wstring command = L"\"" + widePath(hostExecutable(arch)) + L"\" " + widePath(arguments);
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION process{};
  if (!test::startProcess(nullptr, &command[0], FALSE, 0, &startup, &process)) {
    ADD_FAILURE() << "cannot start " << hostExecutable(arch) << ": error " << ::GetLastError();
    return -1;
  }
  DWORD code = static_cast<DWORD>(-1);
  if (::WaitForSingleObject(process.hProcess, 30000) == WAIT_OBJECT_0) {
    ::GetExitCodeProcess(process.hProcess, &code);
  } else {
    ::TerminateProcess(process.hProcess, 1);
  }
  ::CloseHandle(process.hThread);
  ::CloseHandle(process.hProcess);
  return static_cast<int>(code);
}

// LocalServer32 of `arch`'s class as registered in HKLM (64-bit view); "" when absent.
inline std::string registeredServer(Arch arch) {
  std::wstring key =
      std::wstring(L"Software\\Classes\\CLSID\\") + comHostIds(arch).clsidText + L"\\LocalServer32";
  HKEY handle = nullptr;
  if (::RegOpenKeyExW(HKEY_LOCAL_MACHINE, key.c_str(), 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY,
                      &handle) != ERROR_SUCCESS) {
    return {};
  }
  wchar_t value[1024] = {};
  DWORD bytes = sizeof(value) - sizeof(wchar_t);
  LSTATUS status =
      ::RegQueryValueExW(handle, nullptr, nullptr, nullptr, reinterpret_cast<BYTE*>(value), &bytes);
  ::RegCloseKey(handle);
  return status == ERROR_SUCCESS ? utf8(value) : std::string();
}

/// Registers both hosts (--regserver) in the prefix's HKLM: a suite's SetUpTestSuite.
inline void registerBothHosts() {
  for (Arch arch : {Arch::x86, Arch::x86_64}) {
    ASSERT_EQ(runHostCommand(arch, "--regserver"), 0) << hostExecutable(arch);
  }
}

/// Removes both registrations (--unregserver; nothing registered is fine): TearDownTestSuite.
inline void unregisterBothHosts() {
  for (Arch arch : {Arch::x86, Arch::x86_64}) {
    EXPECT_EQ(runHostCommand(arch, "--unregserver"), 0) << hostExecutable(arch);
  }
}

/// A logger for RuntimeOptions that keeps every line (all levels) for the test to read.
struct KeptLog {
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  std::shared_ptr<spdlog::logger> logger = [this] {
    auto made = std::make_shared<spdlog::logger>("test", sink);
    made->set_level(spdlog::level::trace);
    made->set_pattern("%l %v");
    return made;
  }();

  /// Everything logged so far, one line each.
  std::string text() const {
    std::string all;
    for (const auto& line : sink->last_formatted()) all += line;
    return all;
  }
};

}  // namespace bitbridge::test
