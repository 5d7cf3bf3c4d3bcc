// COM activation on POSIX systems: there is no COM. Host::activateCom says so and names the
// portable way to get a host.
#include "client/com_activation.h"

#include "bitbridge/error.h"

namespace bitbridge {
namespace {

[[noreturn]] void windowsOnly() {
  throw Error(ErrorKind::BadConfiguration, "COM activation exists on Windows only",
              "use Host::spawn (a private host) or Host::connectShared (a shared one)");
}

}  // namespace

ComEndpoint activateComHost(Arch, std::chrono::milliseconds) { windowsOnly(); }

ComHostConnection connectComHost(kj::AsyncIoContext&, Arch, std::chrono::milliseconds) {
  windowsOnly();
}

}  // namespace bitbridge
