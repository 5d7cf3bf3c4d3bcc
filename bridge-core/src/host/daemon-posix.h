// Detaching a shared host from the client that started it.
//
// Why: a shared host must outlive the client that happened to start it, must not be that
// client's child (no zombie when it exits, no kill when the client's ChildProcess is destroyed,
// not in its process group or session), and must not keep the client's output pipe open (the
// client waits for that pipe's EOF when it reaps its child).
// Thread assumption: called by a single-threaded process (before any event loop exists): it
// forks, and only the calling thread survives a fork.
#pragma once

#include <functional>
#include <string>

namespace bitbridge {

/// Forks. The calling process (the "intermediate", the starting client's child) never returns:
/// it waits for the child and exits 0 once the child reports ready, or with the child's exit
/// status (1 if it has none) if the child fails first.
///
/// The child starts a new session (setsid), moves to "/", reads stdin from /dev/null, then
/// calls `becomeReady` while stdout/stderr still reach the starting client (so an error it
/// logs shows up in the client's error message). If that returns false the child exits 3.
/// Otherwise stdout and stderr are appended to `logPath` (created 0600; never emptied: the
/// caller rotates it by size), readiness is reported, and daemonize returns in the child.
/// Throws Error{BadConfiguration} if the fork or the pipe cannot be made (before forking).
void daemonize(const std::string& logPath, const std::function<bool()>& becomeReady);

}  // namespace bitbridge
