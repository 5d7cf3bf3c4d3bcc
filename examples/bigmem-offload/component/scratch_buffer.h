// The bigmem component's private scratch space: as large as the key array (gigabytes), written
// once per radix pass in long runs, never shared. Platform code in scratch_buffer-posix.cpp
// (mmap, transparent huge pages requested) and scratch_buffer-win32.cpp (VirtualAlloc).
//
// Lifetime: the memory is released when the ScratchBuffer goes. Thread: any; not shared.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bigmem {

class ScratchBuffer {
 public:
  /// Reserves and commits `bytes` of private memory (zero bytes: none). Throws kj::Exception
  /// naming the size and the system's reason when the memory is not there.
  explicit ScratchBuffer(size_t bytes);
  ~ScratchBuffer();
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;

  uint32_t* data() const { return data_; }

 private:
  size_t bytes_;
  uint32_t* data_ = nullptr;
};

}  // namespace bigmem
