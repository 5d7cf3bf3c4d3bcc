// The bench component: one class, "bench-null", whose ping does nothing. Built for both
// bitnesses so that the harness can measure a null call in either direction.
#include <bitbridge/component.h>

#include "bench.capnp.h"

namespace {

class NullImpl final : public bitbridge_bench::Null::Server {
 protected:
  kj::Promise<void> ping(PingContext) override { return kj::READY_NOW; }
};

}  // namespace

BITBRIDGE_COMPONENT(bitbridge::serve<NullImpl>("bench-null"))
