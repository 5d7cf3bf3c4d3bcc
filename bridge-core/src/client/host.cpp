// Client side of a host: spawn a private one (or connect to a shared one), handshake, RPC
// connection, teardown.
#include "bitbridge/host.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <optional>

#include <capnp/message.h>
#include <capnp/rpc-twoparty.h>
#include <capnp/serialize.h>
#include <spdlog/logger.h>

#include "bitbridge/binary_header.h"
#include "bitbridge/host.capnp.h"
#include "client/com_activation.h"
#include "client/heartbeat_monitor.h"
#include "client/host_locator.h"
#include "client/host_selection.h"
#include "client/shared_client.h"
#include "common/bulk/bulk_segment.h"
#include "common/fresh_timer.h"
#include "common/logging.h"
#include "common/process/child_process.h"
#include "common/transport/channel.h"
#include "common/transport/handshake.h"
#include "common/transport/shared_endpoint.h"
#include "common/transport/shm_stream.h"
#include "host/host_service.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

// How long a host gets to exit by itself once its channel is closed before it is killed.
constexpr auto kExitGrace = std::chrono::milliseconds(100);
// How long a disconnected host's exit status is waited for, to put it in the error message.
constexpr auto kStatusWait = std::chrono::milliseconds(250);
// Back-off before the n-th restart within the window (n >= 1): 100 ms doubling, capped.
constexpr auto kRestartBackoffBase = std::chrono::milliseconds(100);
constexpr auto kRestartBackoffCap = std::chrono::milliseconds(2000);
// The host's command-line arguments for HostOptions' connection limits: a shared host gets
// them all (it serves others, and keeps what its starter asked for); a private host only
// those that differ from the defaults it has anyway.
std::vector<std::string> limitArguments(const HostOptions& options, bool shared) {
  const HostOptions defaults;
  std::vector<std::string> out;
  auto add = [&](const char* flag, uint64_t value, uint64_t byDefault) {
    if (shared || value != byDefault) {
      out.push_back(flag);
      out.push_back(std::to_string(value));
    }
  };
  add(host_flags::kMaxMessageBytes, options.maxMessageBytes, defaults.maxMessageBytes);
  add(host_flags::kMaxQueuedBytes, options.maxQueuedBytes, defaults.maxQueuedBytes);
  add(host_flags::kMaxCallBytes, options.maxCallBytesInFlight, defaults.maxCallBytesInFlight);
  if (shared) {
    add(host_flags::kMaxConnections, options.sharedMaxConnections, 0);
    add(host_flags::kMaxConnectionsPerClient, options.sharedMaxConnectionsPerClient, 0);
    add(host_flags::kHelloTimeout, static_cast<uint64_t>(options.sharedHelloTimeout.count()), 0);
    add(host_flags::kStallTimeout, static_cast<uint64_t>(options.sharedStallTimeout.count()), 0);
  }
  return out;
}

// How much of a shared host's log a disconnection message looks through for the host's own last
// words (at most 12 lines are quoted: trimLogTailForError).
constexpr size_t kSharedLogScan = 64 * 1024;
// How much of a shared host's log file logTail() shows.
constexpr size_t kSharedLogTail = 4096;

}  // namespace

const char* transportName(Transport transport) {
  return transport == Transport::SharedMemory ? host_flags::kTransportShm
                                             : host_flags::kTransportSocket;
}

namespace {

// Shared and COM-activated hosts speak RPC over their channel (socket, pipe) only; `which`
// names them in the message.
void requireSocketTransport(const HostOptions& options, const std::string& which) {
  if (options.transport == Transport::Socket) return;
  throw Error(ErrorKind::BadConfiguration,
              which + " serve RPC over their channel only, not over \"" +
                  transportName(options.transport) + "\"",
              "leave HostOptions::transport at Transport::Socket, or use a private host "
              "(Host::spawn) for the shared-memory transport");
}

}  // namespace

struct Host::Impl {
  Impl(Runtime& runtime, HostOptions options) : runtime(runtime), options(std::move(options)) {}
  ~Impl() { stop(false); }

