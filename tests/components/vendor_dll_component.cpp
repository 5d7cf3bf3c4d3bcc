// Wraps VendorCalc.dll (vendor_calc.cpp), a DLL that came without an import library:
// bitbridge_add_component made one from its exports and copied the DLL next to this component.
// whoami answers with what the DLL computes: pid 42 (= vendor_calc_add(VendorCalcTwice(20), 2),
// a cdecl call and an undecorated __stdcall one) and the DLL's own pointer size. Windows only.
#include <bitbridge/component.h>

#include "probe.capnp.h"

extern "C" {
int vendor_calc_add(int a, int b);
long __stdcall VendorCalcTwice(long value);  // STDCALL_EXPORTS VendorCalcTwice@4 (32-bit)
int vendor_calc_bits(void);
}

namespace {
class Impl final : public probe::Probe::Server {
 protected:
  kj::Promise<void> whoami(WhoamiContext context) override {
    auto results = context.getResults();
    results.setPid(static_cast<uint32_t>(vendor_calc_add(static_cast<int>(VendorCalcTwice(20)), 2)));
    results.setPointerBits(static_cast<uint8_t>(vendor_calc_bits()));
    return kj::READY_NOW;
  }
};
}  // namespace

BITBRIDGE_COMPONENT(bitbridge::serve<Impl>("vendor-dll"))
