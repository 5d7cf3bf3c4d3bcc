// bitbridge-winbench64 / bitbridge-winbench32: the Windows cases of the benchmark, run under Wine
// (docs/performance.md, "Windows under Wine"). Each bitbridge call is measured against two
// baselines in the same run, across the same bitness pair:
//   - a raw named-pipe round trip to bitbridge-pipe-echo.exe of the other bitness (blocking
//     ReadFile/WriteFile, a small call's size each way): the floor of any pipe transport;
//   - an out-of-process COM IDispatch::Invoke (the hosts' own LocalServer object, property get
//     "Endpoint"): what Windows itself offers for crossing bitness.
// and spawn-to-first-reply against spawning the echo peer and getting its first reply. The
// bitbridge call is measured over both transports, the private pipe and the shared-memory rings
// (Transport::SharedMemory), in the same run.
//
// Thread and process assumptions: cases run one after another on the main thread; each one
// starts and stops its own peer processes (echo peer, host, COM server) and leaves none behind.
// The 64-bit binary is the driver; cases whose client must be 32-bit run in
// bin/x86/bitbridge-winbench32.exe (--no-delegate, JSON through a temporary file).
#pragma once

#include <windows.h>

#include <string>
#include <vector>

#include <bitbridge/arch.h>
#include <bitbridge/host.h>

#include "../harness.h"

namespace bitbridge::bench::win {

/// Stage paths of the other programs, from compile definitions (a build's stage; the Windows
/// bench is not installed, like the Linux one).
std::string echoPeerExecutable(Arch arch);
std::string benchComponent(Arch arch);
std::string bindBenchLibrary(Arch arch);
std::string hostExecutable(Arch arch);
std::string winbenchExecutable(Arch arch);

/// `path` as a full Windows path ("Z:\work\..." for "/work/..."): what CreateProcess and COM's
/// LocalServer32 need regardless of the current drive.
std::string windowsPath(const std::string& path);
std::wstring widen(const std::string& text);
std::string narrow(const std::wstring& text);

/// A started child process, terminated (if still running) and closed when this goes.
class Child {
 public:
  Child() = default;
  /// Starts `executable` with `arguments` (already quoted as needed); throws on failure.
  /// `quiet`: its stdout goes to NUL (registration chatter), stderr stays ours.
  Child(const std::string& executable, const std::string& arguments, bool quiet = false);
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  ~Child();
  /// Waits up to `ms` for it to exit; returns its exit code, or -1 if it did not exit.
  int wait(DWORD ms);
  bool running() const;
  DWORD pid() const { return pid_; }
  HANDLE handle() const { return process_; }

 private:
  HANDLE process_ = nullptr;
  DWORD pid_ = 0;
};

/// Connects to the pipe `name` that `server` creates, retrying while it does not exist yet, for
/// up to 30 s and only while `server` runs. Synchronous (blocking) handle unless `overlapped`.
HANDLE connectToPeerPipe(const std::string& name, const Child& server, bool overlapped);

/// A fresh pipe name, unique per process and call.
std::string benchPipeName(const char* purpose);

/// Bytes each way of the raw pipe cases: about what a bitbridge null call puts on the pipe
/// (a Cap'n Proto Call is ~88 bytes with its segment table, its Return ~64; measured with
/// BITBRIDGE_PIPE_STATS, docs/performance.md).
constexpr DWORD kSmallMessageBytes = 80;

// --- the cases ---
CaseResult pipeRaw(const Settings& settings, Arch peer);
CaseResult pipeIocp(const Settings& settings, Arch peer);
CaseResult spawnEcho(const Settings& settings, Arch peer);
CaseResult comInvoke(const Settings& settings, Arch server);
CaseResult bitbridgeCall(const Settings& settings, Arch host, Transport transport);
CaseResult bitbridgeColdStart(const Settings& settings, Arch host);
/// bind_bench_lib's bb_add bound from its schema (Host::bind), by RPC or through the fast lane.
CaseResult boundAdd(const Settings& settings, Arch host, bool fastLane);

/// Every Windows case in run order.
const std::vector<Case>& windowsCases();

}  // namespace bitbridge::bench::win
