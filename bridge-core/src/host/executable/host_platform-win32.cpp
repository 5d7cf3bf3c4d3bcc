// Windows parts of the host's main(): no error dialogs and a crash that ends the process at
// once with its exception code (which the client reports), COM registration and COM start-up
// (com_server-win32.cpp), and the --shared mode (a host serving a per-user named pipe, started
// detached by its first client with its stdout and stderr in its log file; see
// shared_host-win32.h).
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <spdlog/logger.h>

#include <kj/async-io.h>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"
#include "common/logging.h"
#include "common/transport/shared_endpoint.h"
#include "common/transport/shared_pipe-win32.h"
#include "host/executable/com_server-win32.h"
#include "host/executable/host_platform.h"
#include "host/shared_host-win32.h"
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

int serveShared(const std::string& name, SharedHostConfig config,
                const std::shared_ptr<spdlog::logger>& logger) {
  // The starting client made our stdout and stderr its log file (shared_client-win32.cpp):
  // lines there are read by people and quoted in clients' errors, so they carry time and pid.
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [pid %P] [%l] %v");
  logger->flush_on(spdlog::level::trace);  // a crash must not lose the last lines
  std::string endpoint;
  SharedPipeEndpoint pipe;
  UniqueHandle firstInstance;
  try {
    endpoint = sharedEndpointName(name, currentArch());
    pipe = sharedPipeEndpoint(endpoint);
    // FILE_FLAG_FIRST_PIPE_INSTANCE: refused if anybody (a host of that name, a squatter) has
    // the name already; the starting client then reports exit status 3 with this log line.
    firstInstance = createSharedPipeInstance(pipe.pipe, /*first=*/true);
  } catch (const Error& e) {
    logger->critical("{}", e.what());
    return exitCode(HostExit::CannotStart);
  }
  logger->info("{} shared host {} started, {}-bit", archName(currentArch()), endpoint,
               sizeof(void*) * 8);
  auto io = kj::setupAsyncIo();
  config.endpoint = endpoint;
  return runSharedPipeHost(io, std::move(firstInstance), pipe, config, logger);
}

}  // namespace bitbridge
