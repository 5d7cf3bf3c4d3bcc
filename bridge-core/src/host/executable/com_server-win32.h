// The host as a COM LocalServer (Windows only; com_server-win32.cpp). Called from
// host_platform-win32.cpp's runPlatformCommand, on the main thread, instead of main()'s usual
// parsing:
//
//   bitbridge-host32.exe --regserver [--per-user]     register this .exe for its bitness's class
//   bitbridge-host32.exe --unregserver [--per-user]   remove that registration
//   bitbridge-host32.exe -Embedding                   how COM starts it (also /Embedding)
//
// Activation model: REGCLS_SINGLEUSE, so every CoCreateInstance starts a host process of its
// own, private to the activating client like a spawned host. The object COM hands out is only a
// rendezvous: its "Endpoint" property names a private named pipe (named_pipe-win32.h) that the client
// connects to, and from then on the pipe is the host's lifetime, exactly as for Host::spawn.
#pragma once

#include <memory>

namespace spdlog {
class logger;
}

namespace bitbridge {

/// Writes (or with `unregister`, deletes) the COM registration of this executable under
/// HKLM\Software\Classes, or HKCU\Software\Classes with `perUser`: the CLSID of its bitness
/// (com_ids.h) with LocalServer32 = this .exe, and the ProgID. Always in the 64-bit registry view,
/// so that a 32-bit host's registration is seen by 64-bit clients too. Prints what it did to
/// stdout, problems (with the fix) to stderr. Returns the exit status: 0 done (removing a
/// registration that is not there counts as done), 1 failed.
int registerComServer(bool perUser, bool unregister);

/// The -Embedding mode: registers a single-use class factory, hands the first activation the
/// endpoint of fresh private pipes (RPC, log, heartbeat: com_ids.h), waits up to 30 s for that
/// client to connect, makes the log pipe its stderr (com_host_log-win32.h), then serves it with
/// runHost, heartbeat included, until it disconnects (or its process dies: the watchdog watches
/// the client's pid). Returns runHost's exit status, or 1 when COM set-up failed or nobody
/// connected in time.
int runComServer();

}  // namespace bitbridge
