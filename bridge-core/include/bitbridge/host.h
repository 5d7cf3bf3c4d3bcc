// The client API: start a host of the right bitness, load components into it, activate
// classes and call them.
//
//   bitbridge::Runtime runtime;                                   // once per thread, in main
//   bitbridge::HostOptions options;
//   options.component = "libcalc_component.so";                   // a 32-bit component...
//   auto host = bitbridge::Host::spawn(runtime, options);         // ...so bitbridge-host32
//   Calc::Client calc = host.activate<Calc>("legacy-calc");
//   auto sum = host.wait(calc.addRequest(...).send());            // errors -> bitbridge::Error
//
// Threading: a Runtime and every Host made from it belong to the thread that created the
// Runtime (Cap'n Proto's event loop is per thread). Lifetime: a Host must not outlive its
// Runtime; capabilities obtained from a Host must not outlive the Host.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <capnp/capability.h>
#include "bitbridge/detail/capnp_schema.h"
#include <kj/async-io.h>

#include "bitbridge/arch.h"
#include "bitbridge/bulk.h"
#include "bitbridge/com.h"
#include "bitbridge/error.h"
#include "bitbridge/export.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

struct RuntimeOptions {
  /// Logger for bitbridge and for the hosts' forwarded log lines. Default: a logger named
  /// "bitbridge" on stderr, level from $BITBRIDGE_LOG (trace|debug|info|warn|error|off;
  /// default warn).
  std::shared_ptr<spdlog::logger> logger;
};

/// Owns this thread's Cap'n Proto event loop and the logger. Create one in main (or per
/// thread that talks to hosts) and pass it to Host::spawn.
class BITBRIDGE_API Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  kj::WaitScope& waitScope();
  kj::AsyncIoContext& io();
  const std::shared_ptr<spdlog::logger>& logger() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ComponentInfo {
  std::string path;
  std::vector<std::string> classes;
};

/// What a host reports about itself (Host.info on the wire).
struct HostInfo {
  uint32_t pid = 0;
  unsigned pointerBits = 0;
  Arch arch = Arch::x86_64;
  std::string os;
  std::string version;
  std::vector<ComponentInfo> components;
  /// What the RPC channel runs on, as the host sees it: "socket" or "shm".
  std::string transport;
  /// A shared host (Host::connectShared): every client that activates a class gets the host's
  /// one instance of it.
  bool shared = false;
};

/// What carries the RPC messages between a client and its host.
enum class Transport : uint8_t {
  /// The private AF_UNIX socketpair: every message is a system call and a wake-up.
  Socket,
  /// Two rings in a private shared-memory segment, with spin-then-sleep waiting; the socket
  /// stays open beside it for set-up and to notice the host's death. Lowest latency for
  /// back-to-back calls, at the cost of a little CPU spent polling after each message.
  SharedMemory,
};

/// "socket" / "shm": the name used in HostInfo::transport and on the host's command line.
BITBRIDGE_API const char* transportName(Transport transport);

class Host;
class HostProcess;  // internal: one kind of host (bridge-core/src/client/host_process.h)

/// What happens after a host dies (crash, kill, watchdog). Whatever the policy, a call that was
/// in flight fails (Disconnected, or TimedOut for a watchdog kill) and is never re-sent: the
/// host may have half-done it.
enum class RestartPolicy : uint8_t {
  /// The Host stays dead; every later operation fails with Disconnected.
  Never,
  /// The next operation on the Host (activate, load, info, allocate, wait, restart) starts a
  /// new host first. Cheapest when the client may not call again.
  OnNextCall,
  /// A new host is started as soon as the death is reported to the client (inside the wait
  /// that observed it), before that wait throws.
  Immediately,
};

/// How a private host is started (HostOptions::startOrder): spawned by this client from the host
/// executable it finds (Host::spawn's way), or activated through COM from the registered
/// LocalServer (`bitbridge-host32.exe --regserver`; Windows only). With two ways, the second is
/// tried only when the first could not start a host at all (no executable found, or not a host
/// of that architecture, or the system refused to start it, e.g. by policy; the COM class not
/// registered or not startable): a host that started and then failed (exited, timed out, spoke
/// something else) is reported as such, since the other way would start the same program. The
/// fallback is logged (warn) with the reason. When neither way works the Error names both
/// causes and both fixes.
enum class StartOrder : uint8_t {
  /// Spawn, then COM where COM exists (Windows); spawn only elsewhere (Linux). The default.
  Automatic,
  SpawnOnly,
  /// Windows only: refused with BadConfiguration elsewhere, before anything starts.
  ComOnly,
  /// Windows only (as ComOnly).
  SpawnThenCom,
  /// Windows only (as ComOnly).
  ComThenSpawn,
};

