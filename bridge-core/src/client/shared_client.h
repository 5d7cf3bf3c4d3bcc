// Client side of a shared host: find it by name, or start it, and complete the hello.
//
// The start sequence never races: the client holds the endpoint's start lock while it looks
// for a running host, starts one if there is none (and waits until it listens), connects and
// exchanges hellos; only then does it release the lock. A host exits on idle only under the
// same lock, after checking that no client is waiting, so a client never connects to a host
// that is leaving, and two clients never start two hosts.
// Thread/lifetime: runs on the Runtime's thread; blocks it (start-up only).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <kj/async-io.h>

#include "bitbridge/arch.h"
#include "bitbridge/host.h"

namespace bitbridge {

struct SharedHostRequest {
  std::string name;        ///< the shared name every client of that host uses
  Arch arch = currentArch();
  std::string executable;  ///< the host for `arch` (host_selection.h)
  std::chrono::milliseconds idleTimeout{5000};   ///< for a host this call starts
  std::chrono::milliseconds startTimeout{10000}; ///< lock + start + connect + hello
  /// For a host this call starts: its limits (HostOptions, passed on its command line).
  std::vector<std::string> limitArguments;
};

struct SharedHostConnection {
  kj::Own<kj::AsyncIoStream> stream;  ///< hello exchanged; RPC comes next
  uint32_t pid = 0;                   ///< the host's pid (SO_PEERCRED, equal to its hello's)
  std::string label;                  ///< "shared bitbridge-host32 'counter' (pid 123)"
  std::string logPath;                ///< the host's stdout/stderr
};

/// Connects to the shared host `request.name` for `request.arch`, starting it if none runs.
/// Throws Error: BadConfiguration (name, runtime directory, a host that failed to set up its
/// endpoint, a socket served by another user), TimedOut (start lock, start, hello), Disconnected
/// (the host failed or closed during start-up; with its output), MalformedPeer (hello pid or
/// architecture not those of the process listening), Overloaded (backlog full).
SharedHostConnection connectSharedHost(Runtime& runtime, const SharedHostRequest& request);

}  // namespace bitbridge
