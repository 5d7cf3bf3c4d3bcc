// The per-platform parts of the host's main(): host_platform-posix.cpp, host_platform-win32.cpp.
// Called from main() on the main thread, before (preparePlatform, runPlatformCommand) or instead
// of (serveShared) serving a private channel.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "host/shared_host.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

/// Process-wide set-up before serving. POSIX: SIGPIPE ignored (a client that vanishes mid-write
/// must show up as EPIPE, not kill the host silently). Windows: no error dialog boxes (a missing
/// DLL must become an error message, not a window nobody sees).
void preparePlatform();

/// Command lines only one platform has. Windows: `--regserver` / `--unregserver` (COM
/// registration, `--per-user` for HKCU) and `-Embedding` (started by COM). Returns the exit
/// status when `argv` was one of them, nothing otherwise (then main() parses it as usual).
std::optional<int> runPlatformCommand(int argc, char** argv);

/// The --shared mode: endpoint, detach from the starting client, serve until idle. `config`
/// carries the timeouts and limits (its endpoint and paths are filled in here). Returns the
/// exit status (3: the endpoint could not be set up).
int serveShared(const std::string& name, SharedHostConfig config,
                const std::shared_ptr<spdlog::logger>& logger);

}  // namespace bitbridge
