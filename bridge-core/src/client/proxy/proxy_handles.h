// The opaque pointers a drop-in proxy hands its caller for the host's handle tokens
// ($C.handle): a pointer-sized stand-in per token, since a 64-bit token does not fit a 32-bit
// program's pointer and the program must never see a host pointer anyway. The stand-ins are
// never dereferenced by a correct program (the vendor's type is opaque to it). Used on the
// proxy's thread only, so unlocked; cleared when a new host replaces a dead one (its tokens
// died with it, and a stale stand-in is then refused by name rather than sent).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

namespace bitbridge::proxy {

class HandleTable {
 public:
  /// The stand-in for `token` (the same one for the same token); nullptr for token 0.
  void* pointerFor(uint64_t token);
  /// The token a stand-in stands for: 0 for nullptr, nothing for a pointer this table did not
  /// hand out (or released).
  std::optional<uint64_t> tokenFor(const void* pointer) const;
  void release(const void* pointer);
  void clear();

 private:
  std::unordered_map<uintptr_t, uint64_t> tokens_;
  std::unordered_map<uint64_t, uintptr_t> pointers_;
  // Stand-ins are 16-aligned like malloc's pointers, far from 0, and never reused.
  uintptr_t next_ = 0x10000;
};

}  // namespace bitbridge::proxy
