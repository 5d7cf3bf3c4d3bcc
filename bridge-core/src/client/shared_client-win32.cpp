// Shared hosts (Host::connectShared) on Windows: not available yet, said clearly where they are
// asked for. They are built on Unix sockets with SO_PEERCRED; the Windows counterpart (a named
// pipe with a per-user name and a client-identity check) is listed in docs/windows.md.
#include "bitbridge/error.h"
#include "client/shared_client.h"

namespace bitbridge {

SharedHostConnection connectSharedHost(Runtime&, const SharedHostRequest& request) {
  throw Error(ErrorKind::BadConfiguration,
              "shared hosts (Host::connectShared, '" + request.name +
                  "') are not available on Windows yet",
              "use a private host (Host::spawn), or a COM-activated one (Host::activateCom)");
}

}  // namespace bitbridge
