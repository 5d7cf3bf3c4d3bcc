// A component whose library initialiser blocks (as some legacy DLLs do in DllMain or a static
// constructor while they look for hardware or a licence server). Loading it must hit the
// start-up timeout, never hang the client.
#include <chrono>
#include <thread>

#include <bitbridge/component.h>

#include "probe.capnp.h"

namespace {

const bool stuck = [] {
  std::this_thread::sleep_for(std::chrono::seconds(20));
  return true;
}();

class Impl final : public probe::Probe::Server {};

}  // namespace

BITBRIDGE_COMPONENT(bitbridge::serve<Impl>("slow-start"))
