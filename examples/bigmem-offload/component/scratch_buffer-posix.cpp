// ScratchBuffer on Linux: anonymous private memory. Transparent huge pages are requested: the
// buffer is written once per pass in long runs, and 2 MiB pages mean 512 times fewer page
// faults and TLB misses than 4 KiB pages.
#include "scratch_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include <kj/exception.h>
#include <kj/string.h>

namespace bigmem {

ScratchBuffer::ScratchBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes_ == 0) return;
  void* memory = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    int error = errno;
    // kj::Exception directly: KJ_FAIL_REQUIRE would print its arguments as debug pairs.
    kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                          kj::str("bigmem: cannot allocate a scratch buffer of ",
                                                  bytes_, " bytes: ", strerror(error))));
  }
  madvise(memory, bytes_, MADV_HUGEPAGE);  // advice only: fine if THP is off
  data_ = static_cast<uint32_t*>(memory);
}

ScratchBuffer::~ScratchBuffer() {
  if (data_ != nullptr) munmap(data_, bytes_);
}

}  // namespace bigmem