/// "automatic", "spawn only", "COM only", "spawn then COM", "COM then spawn".
BITBRIDGE_API const char* startOrderName(StartOrder order);

/// What an expired call deadline does to the host (HostOptions::onCallTimeout, or per wait).
enum class OnCallTimeout : uint8_t {
  /// Only the wait fails (TimedOut). The host keeps running the call, and calls sent to it
  /// afterwards queue behind it (a host runs one call at a time on its RPC thread unless the
  /// component offloads it): right when the call is slow but will finish.
  LeaveHostRunning,
  /// The host is treated as hung, as COM clients treat a server that stopped answering: it is
  /// killed, every call pending on it fails with TimedOut, and the restart policy applies.
  /// Private hosts only (a shared host serves other clients: BadConfiguration).
  KillHost,
};

struct HostOptions {
  /// Component library to load at start. Its header decides the host's bitness unless `arch`
  /// is given (then a mismatch is a WrongBitness error before anything is started).
  std::string component;
  /// Optional: the legacy library the component wraps. Its header is checked too, so a
  /// 64-bit vendor library next to a 32-bit component is reported by name. Without a
  /// `component`: the library you will bind (Host::bind), whose header then picks the host.
  std::string legacyLibrary;
  /// Host bitness. Default: from `component`'s header (else `legacyLibrary`'s), or this
  /// process's own if neither is given.
  std::optional<Arch> arch;
  /// Private hosts: spawn, COM activation, or one then the other (see StartOrder). Host::spawn
  /// follows it, and so do restarts; Host::activateCom is COM only (it accepts Automatic and
  /// ComOnly here and refuses the others). Transport::SharedMemory is spawn only: with it,
  /// Automatic means SpawnOnly and an order naming COM is refused.
  StartOrder startOrder = StartOrder::Automatic;
  /// Directory holding bitbridge-host32/-host64. Default: $BITBRIDGE_HOST_DIR, else the
  /// bin/ directory of the prefix libbitbridge-core was loaded from. Either override is the
  /// only place looked at.
  std::string hostDirectory;
  /// Spawn -> handshake complete and `component` loaded. A host that does not get there in
  /// time (a legacy library stuck in its initialisation, say) is killed: TimedOut.
  std::chrono::milliseconds startTimeout{10000};
  /// Default deadline for Host::wait() (a wait can override it); zero means none. It counts
  /// from the moment wait() is called. An expired deadline fails the wait with TimedOut and
  /// then does what `onCallTimeout` says.
  std::chrono::milliseconds callTimeout{0};
  /// What an expired call deadline does to the host: leave it running the call (default) or
  /// kill it as hung (see OnCallTimeout). A wait can override it.
  OnCallTimeout onCallTimeout = OnCallTimeout::LeaveHostRunning;

  /// Heartbeat: the client pings a watchdog thread in the host every `heartbeatInterval` while
  /// it waits on the host; no answer within `heartbeatTimeout` (host stopped or frozen) gets
  /// the host killed and its pending calls failed with TimedOut. Zero interval: no heartbeat.
  std::chrono::milliseconds heartbeatInterval{1000};
  std::chrono::milliseconds heartbeatTimeout{5000};
  /// A host whose RPC thread has been stuck in one call for this long (it still answers the
  /// heartbeat from its watchdog thread, reporting the stall) is killed the same way. Zero: no
  /// limit (legacy calls may legitimately take minutes; use callTimeout to stop waiting).
  std::chrono::milliseconds hangTimeout{0};

