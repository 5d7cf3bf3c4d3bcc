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

bool isPowerOfTwo(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

[[noreturn]] void systemFailure(const char* call) {
  int error = errno;
  throw Error(ErrorKind::BadConfiguration,
              std::string("shared-memory channel: ") + call + " failed: " + errnoText(error),
              "the system may be out of memory or descriptors; or use the socket transport");
}

[[noreturn]] void badSegment(const std::string& why) {
  throwAsKj(Error(ErrorKind::MalformedPeer, "shared-memory channel: the peer's segment " + why,
                  "the peer is not a bitbridge peer of this version, or it is broken"));
}

}  // namespace

ShmSegment ShmSegment::create(uint32_t ringCapacity) {
  if (!isPowerOfTwo(ringCapacity) || ringCapacity < kShmMinRingCapacity ||
      ringCapacity > kShmMaxRingCapacity) {
    throw Error(ErrorKind::BadConfiguration,
                "shared-memory ring capacity " + std::to_string(ringCapacity) +
                    " is not a power of two between " + std::to_string(kShmMinRingCapacity) +
                    " and " + std::to_string(kShmMaxRingCapacity));
  }
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

  // A fresh memfd reads as zeros: counters and flags start at 0. Start the objects' lifetime
  // explicitly all the same, then fill in the header.
  auto* layout = new (base) ShmSegmentLayout{};
  std::memcpy(layout->header.magic, kShmMagic, sizeof(kShmMagic));
  layout->header.version = kShmVersion;
  layout->header.dataOffset = kShmDataOffset;
  layout->header.ringCapacity = ringCapacity;
  layout->header.ringCount = kShmRingCount;
  layout->header.segmentBytes = size;
  layout->header.creatorPid = static_cast<uint32_t>(::getpid());
  layout->header.creatorPointerBits = static_cast<uint8_t>(sizeof(void*) * 8);
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
  if (std::memcmp(header.magic, kShmMagic, sizeof(kShmMagic)) != 0) badSegment("has a bad magic");
  if (header.version != kShmVersion) {
    badSegment("has version " + std::to_string(header.version) + ", this build speaks " +
               std::to_string(kShmVersion));
  }
  if (header.dataOffset != kShmDataOffset || header.ringCount != kShmRingCount) {
    badSegment("has an unexpected layout");
  }
  uint32_t capacity = header.ringCapacity;
  if (!isPowerOfTwo(capacity) || capacity < kShmMinRingCapacity || capacity > kShmMaxRingCapacity) {
    badSegment("has a bad ring capacity (" + std::to_string(capacity) + ")");
  }
  uint64_t size = shmSegmentBytes(capacity);
  if (header.segmentBytes != size || fileBytes != size) {
    badSegment("size does not match its header (" + std::to_string(fileBytes) + " bytes, header " +
               std::to_string(header.segmentBytes) + ", expected " + std::to_string(size) + ")");
  }

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
  for (unsigned i = 0; i < kShmRingCount; ++i) {
    ShmRingControl& ring = segment.control(i);
    if (ring.head.load() != 0 || ring.tail.load() != 0 || ring.writerClosed.load() != 0 ||
        ring.readerClosed.load() != 0) {
      badSegment("was used before it was handed over");
    }
  }
  return segment;
}

ShmSegment::ShmSegment(ShmSegment&& other) noexcept
    : fd_(kj::mv(other.fd_)), base_(other.base_), size_(other.size_), capacity_(other.capacity_) {
  other.base_ = nullptr;
}

ShmSegment& ShmSegment::operator=(ShmSegment&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = kj::mv(other.fd_);
    base_ = other.base_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.base_ = nullptr;
  }
  return *this;
}

ShmSegment::~ShmSegment() { release(); }

void ShmSegment::release() {
  if (base_ != nullptr) ::munmap(base_, static_cast<size_t>(size_));
  base_ = nullptr;
}

}  // namespace bitbridge