  // Drops the RPC connection (the host sees EOF) and makes sure the process is gone.
  void stop(bool graceful) {
    // A COM host exits by itself once its pipe closes, but also has COM's release to finish:
    // it gets the graceful time before it is killed.
    const bool comHost = comObject != nullptr;
    // Watches first: they refer to the channel's descriptor and the process.
    heartbeat = nullptr;
    exitWatch = nullptr;
    cutter = nullptr;  // its duplicate would keep the host from seeing EOF
    // A COM host's object, while the host still serves: the host exits once the pipe closes,
    // and a release arriving as it exits would only meet a dying process.
    comObject = nullptr;
    bootstrap = nullptr;
    rpc = nullptr;
    network = nullptr;
    stream = nullptr;
    if (process && !process->waitFor(graceful || comHost ? std::chrono::seconds(2) : kExitGrace)) {
      runtime.logger()->warn("{} did not exit; killing it", label);
      process->kill();
    }
  }

  // Watches the process handle on the event loop: the moment the host exits it is reaped (no
  // zombie, status known) and the channel is cut, so every pending call on every capability
  // fails at once even if something else still holds the host's end of the channel open.
  void watchExit() {
    exitWatch = whenProcessExits(runtime.io(), *process)
                    .then([this]() {
                      dead = true;
                      if (auto status = process->waitFor(std::chrono::milliseconds(0))) {
                        runtime.logger()->debug("{} {}", label, status->describe());
                      }
                      if (cutter) cutter->cut();  // (a COM host's stream fails by itself)
                    })
                    .eagerlyEvaluate(nullptr);
  }

  // The host is judged hung (the heartbeat's verdict, or an expired deadline with
  // OnCallTimeout::KillHost): kill it, remember why, fail every pending call with TimedOut.
  void killAsHung(std::string reason, std::string hint) {
    if (dead) return;
    killedAsHung = Error(ErrorKind::TimedOut, label + " " + reason, std::move(hint));
    runtime.logger()->error("{}", killedAsHung->message());
    dead = true;
    if (process) process->kill();
    if (cutter) cutter->cut();  // (a COM host's stream fails by itself when it dies)
  }

  // Context for a disconnection: the host's exit status and the tail of its output.
  // `situation` (e.g. " while calls were pending") follows the status.
  std::string disconnectContext(const std::string& situation = {}) {
    if (!process) return sharedDisconnectContext(situation);
    std::string context = label;
    if (auto status = process->waitFor(kStatusWait)) {
      context += " " + status->describe(situation);
    } else {
      context += " closed its channel but is still running" + situation;
    }
    std::string tail = process->outputTail();
    if (!tail.empty()) context += "; last host output:\n" + tail;
    return context;
  }

  // A shared host is not our child (no exit status to collect); its log file has its last words.
  std::string sharedDisconnectContext(const std::string& situation) const {
    std::string context = label + " closed the connection" + situation;
    // Other clients' comings and goings are left out: they would crowd out the host's last
    // words about this connection.
    std::string tail = trimLogTailForError(readFileTail(sharedLog, kSharedLogScan));
    if (!tail.empty()) context += "; last lines of " + sharedLog + ":\n" + tail;
    return context;
  }

  // The hello on `stream`, within `timeout`: the peer must be process `pid` (the one started or
  // activated) and of our architecture, else MalformedPeer saying it is not `expected`.
  void greet(uint32_t pid, kj::Duration timeout, const char* expected) {
    WireHello hello = exchangeHello(*stream, runtime.io().provider->getTimer(), HelloRole::Client,
                                    label, timeout)
                          .wait(runtime.waitScope());
    if (hello.pid != pid || hello.arch != static_cast<uint8_t>(arch)) {
      throw Error(ErrorKind::MalformedPeer, label + " answered as pid " + std::to_string(hello.pid) +
                                                ", arch " + std::to_string(hello.arch) + ": not " +
                                                expected);
    }
  }

