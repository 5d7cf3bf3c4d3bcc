// The shared-memory segment on Windows: an unnamed, committed, pagefile-backed section. It has no
// name in any namespace, so only a process that is given a handle to it can map it (the host
// duplicates the client's handle out of the client process: shm_stream-win32.cpp), and it is
// gone when the last handle and view close.
//
// What the Linux seals guard against does not arise here: a section cannot shrink, and pages
// of a mapped view of a committed section cannot be decommitted or unmapped by another
// process. What can be wrong with a section the peer hands over is checked in open(): one
// created with SEC_RESERVE whose pages were never committed (touching them would fault), or one
// of another size than its header says.
#include <windows.h>

#include <cstring>
#include <string>

#include "bitbridge/error.h"
#include "common/platform/text-win32.h"
#include "common/transport/shm_ring.h"

namespace bitbridge {
namespace {

using shm_segment::badSegment;

[[noreturn]] void systemFailure(const char* call) {
  std::string why = lastWin32ErrorText();
  throw Error(ErrorKind::BadConfiguration,
              std::string("shared-memory channel: ") + call + " failed: " + why,
              "the system may be out of memory or address space; or use the pipe transport "
              "(Transport::Socket)");
}

}  // namespace

ShmSegment ShmSegment::create(uint32_t ringCapacity) {
  shm_segment::checkCapacity(ringCapacity);
  uint64_t size = shmSegmentBytes(ringCapacity);
  // Default security (the creator's token: the user), not inheritable, no name.
  UniqueHandle section(::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr,
                                            PAGE_READWRITE | SEC_COMMIT,
                                            static_cast<DWORD>(size >> 32),
                                            static_cast<DWORD>(size), nullptr));
  if (!section.valid()) systemFailure("CreateFileMapping");
  void* base = ::MapViewOfFile(section.get(), FILE_MAP_READ | FILE_MAP_WRITE, 0, 0,
                               static_cast<SIZE_T>(size));
  if (base == nullptr) systemFailure("MapViewOfFile");
  shm_segment::writeHeader(base, ringCapacity, static_cast<uint32_t>(::GetCurrentProcessId()));
  return ShmSegment(kj::mv(section), base, size, ringCapacity);
}

ShmSegment ShmSegment::open(UniqueHandle section) {
  if (!section.valid()) badSegment("handle is not open");
  // The whole section: its size is what the view's size says.
  void* base = ::MapViewOfFile(section.get(), FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
  if (base == nullptr) {
    badSegment("cannot be mapped for reading and writing (" + lastWin32ErrorText() +
               "): not a section, too large, or a handle without that access");
  }
  // From here `segment` unmaps on every way out; its size and capacity are filled in once known.
  ShmSegment segment(kj::mv(section), base, 0, 0);
  MEMORY_BASIC_INFORMATION region{};
  if (::VirtualQuery(base, &region, sizeof(region)) != sizeof(region) ||
      region.BaseAddress != base || region.Type != MEM_MAPPED) {
    badSegment("view cannot be inspected");
  }
  // One region of committed read-write pages from the base: a region ends where the pages'
  // state changes, so a view that is not committed throughout reports a shorter one.
  if (region.State != MEM_COMMIT || (region.Protect & PAGE_READWRITE) == 0) {
    badSegment("is not committed read-write memory");
  }
  uint64_t committedBytes = region.RegionSize;
  if (committedBytes < sizeof(ShmSegmentHeader)) badSegment("is too small for its header");

  // Read the header from a private copy: the peer may change the shared one while we look.
  ShmSegmentHeader header;
  std::memcpy(&header, base, sizeof(header));
  uint32_t capacity = shm_segment::validateHeader(header, committedBytes);
  segment.size_ = shmSegmentBytes(capacity);
  segment.capacity_ = capacity;
  shm_segment::checkUnused(segment);
  return segment;
}

void ShmSegment::release() {
  if (base_ != nullptr) ::UnmapViewOfFile(base_);
  base_ = nullptr;
}

}  // namespace bitbridge
