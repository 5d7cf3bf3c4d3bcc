// Opaque pointers of a bound C library (c.capnp $handle) as tokens: the client never sees a host
// pointer, and a token this table did not hand out, handed out for another kind, or already
// released is refused before the library sees it.
//
// Lifetime: one table per binding (Host::bind call), so one client cannot use another's tokens
// even in a shared host. Thread assumption: any thread; calls of a $calls(pool) library overlap,
// so every member locks.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/cabi/c_values.h"  // HandleCodec

namespace bitbridge::cbind {

class HandleTable final : public HandleCodec {
 public:
  HandleTable();

  /// The token for `pointer` of `kind`: 0 for NULL; the same token again for a pointer the
  /// table already holds under that kind (a library that returns one object twice).
  uint64_t tokenFor(const std::string& kind, void* pointer) override;

  /// The pointer behind `token`; 0 is NULL when `nullable`. Throws Error{BadConfiguration}
  /// naming `where` for 0 when not nullable, an unknown or released token, or another kind.
  void* pointerFor(const std::string& kind, uint64_t token, bool nullable,
                   const std::string& where) const override;

  /// Forgets `token` (the library freed what it stood for); later uses are refused.
  void release(uint64_t token);

 private:
  mutable std::mutex mutex_;
  struct Entry {
    std::string kind;
    void* pointer;
  };
  std::unordered_map<uint64_t, Entry> byToken_;
  std::map<std::pair<std::string, void*>, uint64_t> byPointer_;
  uint64_t next_;  // starts at a random value: tokens say nothing about pointers or order
};

}  // namespace bitbridge::cbind
