// tryReserveAddressSpace on POSIX: an anonymous PROT_NONE + MAP_NORESERVE mapping.
#include "address_space.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace wide_math_example {

std::string tryReserveAddressSpace(uint64_t bytes) {
  auto size = static_cast<size_t>(bytes);
  void* region = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) {
    int error = errno;
    return std::string("mmap: ") + std::strerror(error);
  }
  munmap(region, size);
  return std::string();
}

}  // namespace wide_math_example
