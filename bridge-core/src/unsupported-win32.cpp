// What bitbridge does not do on Windows yet, said clearly where it is asked for: shared hosts
// (Host::connectShared, a per-user endpoint found by name) and the shared-memory ring transport
// (Transport::SharedMemory). Both are built on POSIX facilities (Unix sockets with SO_PEERCRED,
// eventfd doorbells, memfd); their Windows counterparts (a named pipe with a per-user name, events,
// sections) are listed in docs/windows.md. Everything else of the client and host API works.
#include <fstream>

#include "bitbridge/error.h"
#include "shared_client.h"
#include "shared_endpoint.h"
#include "shm_stream.h"

namespace bitbridge {
namespace {

[[noreturn]] void sharedMemoryTransportUnavailable() {
  throw Error(ErrorKind::BadConfiguration,
              "the shared-memory transport (Transport::SharedMemory) is not available on "
              "Windows yet",
              "leave HostOptions::transport at Transport::Socket (a named pipe on Windows); bulk "
              "buffers (Runtime::allocateBulk) are shared memory on Windows too");
}

}  // namespace

void requireShmTransport() { sharedMemoryTransportUnavailable(); }

SharedHostConnection connectSharedHost(Runtime&, const SharedHostRequest& request) {
  throw Error(ErrorKind::BadConfiguration,
              "shared hosts (Host::connectShared, '" + request.name +
                  "') are not available on Windows yet",
              "use a private host (Host::spawn), or a COM-activated one (Host::activateCom)");
}

std::string readFileTail(const std::string& path, size_t bytes) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return {};
  std::streamoff size = file.tellg();
  std::streamoff start = size > static_cast<std::streamoff>(bytes) ? size - static_cast<std::streamoff>(bytes) : 0;
  file.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  file.read(&text[0], static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  if (start > 0) {
    auto newline = text.find('\n');
    text.erase(0, newline == std::string::npos ? 0 : newline + 1);
  }
  return text;
}

kj::Own<kj::AsyncCapabilityStream> toControlChannel(kj::Own<kj::AsyncIoStream>,
                                                    kj::LowLevelAsyncIoProvider&) {
  sharedMemoryTransportUnavailable();
}

kj::Promise<kj::Own<kj::AsyncIoStream>> offerShmChannel(EventPort&,
                                                        kj::Own<kj::AsyncCapabilityStream>,
                                                        ShmStreamOptions) {
  sharedMemoryTransportUnavailable();
}

kj::Promise<kj::Own<kj::AsyncIoStream>> acceptShmChannel(EventPort&,
                                                         kj::Own<kj::AsyncCapabilityStream>,
                                                         ShmStreamOptions) {
  sharedMemoryTransportUnavailable();
}

}  // namespace bitbridge