  /// Restart after a death (see RestartPolicy), at most `maxRestarts` times in any
  /// `restartWindow`, with back-off (0, 100, 200, 400 ... ms, capped at 2 s) between restarts.
  RestartPolicy restart = RestartPolicy::Never;
  unsigned maxRestarts = 3;
  std::chrono::milliseconds restartWindow{60000};
  /// Called after each restart, once the components loaded before are loaded again, so the
  /// client can rebuild its component state (activate again, replay settings). Capabilities
  /// and bulk buffers from the dead host stay broken: replace them here.
  std::function<void(Host&)> onRestart;
  /// What carries the RPC messages (see Transport). Default: the socket.
  Transport transport = Transport::Socket;
  /// COM objects (bitbridge/com.h): how long the object's apartment in the host waits for this
  /// client to answer one event (ComObject::advise) or one call on an object of the client
  /// (ComVariant::clientObject) before the COM caller gets RPC_E_TIMEOUT; zero means no limit.
  /// The apartment serves nothing else while it waits.
  std::chrono::milliseconds comAnswerTimeout{30000};
  /// Fast lane for bound libraries (Host::bind): calls to their functions that need no
  /// capability (no callback parameter, no Bulk.BulkRef, not $calls(host)) go through a call
  /// slot in shared memory that a thread of the host waits on, instead of Cap'n Proto RPC: a
  /// few microseconds per call instead of tens. Nothing else changes: the same typed Client,
  /// host.wait(), deadlines, hang and death rules, the library's threading rule, and calls
  /// stay in the order they were sent; other calls keep using RPC. Costs each side one thread
  /// and, after each call, up to 50 us of spinning for the next answer or call (then they
  /// sleep). Private hosts (Host::spawn) on Linux; elsewhere (connectShared, activateCom,
  /// Windows) it is refused (BadConfiguration / Unimplemented). See docs/reference.md.
  bool fastLane = false;
  /// Size of each of the fast lane's two areas (parameters, results), 4 KiB..64 MiB, a multiple
  /// of 8. A call whose params do not fit goes by RPC; results that do not fit fail the call
  /// (Overloaded) after it was made.
  uint32_t fastLaneAreaBytes = 256u << 10;
  /// Shared hosts only (Host::connectShared): the name every client of one shared host uses,
  /// 1..64 characters of [A-Za-z0-9._-]. A 32-bit and a 64-bit host of the same name are two
  /// hosts (the endpoint includes the architecture).
  std::string sharedName;
  /// Shared hosts only: how long a shared host started by this client stays up with no client
  /// at all. A host already running keeps the value it was started with.
  std::chrono::milliseconds idleTimeout{5000};

  // Limits of one connection, so that no client can take a host down, fill it up or hold it
  // (docs/security.md). The first three apply to private and shared hosts; the shared* ones to
  // shared hosts. A shared host keeps the values of the client that started it.

  /// Largest Cap'n Proto message a host accepts; a larger one is refused from its 8-byte frame
  /// header, before anything is buffered, and the connection is closed (MalformedPeer). Bulk
  /// data belongs in Host::allocate buffers, not in messages.
  uint64_t maxMessageBytes = uint64_t{64} << 20;
  /// Answers queued in the host for one connection beyond which the host stops reading that
  /// connection's calls until it reads its answers (a client that never reads is slowed, and
  /// costs the host at most about this much).
  uint64_t maxQueuedBytes = uint64_t{8} << 20;
  /// Call messages of one connection still running in the host beyond which its further
  /// messages are not read until some return (Cap'n Proto's RpcSystem::setFlowLimit).
  uint64_t maxCallBytesInFlight = uint64_t{8} << 20;
  /// Shared hosts: connections served at once; one more is refused with Overloaded naming
  /// this option.
  uint32_t sharedMaxConnections = 128;
  /// Shared hosts: connections of one client process (by its pid, SO_PEERCRED) at once.
  uint32_t sharedMaxConnectionsPerClient = 16;
  /// Shared hosts: time from connect to a complete hello, and again from the hello to the
  /// client's first request (every bitbridge client sends its bootstrap at once). A connection
  /// that misses either is closed. After its first request a connection may stay idle as long
  /// as it likes: it holds the host's objects.
  std::chrono::milliseconds sharedHelloTimeout{5000};
  /// Shared hosts: a message begun must be complete, and an answer being written must be taken
  /// by the client, within this time; otherwise the connection is dropped (logged).
  std::chrono::milliseconds sharedStallTimeout{10000};
};