  // Runs a start-up step; if it fails, the host is stopped and the failure thrown as an Error
  // (a KJ exception with the host's exit status and output as context).
  template <typename Step>
  void startStep(Step&& step) {
    try {
      step();
    } catch (const kj::Exception& e) {
      Error error = fromKjException(e, disconnectContext());
      stop(false);
      throw error;
    } catch (const Error&) {  // e.g. the host exited first, or is not the one we started
      stop(false);
      throw;
    }
  }

  // Cap'n Proto RPC over `stream`; the host's bootstrap capability is its Host service.
  void startRpc() {
    network = kj::heap<capnp::TwoPartyVatNetwork>(*stream, capnp::rpc::twoparty::Side::CLIENT,
                                                  rpcReaderOptions());
    rpc = kj::heap(capnp::makeRpcClient(*network));
    capnp::MallocMessageBuilder vatIdMessage(8);
    auto vatId = vatIdMessage.initRoot<capnp::rpc::twoparty::VatId>();
    vatId.setSide(capnp::rpc::twoparty::Side::SERVER);
    bootstrap = rpc->bootstrap(vatId).castAs<proto::Host>();
  }

  // How this host was reached, and so how a restart reaches the next one. (Which fields are
  // set does not tell: a COM-activated host has a process handle too.)
  enum class Kind : uint8_t { Spawned, Shared, ComActivated };

  Runtime& runtime;
  HostOptions options;
  Kind kind = Kind::Spawned;
  Arch arch = currentArch();
  std::string label;  // "bitbridge-host32 (pid 123)"
  std::unique_ptr<ChildProcess> process;  // null for a shared host
  kj::Own<ChannelCutter> cutter;          // fails every pending call at once (see channel.h)
  uint32_t sharedPid = 0;                 // shared host only
  std::string sharedLog;                  // shared host only: its log file
  // COM host only (sharedPid is its pid): the activated object, released just before the pipe
  // is closed; the pipe, not this object, is what keeps the host alive.
  std::shared_ptr<void> comObject;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
  proto::Host::Client bootstrap = nullptr;
  bool shutDown = false;
  bool dead = false;            // exited, killed or disconnected
  std::optional<Error> killedAsHung;  // why it was killed as hung, if it was (killAsHung)
  // Components loaded after start (reloaded by a restart, after options.component).
  std::vector<std::pair<std::string, std::string>> extraComponents;
  // Restart bookkeeping, carried from each Impl to its replacement.
  std::vector<std::chrono::steady_clock::time_point> restartTimes;
  unsigned restarts = 0;
  // Previous incarnations: capabilities the application still holds may refer to their RPC
  // state, so it lives as long as the Host does.
  std::vector<std::unique_ptr<Impl>> retired;
  kj::Promise<void> exitWatch = nullptr;
  kj::Own<HeartbeatMonitor> heartbeat;
};

