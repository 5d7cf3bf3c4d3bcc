// COM activation on POSIX systems: there is no COM. Host::activateCom says so and names the
// portable way to get a host; a StartOrder naming COM is refused before this is reached
// (start_order.cpp asks comActivationAvailable()).
#include "client/com_activation.h"

#include "bitbridge/error.h"
#include "common/process/child_process.h"

namespace bitbridge {
namespace {

[[noreturn]] void windowsOnly() {
  throw Error(ErrorKind::BadConfiguration, "COM activation exists on Windows only",
              "use Host::spawn (a private host) or Host::connectShared (a shared one)");
}

}  // namespace

bool comActivationAvailable() { return false; }

ComEndpoint activateComHost(Arch, std::chrono::milliseconds) { windowsOnly(); }

ComHostConnection connectComHost(kj::AsyncIoContext&, Arch, const ComEndpoint&,
                                 std::chrono::milliseconds,
                                 std::function<void(const std::string&)>) {
  windowsOnly();
}

kj::Own<kj::AsyncIoStream> connectComHeartbeat(kj::AsyncIoContext&, const ComEndpoint&,
                                               std::chrono::milliseconds, const std::string&) {
  windowsOnly();
}

}  // namespace bitbridge
