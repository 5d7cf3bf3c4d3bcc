// Client side of a host, whatever its kind (client/host_process.h): the RPC connection, waits and
// deadlines, restarts, and the Host API's calls (load, activate, bind, allocate, info).
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
#include "client/bound_lane.h"
#include "client/host_process.h"
#include "client/host_selection.h"
#include "client/lane_capability.h"
#include "common/bulk/bulk_segment.h"
#include "common/fresh_timer.h"
#include "common/logging.h"
#include "wire/rpc_limits.h"

namespace bitbridge {
namespace {

// Back-off before the n-th restart within the window (n >= 1): 100 ms doubling, capped.
constexpr auto kRestartBackoffBase = std::chrono::milliseconds(100);
constexpr auto kRestartBackoffCap = std::chrono::milliseconds(2000);

}  // namespace

// What every kind of host shares: RPC over the stream its kind (host_process.h) set up, whether
// it is dead and why, and the restart bookkeeping.
struct Host::Impl {
  Impl(Runtime& runtime, HostOptions options, std::unique_ptr<HostProcess> process)
      : runtime(runtime), options(std::move(options)), process(std::move(process)) {
    label = this->process->label();
    arch = this->process->arch();
    stream = this->process->takeStream();
    startRpc();
    this->process->watch(HostDeathReport{
        [this] {
          dead = true;
          if (lane) lane->hostGone();  // a call waiting on the lane fails now
        },
        [this](std::string verdict) {
          killAsHung(verdict + "; the watchdog killed it",
                     "a legacy call that can block should be given a callTimeout; raise "
                     "HostOptions::heartbeatTimeout/hangTimeout if the host is legitimately "
                     "this slow");
        }});
  }
  ~Impl() { stop(false); }

  // Drops the RPC connection (the host sees EOF) and makes sure the process is gone (if it is
  // ours: a shared host is left running for its other clients).
  void stop(bool graceful) {
    if (stopped) return;
    if (lane) lane->hostGone();  // bound objects still hold it: their calls fail from now on
    lane = nullptr;
    process->release();  // watchers first: they refer to the channel and the process
    bootstrap = nullptr;
    rpc = nullptr;
    network = nullptr;
    stream = nullptr;
    process->awaitExit(graceful);
    stopped = true;
  }