/// A running host process and the RPC connection to it: either private to this client
/// (spawn) or shared by many clients (connectShared). Move-only. Destroying a private Host
/// without shutdown() closes the channel and kills the process; destroying a shared one only
/// closes this client's connection.
class BITBRIDGE_API Host {
 public:
  /// Starts a private host and completes the handshake (throws Error: NotFound, WrongBitness,
  /// BadConfiguration, TimedOut, Disconnected with the host's exit status and log tail). How
  /// it is started is HostOptions::startOrder: by default spawned, and on Windows activated
  /// through COM when the host executable cannot be found or started but the class of that
  /// architecture is registered.
  static Host spawn(Runtime& runtime, HostOptions options = {});

  /// Connects to the shared host named `options.sharedName` for the component's architecture
  /// (picked as spawn does), starting it if none runs, then loads `options.component` (a no-op
  /// if the host has it already). A shared host serves every client of this user, 32- and
  /// 64-bit alike; activate() returns its one instance of each class; it is not this client's
  /// child, survives it, and exits once it has had no client for its idle timeout. pid() is the
  /// shared host's; shutdown() only disconnects. Transport::SharedMemory is not offered.
  /// Throws Error as spawn does, plus BadConfiguration for a bad name or runtime directory.
  static Host connectShared(Runtime& runtime, HostOptions options);

  /// Windows only: asks COM for the host of the component's architecture (picked as spawn
  /// does), then loads `options.component`. The host must have been registered once with
  /// `bitbridge-host32.exe --regserver` (or -host64; HKLM, so elevated); each activation starts
  /// a host process of its own (single-use class) that COM launches from the registered path,
  /// as the calling user. Afterwards it behaves like a private host: RPC over a private pipe
  /// whose server must be the pid the activation reported, and the host exits when this Host
  /// is destroyed or this process dies. Prefer it to spawn where hosts are deployed through COM
  /// registration (installers that register COM servers anyway, machines where COM's launch
  /// permissions are to decide which hosts may start); otherwise spawn is simpler and starts
  /// faster (no registry, no COM round trips: about a second per activation under Wine).
  /// Supervised as a spawned host is: heartbeat and hang timeout (HostOptions::heartbeat*,
  /// hangTimeout), its death seen at once with its exit status, its log (its stderr, sent over a
  /// pipe of its own) forwarded to the Runtime's logger and in logTail(). No shared-memory
  /// transport. RestartPolicy works (a restart activates again). HostOptions::startOrder must be
  /// Automatic or ComOnly (use Host::spawn with the order for a fallback). Throws Error:
  /// NotFound (class not registered: the fix names --regserver), TimedOut (startTimeout,
  /// covering activation, connection and hello), BadConfiguration (other COM failures with
  /// their HRESULT; any platform but Windows; another startOrder), plus what spawn throws for
  /// the component.
  static Host activateCom(Runtime& runtime, HostOptions options);

  Host(Host&&) noexcept;
  Host& operator=(Host&&) noexcept;
  ~Host();

  /// Loads another component library into the host (header checked on both sides).
  ComponentInfo load(const std::string& path, const std::string& legacyLibrary = {});

  /// Creates a new instance of a class some loaded component offers (a shared host returns
  /// its one instance of that class instead).
  capnp::Capability::Client activateAny(const std::string& className);
  template <typename Interface>
  typename Interface::Client activate(const std::string& className) {
    return activateAny(className).template castAs<Interface>();
  }

  /// Binds the plain C library at `library` (a path on the host's machine, opened by the
  /// host; on Windows also a bare DLL name such as "kernel32.dll", found where LoadLibrary looks
  /// in the host's bitness) as an object of `Interface`, whose methods call the library's functions as the
  /// interface's /bitbridge/c.capnp annotations describe them: no component, no compiler of the
  /// library's bitness. The host receives the interface's schema from the generated code,
  /// resolves every function and checks every annotation before this returns. Throws Error:
  /// NotFound (the library, or a function it does not export: the message names the method
  /// and the symbol), WrongBitness (the library is not of the host's architecture: spawn the
  /// host with HostOptions::legacyLibrary set to it, so its header picks the host),
  /// BadConfiguration (an annotation that does not fit its field, a length naming no
  /// parameter, a stdcall export bound as cdecl). See docs/reference.md, "Binding a C library".
  capnp::Capability::Client bindAny(const std::string& library, capnp::InterfaceSchema schema);
  template <typename Interface>
  typename Interface::Client bind(const std::string& library) {
    return bindAny(library, capnp::Schema::from<Interface>().asInterface())
        .template castAs<Interface>();
  }