Host::Host(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Host::Host(Host&&) noexcept = default;
Host& Host::operator=(Host&&) noexcept = default;
Host::~Host() = default;

Host Host::spawn(Runtime& runtime, HostOptions options) {
  Host host(start(runtime, options));
  host.loadStartComponents();
  return host;
}

void Host::loadStartComponents() {
  // Loading runs the legacy library's initialisers: part of start-up, under its timeout. (In a
  // shared host that already has them, loading is idempotent and returns them as they are.)
  const auto& options = impl_->options;
  if (!options.component.empty()) {
    loadWithin(options.component, options.legacyLibrary, options.startTimeout);
  }
  for (const auto& [path, legacy] : impl_->extraComponents) {
    loadWithin(path, legacy, options.startTimeout);
  }
}

std::unique_ptr<Host::Impl> Host::start(Runtime& runtime, HostOptions options) {
  auto impl = std::make_unique<Impl>(runtime, options);
  auto& log = *runtime.logger();

  if (options.transport == Transport::SharedMemory) requireShmTransport();  // before a spawn
  // 1-2. Which host (from the component's header unless the caller insists), and its
  // executable, headers checked (host_selection.h).
  HostSelection selection = selectHost(options);
  impl->arch = selection.arch;
  std::string executable = selection.executable;

  // 3. Spawn with the child end of a private channel (and of the heartbeat socket); forward
  //    its output to our log.
  auto channel = makePrivateChannel(kHostChannelFd);
  kj::Own<PrivateChannel> heartbeatChannel;
  auto pidForLog = std::make_shared<std::atomic<int>>(0);
  SpawnRequest request;
  request.executable = executable;
  // --parent: the host's watchdog ends it when this process is gone (see host_watchdog.h).
  request.arguments = {host_flags::kChannel, channel->hostSpec(), host_flags::kParent,
                       std::to_string(currentProcessId())};
  if (options.heartbeatInterval.count() > 0) {
    heartbeatChannel = makePrivateChannel(kHostHeartbeatFd);
    request.heartbeatHandle = heartbeatChannel->childHandle();
    request.arguments.push_back(host_flags::kHeartbeat);
    request.arguments.push_back(heartbeatChannel->hostSpec());
  }
  if (options.transport != Transport::Socket) {
    request.arguments.push_back(host_flags::kTransport);
    request.arguments.push_back(transportName(options.transport));
  }
  for (auto& argument : limitArguments(options, /*shared=*/false)) {
    request.arguments.push_back(std::move(argument));
  }
  request.channelHandle = channel->childHandle();
  request.onOutputLine = [logger = runtime.logger(), pidForLog,
                          name = hostExecutableName(impl->arch)](const std::string& line) {
    auto [level, message] = parseHostLogLine(line);
    logger->log(level, "[{} pid {}] {}", name, pidForLog->load(), message);
  };
  impl->process = ChildProcess::spawn(request);
  pidForLog->store(impl->process->pid());
  impl->label = hostExecutableName(impl->arch) + " (pid " + std::to_string(impl->process->pid()) + ")";
  log.debug("started {}", impl->label);
  impl->cutter = channel->makeCutter();
  impl->watchExit();

  // 4. Handshake within the start timeout. The peer must be the very process we started.
  impl->startStep([&] {
    impl->stream = channel->connect(runtime.io(), *impl->process, options.startTimeout);
    auto timeout = options.startTimeout.count() * kj::MILLISECONDS;
    impl->greet(static_cast<uint32_t>(impl->process->pid()), timeout, "the host that was started");
    if (options.transport == Transport::SharedMemory) {
      // 4b. Hand the host the rings (over the socket, which stays open as their control
      // channel: its EOF is still how a crash shows up). Also within the start timeout.
      auto& io = runtime.io();
      auto control = toControlChannel(kj::mv(impl->stream), *io.lowLevelProvider);
      impl->stream =
          offerShmChannel(eventPortOf(io), kj::mv(control))
              .exclusiveJoin(deadlineFromNow(io.provider->getTimer(), timeout).then(
                  [label = impl->label]() -> kj::Own<kj::AsyncIoStream> {
                    throwAsKj(Error(ErrorKind::TimedOut,
                                    label + " did not accept the shared-memory channel in time"));
                  }))
              .wait(runtime.waitScope());
    }
  });

  // 5. Cap'n Proto RPC over the channel; the host's bootstrap capability is its Host service.
  impl->startRpc();

  // 6. The heartbeat, once the host is known to be ours and answering.
  if (heartbeatChannel) {
    HeartbeatSettings settings{options.heartbeatInterval, options.heartbeatTimeout,
                               options.hangTimeout};
    Impl* raw = impl.get();
    impl->heartbeat = kj::heap<HeartbeatMonitor>(
        heartbeatChannel->connect(runtime.io(), *impl->process, options.startTimeout),
        runtime.io().provider->getTimer(), settings,
        [raw](std::string verdict) {
          raw->killAsHung(verdict + "; the watchdog killed it",
                          "a legacy call that can block should be given a callTimeout; raise "
                          "HostOptions::heartbeatTimeout/hangTimeout if the host is "
                          "legitimately this slow");
        });
  }
  impl->options = std::move(options);
  return impl;
}

Host Host::connectShared(Runtime& runtime, HostOptions options) {
  Host host(startShared(runtime, options));
  host.loadStartComponents();
  // The bootstrap request is only queued until the loop turns: send it now, so that a client
  // that waits on nothing for a while is not taken for one that greets and says nothing
  // (HostOptions::sharedHelloTimeout).
  runtime.waitScope().poll();
  return host;
}

std::unique_ptr<Host::Impl> Host::startShared(Runtime& runtime, HostOptions options) {
  if (options.sharedName.empty()) {
    throw Error(ErrorKind::BadConfiguration, "Host::connectShared needs HostOptions::sharedName",
                "give the name all clients of that shared host use (e.g. \"counter\"), or "
                "use Host::spawn for a private host");
  }
  requireSocketTransport(options, "shared hosts");
  if (options.onCallTimeout == OnCallTimeout::KillHost) {
    throw Error(ErrorKind::BadConfiguration,
                "a shared host serves other clients and cannot be killed when a call of this "
                "client times out (HostOptions::onCallTimeout = OnCallTimeout::KillHost)",
                "leave HostOptions::onCallTimeout at OnCallTimeout::LeaveHostRunning for shared "
                "hosts, or use a private host (Host::spawn)");
  }
  auto impl = std::make_unique<Impl>(runtime, options);
  impl->kind = Impl::Kind::Shared;
  HostSelection selection = selectHost(options);  // the same choice as spawn's
  impl->arch = selection.arch;
  SharedHostRequest request;
  request.name = options.sharedName;
  request.arch = selection.arch;
  request.executable = selection.executable;
  request.idleTimeout = options.idleTimeout;
  request.startTimeout = options.startTimeout;
  request.limitArguments = limitArguments(options, /*shared=*/true);
  SharedHostConnection connection = connectSharedHost(runtime, request);
  impl->label = connection.label;
  impl->sharedPid = connection.pid;
  impl->sharedLog = connection.logPath;
  impl->stream = kj::mv(connection.stream);
  impl->startRpc();
  impl->options = std::move(options);
  return impl;
}

Host Host::activateCom(Runtime& runtime, HostOptions options) {
  Host host(startCom(runtime, options));
  host.loadStartComponents();
  return host;
}

std::unique_ptr<Host::Impl> Host::startCom(Runtime& runtime, HostOptions options) {
  requireSocketTransport(options, "COM-activated hosts");
  auto impl = std::make_unique<Impl>(runtime, options);
  impl->kind = Impl::Kind::ComActivated;
  impl->arch = selectHostArch(options);  // the same choice as spawn's; COM knows the .exe
  // Activation and pipe (com_activation.h), then the hello, all within the start timeout.
  const auto started = std::chrono::steady_clock::now();
  ComHostConnection connection = connectComHost(runtime.io(), impl->arch, options.startTimeout);
  impl->label = connection.label;
  impl->sharedPid = connection.endpoint.pid;
  // Watched like a spawned host where the platform allows: a crash is seen at once and comes
  // with its exit status.
  impl->process = ChildProcess::open(static_cast<int>(connection.endpoint.pid));
  if (impl->process) impl->watchExit();
  impl->comObject = std::move(connection.endpoint.keepAlive);
  impl->stream = kj::mv(connection.stream);
  impl->startStep([&] {
    auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                             options.startTimeout - (std::chrono::steady_clock::now() - started)),
                         std::chrono::milliseconds(100));
    impl->greet(impl->sharedPid, left.count() * kj::MILLISECONDS, "the host COM activated");
  });
  impl->startRpc();
  impl->options = std::move(options);
  return impl;
}

