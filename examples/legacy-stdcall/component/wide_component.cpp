// The reverse direction of the example: a 64-bit component (bitbridge-host64) that a 32-bit
// program calls for what it cannot do itself, here holding more address space than 4 GiB.
//
// Lifetime: one WideHelperImpl per activation, stateless. Threading: the host's RPC thread.
#include <windows.h>

#include <cstdint>

#include <bitbridge/component.h>
#include <kj/exception.h>
#include <kj/string.h>

#include "stdcall.capnp.h"

class WideHelperImpl final : public legacy_stdcall::WideHelper::Server {
 protected:
  kj::Promise<void> info(InfoContext context) override {
    auto results = context.getResults();
    results.setPointerBits(static_cast<uint8_t>(sizeof(void*) * 8));
    results.setHostPid(static_cast<uint32_t>(::GetCurrentProcessId()));
    return kj::READY_NOW;
  }

  kj::Promise<void> reserve(ReserveContext context) override {
    uint64_t bytes = context.getParams().getBytes();
    // Reserved, never committed: costs address space only, not memory.
    void* region = bytes > SIZE_MAX ? nullptr
                                    : ::VirtualAlloc(nullptr, static_cast<SIZE_T>(bytes),
                                                     MEM_RESERVE, PAGE_NOACCESS);
    if (region == nullptr) {
      kj::throwFatalException(
          kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                        kj::str("wide-helper: reserving ", bytes, " bytes failed (error ",
                                ::GetLastError(), ")")));
    }
    ::VirtualFree(region, 0, MEM_RELEASE);
    context.getResults().setReserved(bytes);
    return kj::READY_NOW;
  }
};

BITBRIDGE_COMPONENT(bitbridge::serve<WideHelperImpl>("wide-helper"))