  /// Windows hosts: creates the in-process COM class `classId` (a ProgID such as
  /// "Scripting.Dictionary", or a CLSID "{...}") registered in the registry view of the host's
  /// bitness, on the host's apartment thread (an STA that pumps messages), and returns it for
  /// late-bound calls (bitbridge/com.h). Spawn the host with HostOptions::arch set to the
  /// class's bitness. Throws Error: NotFound (class not registered in that view),
  /// BadConfiguration (other activation failures, with their HRESULT), Unimplemented (a Linux
  /// host).
  ComObject createComObject(const std::string& classId);
  /// The same without the registry: loads the DLL at `path` (its header checked first:
  /// WrongBitness before loading when it is not of the host's architecture; spawn the host
  /// with HostOptions::legacyLibrary = path so that its header picks the host) and asks its
  /// DllGetClassObject for class `clsid`: a CLSID "{...}", or the class's name in the DLL's own
  /// type library, "Project.Class" as a VB6 ProgID (its project name is the type library's
  /// name) or "Class" alone, case ignored (NotFound listing its classes when it has none so
  /// called; BadConfiguration when it has no type library). Nothing is written to the registry.
  ComObject createComObjectFromFile(const std::string& path, const std::string& clsid);
  /// One object per `key` in this host, as createComObject makes it: the first call with
  /// `key` (from any client of a shared host, of either bitness) creates it, every later one
  /// gets the same object; it is kept until the host exits. A shared host runs every client's
  /// COM objects in one apartment, so VB6 module (.bas) variables are shared too. Throws as
  /// createComObject, and BadConfiguration when `key` already holds another class (the message
  /// names both), Overloaded beyond 1024 keys in one host.
  ComObject sharedComObject(const std::string& key, const std::string& classId);
  /// The same, created from the DLL at `path` without the registry (createComObjectFromFile).
  ComObject sharedComObjectFromFile(const std::string& key, const std::string& path,
                                    const std::string& clsid);
  HostInfo info();

  /// Allocates a shared-memory buffer of `bytes` (may exceed 4 GiB, even in a 32-bit client)
  /// and attaches it to the host. Write into it in place and pass buffer.ref(...) in calls;
  /// the component reads the same memory. See bitbridge/bulk.h.
  BulkBuffer allocate(uint64_t bytes, const BulkOptions& options = {});

  /// Waits for `promise` (a Cap'n Proto call or any kj::Promise) on the runtime's event loop,
  /// applying callTimeout, and rethrows any failure as bitbridge::Error with host context.
  /// The deadline counts from this call, however long the thread was away from the event
  /// loop before it.
  template <typename Promise>
  auto wait(Promise&& promise) {
    return waitWithin(kj::mv(promise), callTimeout(), "call", onCallTimeout());
  }
  /// The same with this wait's own deadline (zero: none) instead of HostOptions::callTimeout.
  template <typename Promise>
  auto wait(Promise&& promise, std::chrono::milliseconds timeout) {
    return waitWithin(kj::mv(promise), timeout, "call", onCallTimeout());
  }
  /// The same with this wait's own deadline and its own action when it expires (instead of
  /// HostOptions::onCallTimeout): `host.wait(call, 500ms, OnCallTimeout::KillHost)`.
  template <typename Promise>
  auto wait(Promise&& promise, std::chrono::milliseconds timeout, OnCallTimeout action) {
    return waitWithin(kj::mv(promise), timeout, "call", action);
  }

  /// `promise` under a deadline, for a call this thread does not wait() for (a task on its
  /// event loop, finished while the loop runs for something else): rejected with TimedOut once
  /// `timeout` has passed since this call, having applied `action` as wait() does (KillHost: the
  /// host is killed as hung and every call pending on it fails); `what` names the call in the
  /// message ("call" in wait()'s). A zero timeout returns `promise` unchanged. Throws
  /// BadConfiguration for KillHost on a host this client does not own, as wait() does.
  template <typename T>
  kj::Promise<T> within(kj::Promise<T>&& promise, std::chrono::milliseconds timeout,
                        OnCallTimeout action, const char* what = "call") {
    if (timeout.count() <= 0) return kj::mv(promise);
    requireTimeoutAction(action);
    return withDeadline(kj::mv(promise), timeout, what, action);
  }

