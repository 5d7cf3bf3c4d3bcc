// Links against libprobe_dependency.so, which is built into a directory the loader does not
// search: loading it must fail with dlerror()'s own words naming that library.
#include <bitbridge/component.h>

#include "probe.capnp.h"

extern "C" int probe_dependency_value(void);

namespace {
class Impl final : public probe::Probe::Server {
 protected:
  kj::Promise<void> whoami(WhoamiContext context) override {
    context.getResults().setPid(static_cast<uint32_t>(probe_dependency_value()));
    return kj::READY_NOW;
  }
};
}  // namespace

BITBRIDGE_COMPONENT(bitbridge::serve<Impl>("missing-dependency"))
