// ScratchBuffer on Windows: VirtualAlloc'd private memory, committed at once so that running
// out of commit is an error here and not an access violation in the middle of a pass. (Large
// pages would need SeLockMemoryPrivilege, which a user's process does not hold.)
#include "scratch_buffer.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <kj/exception.h>
#include <kj/string.h>

namespace bigmem {

ScratchBuffer::ScratchBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes_ == 0) return;
  void* memory = ::VirtualAlloc(nullptr, bytes_, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  if (memory == nullptr) {
    DWORD error = ::GetLastError();
    // kj::Exception directly: KJ_FAIL_REQUIRE would print its arguments as debug pairs.
    kj::throwFatalException(kj::Exception(
        kj::Exception::Type::FAILED, __FILE__, __LINE__,
        kj::str("bigmem: cannot allocate a scratch buffer of ", bytes_, " bytes: Windows error ",
                error, " (more than the commit limit, RAM plus page file, has left)")));
  }
  data_ = static_cast<uint32_t*>(memory);
}

ScratchBuffer::~ScratchBuffer() {
  if (data_ != nullptr) ::VirtualFree(data_, 0, MEM_RELEASE);
}

}  // namespace bigmem