ComponentInfo Host::load(const std::string& path, const std::string& legacyLibrary) {
  ensureRunning();
  ComponentInfo info = loadWithin(path, legacyLibrary, callTimeout(), onCallTimeout());
  auto entry = std::make_pair(path, legacyLibrary);
  auto& extra = impl_->extraComponents;
  if (path != impl_->options.component &&
      std::find(extra.begin(), extra.end(), entry) == extra.end()) {
    extra.push_back(entry);
  }
  return info;
}

ComponentInfo Host::loadWithin(const std::string& path, const std::string& legacyLibrary,
                               std::chrono::milliseconds limit, OnCallTimeout action) {
  // Checked here too, so that the error is raised before anything crosses the channel.
  std::string component = absolutePath(path);
  std::string legacy = absolutePath(legacyLibrary);
  requireHostable(component, impl_->arch, BinaryRole::Component);
  if (!legacy.empty()) requireHostable(legacy, impl_->arch, BinaryRole::LegacyLibrary);

  auto request = impl_->bootstrap.loadRequest();
  request.setPath(component);
  request.setLegacyLibrary(legacy);
  auto response = waitWithin(request.send(), limit, "loading a component", action);
  ComponentInfo info;
  info.path = response.getComponent().getPath();
  for (auto name : response.getComponent().getClasses()) info.classes.emplace_back(name);
  return info;
}

