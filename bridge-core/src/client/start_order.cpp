// How a private host is started (HostOptions::startOrder): spawned (spawned_host.cpp), COM
// activated (com_activated_host.cpp), or one then the other. Portable: whether COM exists is
// com_activation.h's to say. The order is checked before anything starts; the second way is
// tried only when the first started no host at all (HostNotStarted, host_process.h).
//
// Thread: the Runtime's thread. Stateless.
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "bitbridge/host.h"
#include "client/com_activation.h"
#include "client/host_process.h"
#include "client/host_selection.h"

namespace bitbridge {

const char* startOrderName(StartOrder order) {
  switch (order) {
    case StartOrder::Automatic: return "automatic";
    case StartOrder::SpawnOnly: return "spawn only";
    case StartOrder::ComOnly: return "COM only";
    case StartOrder::SpawnThenCom: return "spawn then COM";
    case StartOrder::ComThenSpawn: return "COM then spawn";
  }
  return "not a StartOrder";
}

namespace {

enum class Way { Spawn, Com };

const char* wayName(Way way) { return way == Way::Spawn ? "spawning" : "COM activation"; }

std::string orderText(StartOrder order) {
  return std::string("StartOrder::") + (order == StartOrder::Automatic      ? "Automatic"
                                        : order == StartOrder::SpawnOnly    ? "SpawnOnly"
                                        : order == StartOrder::ComOnly      ? "ComOnly"
                                        : order == StartOrder::SpawnThenCom ? "SpawnThenCom"
                                                                            : "ComThenSpawn");
}

// The ways `options` asks for, in order; refuses what this platform or the options cannot
// honour (BadConfiguration), before anything starts.
std::vector<Way> waysFor(const HostOptions& options) {
  const bool com = comActivationAvailable();
  const bool shm = options.transport == Transport::SharedMemory;
  std::vector<Way> ways;
  switch (options.startOrder) {
    case StartOrder::Automatic:
      // The fallback only where it can serve these options.
      return com && !shm ? std::vector<Way>{Way::Spawn, Way::Com} : std::vector<Way>{Way::Spawn};
    case StartOrder::SpawnOnly: return {Way::Spawn};
    case StartOrder::ComOnly: ways = {Way::Com}; break;
    case StartOrder::SpawnThenCom: ways = {Way::Spawn, Way::Com}; break;
    case StartOrder::ComThenSpawn: ways = {Way::Com, Way::Spawn}; break;
    default:
      throw Error(ErrorKind::BadConfiguration,
                  "HostOptions::startOrder holds " +
                      std::to_string(static_cast<unsigned>(options.startOrder)) +
                      ", which is not a StartOrder",
                  "set it to one of StartOrder's values (Automatic, SpawnOnly, ComOnly, "
                  "SpawnThenCom, ComThenSpawn)");
  }
  // From here the order names COM.
  if (!com) {
    throw Error(ErrorKind::BadConfiguration,
                "HostOptions::startOrder is " + orderText(options.startOrder) +
                    ", but COM activation exists on Windows only",
                "use StartOrder::Automatic (spawns, and on Windows falls back to COM) or "
                "StartOrder::SpawnOnly on this platform");
  }
  if (shm) {
    throw Error(ErrorKind::BadConfiguration,
                "HostOptions::startOrder is " + orderText(options.startOrder) +
                    ", but a COM-activated host serves RPC over its pipe only, not over "
                    "Transport::SharedMemory",
                "use StartOrder::SpawnOnly (or Automatic, which spawns only with this "
                "transport), or Transport::Socket");
  }
  return ways;
}

// "no x86 host could be started: spawning it: <why>; COM activation: <why>", with both fixes.
Error neitherStarted(Arch arch, const std::vector<std::pair<Way, Error>>& failures) {
  std::string message = "no " + std::string(archName(arch)) + " host could be started";
  std::string hint;
  for (const auto& [way, error] : failures) {
    message += std::string("; ") + wayName(way) + " failed: " + error.message();
    if (!error.hint().empty()) {
      hint += (hint.empty() ? std::string("either ") : std::string("; or ")) + error.hint();
    }
  }
  // One kind for both: NotFound when neither was there at all, else a configuration problem.
  bool allNotFound = true;
  for (const auto& failure : failures) allNotFound &= failure.second.kind() == ErrorKind::NotFound;
  return Error(allNotFound ? ErrorKind::NotFound : ErrorKind::BadConfiguration, message, hint);
}

}  // namespace

std::unique_ptr<HostProcess> startPrivateHost(Runtime& runtime, HostOptions& options) {
  const std::vector<Way> ways = waysFor(options);  // nothing has started yet
  // The component decides the host; what is wrong with it would be wrong for every way.
  const Arch arch = selectHostArch(options);
  std::vector<std::pair<Way, Error>> failures;
  for (size_t i = 0; i < ways.size(); ++i) {
    try {
      return ways[i] == Way::Spawn ? spawnHostProcess(runtime, options, arch)
                                   : activateHostThroughCom(runtime, options, arch);
    } catch (const HostNotStarted& notStarted) {
      failures.emplace_back(ways[i], notStarted.cause);
      if (i + 1 < ways.size()) {
        runtime.logger()->warn("could not start the {} host by {} ({}); trying {} "
                               "(HostOptions::startOrder: {})",
                               archName(arch), wayName(ways[i]), notStarted.cause.what(),
                               wayName(ways[i + 1]), startOrderName(options.startOrder));
      }
    }
  }
  if (failures.size() == 1) throw failures.front().second;
  throw neitherStarted(arch, failures);
}

std::unique_ptr<HostProcess> startComActivatedHost(Runtime& runtime, HostOptions& options) {
  if (options.startOrder != StartOrder::Automatic && options.startOrder != StartOrder::ComOnly) {
    throw Error(ErrorKind::BadConfiguration,
                "Host::activateCom starts a host through COM only, but HostOptions::startOrder is " +
                    orderText(options.startOrder),
                "use Host::spawn with that startOrder, or leave startOrder at Automatic (or "
                "ComOnly) with Host::activateCom");
  }
  if (!comActivationAvailable()) {
    throw Error(ErrorKind::BadConfiguration, "COM activation exists on Windows only",
                "use Host::spawn (a private host) or Host::connectShared (a shared one)");
  }
  options.startOrder = StartOrder::ComOnly;  // restarts too
  return startPrivateHost(runtime, options);
}

}  // namespace bitbridge
