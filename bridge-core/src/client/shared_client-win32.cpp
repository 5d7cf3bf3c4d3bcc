// Shared hosts on Windows (Host::connectShared): the client's half. The endpoint is a named pipe
// per user, name and architecture (shared_pipe-win32.h); the start sequence is POSIX's
// (shared_client.h) with a named mutex for the flock:
//   1. take the start mutex (a client holds it until its hello is done; a host leaving on idle
//      takes it first, so no client connects to a host that is leaving);
//   2. open the pipe; if nobody serves it, start the host detached (no job of ours, output into
//      its log file) and poll for its pipe, watching the process: one that exits first failed;
//   3. check who serves the pipe: this user (token SID), a bitbridge host (its executable's
//      name), and the hello must come from that very process with the right architecture;
//   4. release the mutex.
// Thread/lifetime: runs on the Runtime's thread and blocks it (start-up only); the mutex is
// acquired and released on that thread, as Win32 mutexes require.
#include <windows.h>

#include <algorithm>
#include <thread>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "client/shared_client.h"
#include "common/logging.h"
#include "common/platform/text-win32.h"
#include "common/platform/user_identity-win32.h"
#include "common/process/child_process.h"
#include "common/process/detached_process-win32.h"
#include "common/transport/handshake.h"
#include "common/transport/named_pipe-win32.h"
#include "common/transport/shared_endpoint.h"
#include "common/transport/shared_pipe-win32.h"
#include "wire/host_exit.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

// How much of a shared host's log goes into an error message.
constexpr size_t kLogTailBytes = 16384;  // scanned; at most 12 lines are quoted
// A log larger than this is renamed to <endpoint>.1.log (replacing the previous one) before a
// host is started on it. Renaming is done here, under the start mutex with no host running,
// because Windows cannot rename a file a running host has open as its stdout.
constexpr LONGLONG kLogRotateBytes = LONGLONG{1} << 20;

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

std::string fileName(const std::string& path) {
  auto slash = path.find_last_of("\\/");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string logTail(const std::string& log) {
  std::string tail = trimLogTailForError(readFileTail(log, kLogTailBytes));
  return tail.empty() ? std::string() : "; last lines of " + log + ":\n" + tail;
}

// The host's log, opened for appending (every write lands at the end, whoever else appends),
// shared so that clients read it while the host writes it.
UniqueHandle openLogForAppend(const std::string& log) {
  std::wstring path = widen(log);
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (::GetFileAttributesExW(path.c_str(), GetFileExInfoStandard, &data) &&
      ((LONGLONG{data.nFileSizeHigh} << 32) | data.nFileSizeLow) > kLogRotateBytes) {
    std::wstring previous = path.substr(0, path.size() - 4) + L".1.log";  // "<endpoint>.1.log"
    ::MoveFileExW(path.c_str(), previous.c_str(), MOVEFILE_REPLACE_EXISTING);  // best effort
  }
  HANDLE file = ::CreateFileW(path.c_str(), FILE_APPEND_DATA | SYNCHRONIZE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot open the shared host's log " + log + ": " + lastWin32ErrorText(),
                "check that LOCALAPPDATA names a writable directory of this user");
  }
  return UniqueHandle(file);
}