capnp::Capability::Client Host::activateAny(const std::string& className) {
  ensureRunning();
  auto request = impl_->bootstrap.activateRequest();
  request.setClassName(className);
  return wait(request.send()).getObject();
}

namespace {

// The schema nodes a host needs to serve `schema`: it, its methods' parameter and result
// structs, and every struct, enum and interface those mention, once each.
void collectSchemaNodes(capnp::Schema schema, std::map<uint64_t, capnp::Schema>& nodes);

void collectTypeNodes(capnp::Type type, std::map<uint64_t, capnp::Schema>& nodes) {
  switch (type.which()) {
    case capnp::schema::Type::STRUCT: collectSchemaNodes(type.asStruct(), nodes); break;
    case capnp::schema::Type::ENUM: collectSchemaNodes(type.asEnum(), nodes); break;
    case capnp::schema::Type::INTERFACE: collectSchemaNodes(type.asInterface(), nodes); break;
    case capnp::schema::Type::LIST: collectTypeNodes(type.asList().getElementType(), nodes); break;
    default: break;
  }
}

void collectSchemaNodes(capnp::Schema schema, std::map<uint64_t, capnp::Schema>& nodes) {
  if (!nodes.emplace(schema.getProto().getId(), schema).second) return;
  auto proto = schema.getProto();
  if (proto.isInterface()) {
    auto iface = schema.asInterface();
    for (auto method : iface.getMethods()) {
      collectSchemaNodes(method.getParamType(), nodes);
      collectSchemaNodes(method.getResultType(), nodes);
    }
    for (auto super : iface.getSuperclasses()) collectSchemaNodes(super, nodes);
  } else if (proto.isStruct()) {
    for (auto field : schema.asStruct().getFields()) collectTypeNodes(field.getType(), nodes);
  }
}

}  // namespace

capnp::Capability::Client Host::bindAny(const std::string& library,
                                        capnp::InterfaceSchema schema) {
  ensureRunning();
  std::map<uint64_t, capnp::Schema> nodes;
  collectSchemaNodes(schema, nodes);
  auto request = impl_->bootstrap.bindRequest();
  request.setLibrary(library);
  request.setInterfaceId(schema.getProto().getId());
  auto list = request.initNodes(static_cast<unsigned>(nodes.size()));
  unsigned i = 0;
  for (const auto& node : nodes) {
    capnp::MallocMessageBuilder message;
    message.setRoot(node.second.getProto());
    auto words = capnp::messageToFlatArray(message);
    list.set(i++, words.asBytes());
  }
  return wait(request.send()).getObject();
}

BulkBuffer Host::allocate(uint64_t bytes, const BulkOptions& options) {
  ensureRunning();
  auto segment = BulkSegment::create(bytes, options);
  // The name lives for this one round trip: the host removes it when it opens the segment,
  // and we remove it here whatever the answer (idempotent).
  try {
    auto request = impl_->bootstrap.attachBulkRequest();
    request.setName(segment->name());
    auto response = wait(request.send());
    segment->removeName();
    if (response.getSegment() != segment->id() || response.getSize() != segment->dataBytes()) {
      throw Error(ErrorKind::MalformedPeer,
                  impl_->label + " attached segment " + std::to_string(response.getSegment()) +
                      " of " + std::to_string(response.getSize()) + " bytes; expected " +
                      std::to_string(segment->id()) + " of " +
                      std::to_string(segment->dataBytes()));
    }
  } catch (...) {
    segment->removeName();
    throw;
  }
  return BulkBuffer(std::move(segment), impl_->bootstrap);
}

