// The Bulk.BulkRef parameters of one call of a bound C library (Host::bind): each becomes a C
// pointer to the referenced bytes of the client's shared-memory buffer (Host::allocate), which
// the function reads and writes in place; nothing is copied, whatever the size.
//
// Thread assumption: resolve() runs on the host's RPC thread, before the call is handed to the
// library's thread: fromWire() checks that the segment belongs to the calling connection with
// the registry of that thread (bulk_registry.h), and only the RPC thread sees the message in
// the state that check needs. The BulkArguments then travel with the call to the library's
// thread; their views keep the bytes mapped until the call has returned and they are dropped.
//
// Bitness: a 64-bit host maps whole segments already (a view costs nothing). A 32-bit host maps
// each call's range, up to kMaxBulkArgumentBytes at once (its address space is 2 to 4 GiB):
// a larger reference is refused before anything is mapped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <capnp/dynamic.h>

#include "bitbridge/bulk.h"
#include "host/bind/c_binding_plan.h"

namespace bitbridge {
class BulkRegistry;
}

namespace bitbridge::cbind {

/// The largest reference a host maps for one parameter: all of it in a 64-bit host; 2 GiB in a
/// 32-bit one (whose window for components' views, BulkOptions::windowBytes, is smaller; a C
/// function needs its whole array at one address, so the bind path maps beyond the window).
constexpr uint64_t kMaxBulkArgumentBytes =
    sizeof(void*) == 8 ? UINT64_MAX : (uint64_t{2} << 30);

class BulkArguments {
 public:
  BulkArguments() = default;  // no bulk parameter: allocates nothing
  BulkArguments(BulkArguments&&) noexcept = default;
  BulkArguments& operator=(BulkArguments&&) noexcept = default;

  /// Checks and maps every BulkRef argument of `plan` in `params` (`wheres`: each argument's
  /// "Iface.method: parameter 'x'"). Throws Error naming the method and parameter, before the
  /// library sees anything, for: an unset or empty reference without $nullable (NULL), a
  /// segment of another connection (MalformedPeer, from fromWire), an offset or length that is
  /// not a multiple of $elementSize, more than kMaxBulkArgumentBytes in a 32-bit host, an
  /// unknown segment, a range outside it, a segment the client shrank (MalformedPeer, from the
  /// registry), a mapping the address space has no room for. `registry` null: a dry run
  /// (dryRunCall, the fuzz target), every check but the registry's, no mapping, null pointers.
  static BulkArguments resolve(const FunctionPlan& plan, const std::vector<std::string>& wheres,
                               capnp::DynamicStruct::Reader params, BulkRegistry* registry);

  /// Argument `index`'s C pointer (null: $nullable and unset or empty, or a dry run) and its
  /// length in bytes. Only for BulkRef arguments.
  void* pointer(size_t index) const { return args_[index].pointer; }
  uint64_t bytes(size_t index) const { return args_[index].bytes; }

 private:
  struct Mapped {
    void* pointer = nullptr;
    uint64_t bytes = 0;
  };
  std::vector<Mapped> args_;     // by argument index (every argument has a slot)
  std::vector<BulkView> views_;  // the mappings the pointers point into
};

}  // namespace bitbridge::cbind
