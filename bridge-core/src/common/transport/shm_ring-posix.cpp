// The shared-memory segment on Linux: an anonymous, sealed memfd. It has no name anywhere (not
// in /dev/shm), so only a process it is handed to (SCM_RIGHTS over the private channel) can
// map it, and it disappears when the last descriptor and mapping are gone.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string>

#include "bitbridge/error.h"
#include "common/platform/system_error_text.h"
#include "common/transport/shm_ring.h"

namespace bitbridge {
namespace {

constexpr int kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW;

[[noreturn]] void systemFailure(const char* call) {
  int error = errno;
  throw Error(ErrorKind::BadConfiguration,
              std::string("shared-memory channel: ") + call + " failed: " + errnoText(error),
              "the system may be out of memory or descriptors; or use the socket transport");
}

}  // namespace

using shm_segment::badSegment;

ShmSegment ShmSegment::create(uint32_t ringCapacity) {
  shm_segment::checkCapacity(ringCapacity);
  uint64_t size = shmSegmentBytes(ringCapacity);
  kj::AutoCloseFd fd(::memfd_create("bitbridge-channel", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd.get() < 0) systemFailure("memfd_create");
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) systemFailure("ftruncate");
  if (::fcntl(fd.get(), F_ADD_SEALS, kRequiredSeals | F_SEAL_SEAL) != 0) {
    systemFailure("F_ADD_SEALS");
  }
  void* base = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED,
                      fd.get(), 0);
  if (base == MAP_FAILED) systemFailure("mmap");
  shm_segment::writeHeader(base, ringCapacity, static_cast<uint32_t>(::getpid()));
  return ShmSegment(kj::mv(fd), base, size, ringCapacity);
}

ShmSegment ShmSegment::open(kj::AutoCloseFd fd) {
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) badSegment("descriptor is not open");
  if (!S_ISREG(st.st_mode)) badSegment("is not a memory file");
  int seals = ::fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0 || (seals & kRequiredSeals) != kRequiredSeals) {
    badSegment("is not sealed against shrinking and growing");
  }
  uint64_t fileBytes = static_cast<uint64_t>(st.st_size);
  if (fileBytes < kShmDataOffset || fileBytes > shmSegmentBytes(kShmMaxRingCapacity)) {
    badSegment("has an impossible size (" + std::to_string(fileBytes) + " bytes)");
  }

  // Read the header from a private copy: the peer may change the shared one while we look.
  ShmSegmentHeader header;
  if (::pread(fd.get(), &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) {
    badSegment("header cannot be read");
  }
  uint32_t capacity = shm_segment::validateHeader(header, fileBytes);
  uint64_t size = shmSegmentBytes(capacity);

  void* base = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED,
                      fd.get(), 0);
  if (base == MAP_FAILED) {
    // Thrown as kj, like everything else here: the caller is a promise chain.
    int error = errno;
    throwAsKj(Error(ErrorKind::BadConfiguration,
                    "shared-memory channel: mmap of " + std::to_string(size) +
                        " bytes failed: " + errnoText(error),
                    "the process may be out of address space; or use the socket transport"));
  }
  ShmSegment segment(kj::mv(fd), base, size, capacity);
  shm_segment::checkUnused(segment);
  return segment;
}

void ShmSegment::release() {
  if (base_ != nullptr) ::munmap(base_, static_cast<size_t>(size_));
  base_ = nullptr;
}

}  // namespace bitbridge