// Starts `bitbridge-hostNN.exe --shared <name>` detached and waits until it serves its pipe.
// Called with the start mutex held and no host serving the pipe.
UniqueHandle startSharedHost(Runtime& runtime, const SharedHostRequest& request,
                             const SharedPipeEndpoint& endpoint, Clock::time_point deadline) {
  std::vector<std::string> arguments = {host_flags::kShared, request.name,
                                        host_flags::kIdleTimeout,
                                        std::to_string(request.idleTimeout.count())};
  arguments.insert(arguments.end(), request.limitArguments.begin(), request.limitArguments.end());
  DetachedProcess host = [&] {
    UniqueHandle log = openLogForAppend(endpoint.log);
    return startDetachedProcess(request.executable, arguments, log.get());
  }();  // our copy of the log handle is closed here; the host has its own
  std::string what = hostExecutableName(request.arch) + " --shared " + request.name + " (pid " +
                     std::to_string(host.pid) + ")";
  runtime.logger()->debug("started {}; its log is {}", what, endpoint.log);
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    // A process exiting before its pipe exists failed; what it said is in its log.
    if (::WaitForSingleObject(host.process.get(), 0) == WAIT_OBJECT_0) {
      DWORD code = 0;
      ::GetExitCodeProcess(host.process.get(), &code);
      ExitStatus status;
      status.code = static_cast<int>(code);
      bool configuration = isConfigurationExit(status.code);
      throw Error(configuration ? ErrorKind::BadConfiguration : ErrorKind::Disconnected,
                  what + " " + status.describe(" before it was listening") +
                      logTail(endpoint.log),
                  configuration ? "see the host's log " + endpoint.log : "");
    }
    if (auto pipe = openSharedPipe(endpoint.pipe, remaining(deadline))) return std::move(*pipe);
    if (Clock::now() >= deadline) {
      ::TerminateProcess(host.process.get(), 1);  // ours, and serving nobody yet
      throw Error(ErrorKind::TimedOut,
                  what + " was not listening on " + endpoint.pipe + " within " +
                      std::to_string(request.startTimeout.count()) + " ms" + logTail(endpoint.log),
                  "the machine may be overloaded (under Wine a first start can take seconds); "
                  "raise HostOptions::startTimeout");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(5));
  }
}

}  // namespace

SharedHostConnection connectSharedHost(Runtime& runtime, const SharedHostRequest& request) {
  requireValidSharedName(request.name);
  auto deadline = Clock::now() + request.startTimeout;
  std::string hostName = hostExecutableName(request.arch);
  SharedPipeEndpoint endpoint =
      sharedPipeEndpoint(sharedEndpointName(request.name, request.arch));

  StartMutex lock = StartMutex::acquire(endpoint.startMutex, request.startTimeout);
  std::optional<UniqueHandle> pipe = openSharedPipe(endpoint.pipe, remaining(deadline));
  if (!pipe) pipe = startSharedHost(runtime, request, endpoint, deadline);

  // Who serves the pipe: refused unless it is a host of ours, of this user. A process that took
  // the name first (it cannot have, if it is another user's: the host's first instance would
  // have been refused, and our DACL keeps it from adding instances) is named with its pid.
  uint32_t serverPid = pipeServerProcessId(pipe->get());
  std::string sidProblem;
  std::optional<std::string> serverSid =
      serverPid != 0 ? processUserSid(serverPid, &sidProblem) : std::nullopt;
  std::string expected = fileName(request.executable);
  if (auto reason = sharedServerRefusal(serverPid, serverSid, currentUserSid(),
                                        processImagePath(serverPid), expected, sidProblem)) {
    throw Error(ErrorKind::BadConfiguration,
                "refusing the shared host pipe " + endpoint.pipe + ": " + *reason +
                    "; another program has taken the name of the shared host '" + request.name +
                    "'",
                "end process " + std::to_string(serverPid) +
                    " if it should not serve that pipe, or use another HostOptions::sharedName");
  }

  SharedHostConnection connection;
  connection.pid = serverPid;
  connection.logPath = endpoint.log;
  connection.label = "shared " + hostName + " '" + request.name + "' (pid " +
                     std::to_string(serverPid) + ")";
  connection.stream = wrapPipe(runtime.io().win32EventPort, std::move(*pipe), nullptr, PipeWrites::PerLoopTurn);
  try {
    auto timeout = remaining(deadline).count() * kj::MILLISECONDS;
    WireHello hello = exchangeHello(*connection.stream, runtime.io().provider->getTimer(),
                                    HelloRole::Client, connection.label, timeout)
                          .wait(runtime.waitScope());
    if (hello.pid != serverPid || hello.arch != static_cast<uint8_t>(request.arch)) {
      throw Error(ErrorKind::MalformedPeer,
                  connection.label + " answered as pid " + std::to_string(hello.pid) +
                      ", arch " + std::to_string(hello.arch) +
                      ": not the process serving " + endpoint.pipe);
    }
  } catch (const kj::Exception& e) {
    throw fromKjException(e, connection.label + logTail(endpoint.log));
  }
  runtime.logger()->debug("connected to {}", connection.label);
  return connection;  // the start mutex is released here, after the hello
}

}  // namespace bitbridge
