// The counter a shared host keeps for all its clients. Built 32-bit (bitbridge-host32).
//
// The count is a plain member: there is nothing shared-memory or static about it. It is
// shared because a shared host creates ONE CounterImpl, on the first activate("counter"), and
// hands that instance to every client, 32-bit and 64-bit alike (like a COM LocalServer
// registered REGCLS_MULTIPLEUSE). In a private host (Host::spawn) each activation gets a fresh
// CounterImpl starting at 0.
// Lifetime: until the host exits. Threading: created and called on the host's RPC thread only,
// so the count needs no lock.
#include <unistd.h>

#include <cstdint>

#include <bitbridge/component.h>

#include "counter.capnp.h"

class CounterImpl final : public shared_counter::Counter::Server {
 protected:
  kj::Promise<void> increment(IncrementContext context) override {
    count_ += context.getParams().getBy();
    context.getResults().setCount(count_);
    return kj::READY_NOW;
  }

  kj::Promise<void> get(GetContext context) override {
    auto results = context.getResults();
    results.setCount(count_);
    results.setHostPid(static_cast<uint32_t>(::getpid()));
    results.setPointerBits(static_cast<uint8_t>(sizeof(void*) * 8));
    return kj::READY_NOW;
  }

 private:
  int64_t count_ = 0;
};

BITBRIDGE_COMPONENT(bitbridge::serve<CounterImpl>("counter"))