  /// Runs this thread's event loop until `done()` is true or `timeout` has passed, serving what
  /// the host sends meanwhile (COM events, callbacks); returns done(). For a client that waits
  /// for events rather than for a call. Checks `done` after each turn of the loop (at least
  /// every few milliseconds).
  bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  /// False once the host is known to have died or been killed (and not yet restarted).
  bool running() const;
  /// Starts a new host now in place of this one (dead or not), subject to the restart bound;
  /// reloads the components and calls HostOptions::onRestart. Throws Error.
  void restart();
  /// How many times this Host has been restarted.
  unsigned restartCount() const;

  /// Asks a private host to exit and reaps it; leaves a shared one (disconnects). Idempotent.
  void shutdown();

  uint32_t pid() const;
  Arch arch() const;
  /// HostOptions::comAnswerTimeout.
  std::chrono::milliseconds comAnswerTimeout() const;
  /// The Runtime's logger.
  const std::shared_ptr<spdlog::logger>& logger() const;
  /// Last lines the host wrote to stderr (its log; a shared host's log file), for diagnostics.
  std::string logTail() const;
  /// Turns a kj::Exception from a call on this host into an Error with host context.
  Error translate(const kj::Exception& exception);

 private:
  struct Impl;
  explicit Host(std::unique_ptr<Impl> impl);
  /// Reaches a host of one kind (`reach`: spawn, find the shared one, activate through COM;
  /// bridge-core/src/client/host_process.h), then sets up RPC. No component is loaded yet.
  using ReachHost = std::unique_ptr<HostProcess> (*)(Runtime&, HostOptions&);
  static Host open(Runtime& runtime, HostOptions options, ReachHost reach);
  /// Loads HostOptions::component and the components loaded since (after a restart).
  void loadStartComponents();
  /// Sets up the fast lane (HostOptions::fastLane): its segment, attached to the host.
  void openLane();
  /// Before an operation: applies RestartPolicy::OnNextCall.
  void ensureRunning();
  /// After a failed wait: the Error to throw, having applied RestartPolicy::Immediately.
  Error failed(const kj::Exception& exception);
  void restartAfter(const Error& cause);
  kj::WaitScope& waitScope();
  std::chrono::milliseconds callTimeout() const;
  OnCallTimeout onCallTimeout() const;
  /// Throws BadConfiguration if `action` cannot be applied to this host (KillHost on a host
  /// this client does not own).
  void requireTimeoutAction(OnCallTimeout action) const;
  /// Rejects with a TimedOut error once `limit` (> 0) has passed since this call, having
  /// applied `action`; `what` names the operation.
  kj::Promise<void> deadline(std::chrono::milliseconds limit, const char* what,
                             OnCallTimeout action);
  template <typename Promise>
  auto waitWithin(Promise&& promise, std::chrono::milliseconds limit, const char* what,
                  OnCallTimeout action = OnCallTimeout::LeaveHostRunning) {
    ensureRunning();
    try {
      // No deadline: no timer and no join node on the per-call path.
      if (limit.count() <= 0) return promise.wait(waitScope());
      requireTimeoutAction(action);
      return withDeadline(kj::mv(promise), limit, what, action).wait(waitScope());
    } catch (const kj::Exception& e) {
      throw failed(e);
    }
  }
  template <typename T>
  kj::Promise<T> withDeadline(kj::Promise<T>&& promise, std::chrono::milliseconds limit,
                              const char* what, OnCallTimeout action) {
    return promise.exclusiveJoin(
        deadline(limit, what, action).then([]() -> T { KJ_UNREACHABLE; }));
  }
  /// Start-up loads leave the host running on a timeout (the failed start stops it anyway);
  /// Host::load applies HostOptions::onCallTimeout like any other wait.
  ComponentInfo loadWithin(const std::string& path, const std::string& legacyLibrary,
                           std::chrono::milliseconds limit,
                           OnCallTimeout action = OnCallTimeout::LeaveHostRunning);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitbridge
