// The shared-memory ring transport (Transport::SharedMemory) on Windows: not available yet, said
// clearly where it is asked for. It is built on POSIX facilities (eventfd doorbells, memfd, fd
// passing); the Windows counterparts (events, sections, handle duplication) are listed in
// docs/windows.md. Bulk buffers are shared memory on Windows too (bulk_segment-win32.cpp).
#include "bitbridge/error.h"
#include "common/transport/shm_stream.h"

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