HostInfo Host::info() {
  ensureRunning();
  auto response = wait(impl_->bootstrap.infoRequest().send());
  auto wire = response.getInfo();
  HostInfo info;
  info.pid = wire.getPid();
  info.pointerBits = wire.getPointerBits();
  info.arch = wire.getArch() == static_cast<uint8_t>(Arch::x86) ? Arch::x86 : Arch::x86_64;
  info.os = wire.getOs();
  info.version = wire.getVersion();
  info.transport = wire.getTransport();
  info.shared = wire.getShared();
  for (auto component : wire.getComponents()) {
    ComponentInfo entry;
    entry.path = component.getPath();
    for (auto name : component.getClasses()) entry.classes.emplace_back(name);
    info.components.push_back(std::move(entry));
  }
  return info;
}

void Host::shutdown() {
  if (!impl_ || impl_->shutDown) return;
  impl_->shutDown = true;
  if (!impl_->process) {  // a shared host is not ours to stop: just leave it
    impl_->stop(false);
    return;
  }
  try {
    // The host may close the channel before or after answering: both mean it is going.
    impl_->bootstrap.shutdownRequest()
        .send()
        .ignoreResult()
        .exclusiveJoin(afterDelayFromNow(impl_->runtime.io().provider->getTimer(), 2 * kj::SECONDS))
        .wait(waitScope());
  } catch (const kj::Exception& e) {
    impl_->runtime.logger()->debug("{} shutdown: {}", impl_->label, e.getDescription().cStr());
  }
  impl_->stop(true);
}

uint32_t Host::pid() const {
  return impl_->process ? static_cast<uint32_t>(impl_->process->pid()) : impl_->sharedPid;
}
Arch Host::arch() const { return impl_->arch; }
std::string Host::logTail() const {
  return impl_->process ? impl_->process->outputTail()
                        : readFileTail(impl_->sharedLog, kSharedLogTail);
}

Error Host::translate(const kj::Exception& exception) {
  bool disconnected = exception.getType() == kj::Exception::Type::DISCONNECTED;
  if (disconnected && impl_->killedAsHung) {
    const Error& why = *impl_->killedAsHung;
    std::string tail = logTail();
    return Error(ErrorKind::TimedOut,
                 why.message() + (tail.empty() ? std::string() : "; last host output:\n" + tail),
                 why.hint());
  }
  // The host's fate first, in one wording whatever KJ noticed first (EOF, a reset, a failed
  // write): the cause, not the symptom.
  return fromKjException(exception, disconnected
                                        ? impl_->disconnectContext(" while calls were pending")
                                        : std::string());
}

bool Host::running() const { return impl_ && !impl_->dead && !impl_->shutDown; }

unsigned Host::restartCount() const { return impl_->restarts; }

void Host::ensureRunning() {
  if (impl_->dead && !impl_->shutDown && impl_->options.restart == RestartPolicy::OnNextCall) {
    restartAfter(Error(ErrorKind::Disconnected, impl_->label + " is gone"));
  }
}

Error Host::failed(const kj::Exception& exception) {
  Error error = translate(exception);
  bool gone = error.kind() == ErrorKind::Disconnected || impl_->killedAsHung.has_value();
  if (!gone) return error;
  impl_->dead = true;
  if (impl_->options.restart != RestartPolicy::Immediately || impl_->shutDown) return error;
  try {
    restartAfter(error);
  } catch (const Error& restartError) {
    // The caller learns of both: the death is what happened to its call.
    return Error(error.kind(), error.message() + "\n(restart failed: " + restartError.what() + ")",
                 error.hint());
  }
  return error;
}

void Host::restart() {
  restartAfter(Error(ErrorKind::Disconnected, "restart requested"));
}

