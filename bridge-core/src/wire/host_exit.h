// How a host process ends, as its client reads it: the exit codes of bitbridge-host32/64 and
// the line a Windows host writes when it exits by itself.
//
// Both sides of the contract use these names: the host returns them from main() (or _exit()s
// with them while detaching), the client turns them into errors (client/shared_client-posix.cpp,
// common/process/child_process-*.cpp). Codes are plain process exit codes (0..255 on POSIX).
#pragma once

namespace bitbridge {

enum class HostExit : int {
  Ok = 0,               ///< the client disconnected or asked the host to shut down
  Failed = 1,           ///< an unexpected error; the host logged it as critical
  HandshakeFailed = 2,  ///< the hello (or the shared-memory set-up) failed or timed out
  CannotStart = 3,      ///< a shared host could not become ready (endpoint, log, platform)
  PeerAborted = 4,      ///< the client broke a message limit; the host logged which
  Usage = 64,           ///< bad command line (EX_USAGE): a client of another version, or a user
};

/// The process exit code for `exit`.
constexpr int exitCode(HostExit exit) { return static_cast<int>(exit); }

/// True for the codes that mean "this host cannot run as asked" (the configuration, not a
/// crash): a client reports them as bad-configuration rather than as a failed host.
constexpr bool isConfigurationExit(int code) {
  return code == exitCode(HostExit::CannotStart) || code == exitCode(HostExit::Usage);
}

/// The line a host writes on its way out when it exits by itself (Windows only; see
/// common/process/exit_announcement.h for why).
inline constexpr char kExitAnnouncement[] = "[bitbridge] host exits by itself";

}  // namespace bitbridge
