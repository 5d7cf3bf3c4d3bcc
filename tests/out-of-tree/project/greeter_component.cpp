// The bitbridge component wrapping the greeter library. Built 32-bit and 64-bit (CMakeLists.txt)
// and loaded by bitbridge-host32 or -host64; the client reaches it over Cap'n Proto RPC.
#include <string>
#include <vector>

#include <bitbridge/component.h>
#include <bitbridge/error.h>
#include <kj/debug.h>

#include "greeter.capnp.h"
#include "greeter.h"

class GreeterImpl final : public greeter::Greeter::Server {
 protected:
  kj::Promise<void> shout(ShoutContext context) override {
    auto text = context.getParams().getText();
    std::vector<char> buffer(text.size() + 1);
    if (greeter_shout(text.cStr(), buffer.data(), static_cast<int32_t>(buffer.size())) < 0) {
      KJ_FAIL_REQUIRE("greeter_shout failed");
    }
    context.getResults().setShouted(buffer.data());
    return kj::READY_NOW;
  }

  // Thrown through this DLL, bitbridge-core and the host's RPC loop: on Windows that works only
  // with the mingw runtime linked as DLLs (docs/windows.md), which is what this test is about.
  kj::Promise<void> refuse(RefuseContext context) override {
    throw bitbridge::Error(bitbridge::ErrorKind::NotFound,
                           std::string("no greeting for '") + context.getParams().getText().cStr() + "'",
                           "ask for another greeting");
  }

  kj::Promise<void> bits(BitsContext context) override {
    context.getResults().setPointerBits(static_cast<uint8_t>(greeter_bits()));
    return kj::READY_NOW;
  }
};

BITBRIDGE_COMPONENT(bitbridge::serve<GreeterImpl>("greeter"))
