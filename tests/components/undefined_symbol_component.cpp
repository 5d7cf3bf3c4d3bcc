// Calls a function no library defines (a legacy DLL missing an export): RTLD_NOW must make the
// load fail with "undefined symbol: legacy_function_that_does_not_exist", not a crash later.
#include <bitbridge/component.h>

#include "probe.capnp.h"

extern "C" int legacy_function_that_does_not_exist(void);

namespace {
class Impl final : public probe::Probe::Server {
 protected:
  kj::Promise<void> whoami(WhoamiContext context) override {
    context.getResults().setPid(static_cast<uint32_t>(legacy_function_that_does_not_exist()));
    return kj::READY_NOW;
  }
};
}  // namespace

BITBRIDGE_COMPONENT(bitbridge::serve<Impl>("undefined-symbol"))
