// Windows parts of the host's main(): no error dialogs and a crash that ends the process at
// once with its exception code (which the client reports), COM registration and COM start-up
// (com_server-win32.cpp), and the --shared mode, which Windows does not have yet.
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <spdlog/logger.h>

#include "common/logging.h"
#include "host/executable/com_server-win32.h"
#include "host/executable/host_platform.h"
#include "wire/host_exit.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

// An unhandled exception (a crash in the legacy DLL) must not open a Windows Error Reporting
// dialog or, under Wine, start winedbg: say what happened on stderr, which the client forwards
// to its log, and end with the exception code as exit status ("crashed with exception 0x...").
// Written with WriteFile on the standard error handle, not stdio: no C runtime lock is taken in
// a crashed process, and a COM host's stderr is its log pipe (com_host_log-win32.h), which
// msvcrt's stderr FILE may not know about.
LONG WINAPI reportCrash(EXCEPTION_POINTERS* info) {
  const EXCEPTION_RECORD* record = info->ExceptionRecord;
  char line[128];
  int size = std::snprintf(line, sizeof(line), "critical|crashed: unhandled exception 0x%08lX at %p\n",
                           static_cast<unsigned long>(record->ExceptionCode),
                           record->ExceptionAddress);
  HANDLE err = ::GetStdHandle(STD_ERROR_HANDLE);
  DWORD written = 0;
  if (size > 0 && err != nullptr && err != INVALID_HANDLE_VALUE) {
    ::WriteFile(err, line, static_cast<DWORD>(std::min<int>(size, sizeof(line) - 1)), &written,
                nullptr);
  }
  ::TerminateProcess(::GetCurrentProcess(), record->ExceptionCode);
  return EXCEPTION_EXECUTE_HANDLER;
}

bool is(const char* argument, const char* option) {
  // COM passes "-Embedding" or "/Embedding"; accept either prefix for our options too.
  return (argument[0] == '-' || argument[0] == '/') &&
         (_stricmp(argument + 1, option) == 0 ||
          (argument[1] == '-' && _stricmp(argument + 2, option) == 0));
}

}  // namespace

void preparePlatform() {
  ::SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
  ::SetUnhandledExceptionFilter(&reportCrash);
}

std::optional<int> runPlatformCommand(int argc, char** argv) {
  bool registration = false, unregistration = false, perUser = false, embedding = false;
  for (int i = 1; i < argc; ++i) {
    if (is(argv[i], host_flags::kRegServer)) {
      registration = true;
    } else if (is(argv[i], host_flags::kUnregServer)) {
      unregistration = true;
    } else if (is(argv[i], host_flags::kPerUser)) {
      perUser = true;
    } else if (is(argv[i], host_flags::kEmbedding)) {
      embedding = true;
    } else if (registration || unregistration || embedding) {
      std::fprintf(stderr, "%s: unexpected argument '%s' (usage: --regserver | --unregserver "
                           "[--per-user], or -Embedding from COM)\n", argv[0], argv[i]);
      return exitCode(HostExit::Usage);
    }
  }
  if (registration && unregistration) {
    std::fprintf(stderr, "%s: --regserver and --unregserver exclude each other\n", argv[0]);
    return exitCode(HostExit::Usage);
  }
  if (registration || unregistration) return registerComServer(perUser, unregistration);
  if (embedding) {
    preparePlatform();
    return runComServer();  // its own logger: the log goes to the client's log pipe
  }
  return std::nullopt;
}

int serveShared(const std::string& name, SharedHostConfig,
                const std::shared_ptr<spdlog::logger>& logger) {
  logger->critical("shared hosts ('{}') are not available on Windows yet; use private hosts "
                   "(Host::spawn) or COM activation (Host::activateCom)", name);
  return exitCode(HostExit::CannotStart);
}

}  // namespace bitbridge