  // The host is judged hung (the heartbeat's verdict, or an expired deadline with
  // OnCallTimeout::KillHost): kill it, remember why, fail every pending call with TimedOut.
  void killAsHung(std::string reason, std::string hint) {
    if (dead) return;
    killedAsHung = Error(ErrorKind::TimedOut, label + " " + reason, std::move(hint));
    runtime.logger()->error("{}", killedAsHung->message());
    dead = true;
    process->kill();
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

  Runtime& runtime;
  HostOptions options;
  // This host's kind: how it was reached, and so how a restart reaches the next one.
  std::unique_ptr<HostProcess> process;
  Arch arch = currentArch();
  std::string label;  // "bitbridge-host32 (pid 123)"
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
  proto::Host::Client bootstrap = nullptr;
  bool shutDown = false;
  bool stopped = false;
  bool dead = false;            // exited, killed or disconnected
  std::optional<Error> killedAsHung;  // why it was killed as hung, if it was (killAsHung)
  // The fast lane (HostOptions::fastLane), made by the first bind; shared with bound objects.
  std::shared_ptr<ClientLane> lane;
  uint64_t laneSegmentId = 0;
  // Components loaded after start (reloaded by a restart, after options.component).
  std::vector<std::pair<std::string, std::string>> extraComponents;
  // Restart bookkeeping, carried from each Impl to its replacement.
  std::vector<std::chrono::steady_clock::time_point> restartTimes;
  unsigned restarts = 0;
  // Previous incarnations: capabilities the application still holds may refer to their RPC
  // state, so it lives as long as the Host does.
  std::vector<std::unique_ptr<Impl>> retired;
};

Host::Host(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Host::Host(Host&&) noexcept = default;
Host& Host::operator=(Host&&) noexcept = default;
Host::~Host() = default;

Host Host::open(Runtime& runtime, HostOptions options, ReachHost reach) {
  auto process = reach(runtime, options);  // makes the paths in `options` absolute
  return Host(std::make_unique<Impl>(runtime, std::move(options), std::move(process)));
}

Host Host::spawn(Runtime& runtime, HostOptions options) {
  Host host = open(runtime, std::move(options), &startPrivateHost);
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

namespace {
// The fast lane's death detection and hang rules rely on a host this client watches.
void refuseFastLane(const HostOptions& options, const char* which) {
  if (!options.fastLane) return;
  throw Error(ErrorKind::BadConfiguration,
              std::string("HostOptions::fastLane is offered for private hosts only, not ") + which,
              "use Host::spawn for a fast lane, or leave HostOptions::fastLane off");
}
}  // namespace

Host Host::connectShared(Runtime& runtime, HostOptions options) {
  refuseFastLane(options, "shared hosts (Host::connectShared)");
  Host host = open(runtime, std::move(options), &connectToSharedHost);
  host.loadStartComponents();
  // The bootstrap request is only queued until the loop turns: send it now, so that a client
  // that waits on nothing for a while is not taken for one that greets and says nothing
  // (HostOptions::sharedHelloTimeout).
  runtime.waitScope().poll();
  return host;
}

Host Host::activateCom(Runtime& runtime, HostOptions options) {
  refuseFastLane(options, "COM-activated hosts (Host::activateCom)");
  Host host = open(runtime, std::move(options), &startComActivatedHost);
  host.loadStartComponents();
  return host;
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
  if (impl_->options.fastLane && !impl_->lane) openLane();
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
  if (impl_->lane) request.setLaneSegment(impl_->laneSegmentId);
  auto response = wait(request.send());
  if (!impl_->lane || response.getLaneBinding() == 0) return response.getObject();
  std::vector<bool> laneMethods(schema.getMethods().size(), false);
  for (uint16_t index : response.getLaneMethods()) {
    if (index < laneMethods.size()) laneMethods[index] = true;
  }
  return laneCapability(response.getObject(), schema.getProto().getId(), impl_->lane,
                        response.getLaneBinding(), std::move(laneMethods));
}

void Host::openLane() {
  uint32_t area = impl_->options.fastLaneAreaBytes;
  if (area < kLaneMinAreaBytes || area > kLaneMaxAreaBytes || area % 8 != 0) {
    throw Error(ErrorKind::BadConfiguration,
                "HostOptions::fastLaneAreaBytes is " + std::to_string(area) +
                    "; it must be a multiple of 8 from " + std::to_string(kLaneMinAreaBytes) +
                    " to " + std::to_string(kLaneMaxAreaBytes),
                "leave it at its default (256 KiB) or pick a size in that range");
  }
  auto segment = BulkSegment::create(ClientLane::segmentBytes(area), BulkOptions{});
  auto lane = std::make_shared<ClientLane>(segment, area, impl_->label);  // header first
  // Attached like a bulk buffer (Host::allocate): the name lives for this one round trip.
  try {
    auto request = impl_->bootstrap.attachBulkRequest();
    request.setName(segment->name());
    auto response = wait(request.send());
    segment->removeName();
    if (response.getSegment() != segment->id()) {
      throw Error(ErrorKind::MalformedPeer, impl_->label + " attached the fast lane's segment as " +
                                                std::to_string(response.getSegment()));
    }
  } catch (...) {
    segment->removeName();
    throw;
  }
  impl_->laneSegmentId = segment->id();
  impl_->lane = std::move(lane);
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

bool Host::waitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto& timer = impl_->runtime.io().provider->getTimer();
  for (;;) {
    waitScope().poll();
    if (done()) return true;
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    // A short nap on the loop: what arrives meanwhile is served, and done() is checked again.
    auto nap = std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(5));
    afterDelayFromNow(timer, std::chrono::duration_cast<std::chrono::microseconds>(nap).count() *
                                 kj::MICROSECONDS)
        .wait(waitScope());
  }
}

ComObject Host::createComObject(const std::string& classId) {
  ensureRunning();
  auto request = impl_->bootstrap.createComObjectRequest();
  request.setClassId(classId);
  return ComObject(*this, wait(request.send()).getObject());
}

ComObject Host::createComObjectFromFile(const std::string& path, const std::string& clsid) {
  ensureRunning();
  auto request = impl_->bootstrap.createComObjectRequest();
  request.setClassId(clsid);
  request.setPath(path);
  return ComObject(*this, wait(request.send()).getObject());
}

ComObject Host::sharedComObject(const std::string& key, const std::string& classId) {
  return sharedComObjectFromFile(key, std::string(), classId);
}

ComObject Host::sharedComObjectFromFile(const std::string& key, const std::string& path,
                                        const std::string& clsid) {
  if (key.empty()) {
    throw Error(ErrorKind::BadConfiguration, "a shared COM object needs a key",
                "name the object (any text), or use createComObject for an object of your own");
  }
  ensureRunning();
  auto request = impl_->bootstrap.createComObjectRequest();
  request.setClassId(clsid);
  request.setPath(path);
  request.setKey(key);
  return ComObject(*this, wait(request.send()).getObject());
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
  if (!impl_->process->ownedByThisClient()) {  // a shared host is not ours to stop: leave it
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

uint32_t Host::pid() const { return impl_->process->pid(); }
Arch Host::arch() const { return impl_->arch; }
std::string Host::logTail() const { return impl_->process->logTail(); }

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
                                        ? impl_->process->disconnectContext(" while calls were pending")
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

  // The same kind again: a private host started in its StartOrder (spawned, or COM activated),
  // a shared host found by name (and started anew if it is gone).
  HostOptions options = impl_->options;
  auto process = impl_->process->startAgain(runtime, options);
  auto fresh = std::make_unique<Impl>(runtime, std::move(options), std::move(process));
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

std::chrono::milliseconds Host::comAnswerTimeout() const {
  return impl_->options.comAnswerTimeout;
}

const std::shared_ptr<spdlog::logger>& Host::logger() const { return impl_->runtime.logger(); }

void Host::requireTimeoutAction(OnCallTimeout action) const {
  if (action != OnCallTimeout::KillHost || impl_->process->ownedByThisClient()) return;
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