void Host::restartAfter(const Error& cause) {
  auto& runtime = impl_->runtime;
  auto now = std::chrono::steady_clock::now();
  auto times = impl_->restartTimes;
  times.erase(std::remove_if(times.begin(), times.end(),
                             [&](auto t) { return now - t > impl_->options.restartWindow; }),
              times.end());
  if (times.size() >= impl_->options.maxRestarts) {
    throw Error(ErrorKind::Disconnected,
                impl_->label + " will not be restarted: " + std::to_string(times.size()) +
                    " restarts in the last " +
                    std::to_string(impl_->options.restartWindow.count()) +
                    " ms already (last cause: " + cause.message() + ")",
                "the host keeps dying; read its log above, or raise HostOptions::maxRestarts");
  }
  if (!times.empty()) {
    auto backoff = std::min(kRestartBackoffBase * (1u << std::min<size_t>(times.size() - 1, 5)),
                            kRestartBackoffCap);
    afterDelayFromNow(runtime.io().provider->getTimer(), backoff.count() * kj::MILLISECONDS)
        .wait(runtime.waitScope());
  }
  runtime.logger()->warn("restarting {} ({})", impl_->label, cause.message());

  // A shared host is found again by name (and started anew if it is gone); a COM host is
  // activated anew.
  std::unique_ptr<Impl> fresh;
  switch (impl_->kind) {
    case Impl::Kind::Spawned: fresh = start(runtime, impl_->options); break;
    case Impl::Kind::Shared: fresh = startShared(runtime, impl_->options); break;
    case Impl::Kind::ComActivated: fresh = startCom(runtime, impl_->options); break;
  }
  fresh->extraComponents = impl_->extraComponents;
  fresh->restartTimes = std::move(times);
  fresh->restartTimes.push_back(now);
  fresh->restarts = impl_->restarts + 1;
  fresh->retired = std::move(impl_->retired);
  impl_->stop(false);  // reaps the old process; its RPC state stays for stale capabilities
  fresh->retired.push_back(std::move(impl_));
  impl_ = std::move(fresh);

  loadStartComponents();
  if (impl_->options.onRestart) impl_->options.onRestart(*this);
}

kj::WaitScope& Host::waitScope() { return impl_->runtime.waitScope(); }

std::chrono::milliseconds Host::callTimeout() const { return impl_->options.callTimeout; }

OnCallTimeout Host::onCallTimeout() const { return impl_->options.onCallTimeout; }

void Host::requireTimeoutAction(OnCallTimeout action) const {
  if (action != OnCallTimeout::KillHost || impl_->process) return;
  throw Error(ErrorKind::BadConfiguration,
              impl_->label + " is not a process this client owns (a shared host serves other "
                             "clients), so it cannot be killed when a call times out",
              "use OnCallTimeout::LeaveHostRunning with a shared host, or a private host "
              "(Host::spawn) for OnCallTimeout::KillHost");
}

kj::Promise<void> Host::deadline(std::chrono::milliseconds limit, const char* what,
                                 OnCallTimeout action) {
  Impl* impl = impl_.get();  // outlives the wait: a restart replaces it only after the wait
  return deadlineFromNow(impl->runtime.io().provider->getTimer(), limit.count() * kj::MILLISECONDS)
      .then([impl, what = std::string(what), ms = limit.count(), action]() {
        std::string late = "did not complete within " + std::to_string(ms) + " ms";
        if (action == OnCallTimeout::KillHost) {
          impl->killAsHung(
              "was killed as hung: " + what + " " + late +
                  " (OnCallTimeout::KillHost); every call pending on it failed",
              "raise the deadline if the call is legitimately this slow; with a RestartPolicy "
              "other than Never the next host is started for you");
          throwAsKj(*impl->killedAsHung);
        }
        throwAsKj(Error(
            ErrorKind::TimedOut, what + " in " + impl->label + " " + late,
            "the host is still running it, and calls sent to it after this one queue behind "
            "it; raise HostOptions::callTimeout (startTimeout while starting) if it is "
            "legitimately slow, or set OnCallTimeout::KillHost to end a hung host"));
      });
}

}  // namespace bitbridge
