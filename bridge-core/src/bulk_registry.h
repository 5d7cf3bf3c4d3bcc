// The segments a host has attached, resolved for components (BulkAccess).
//
// Lifetime: owned by the host's main, outliving the RPC system, like the component registry.
// Threads: attach/detach run on the RPC thread; view() may be called by components from any
// thread, hence the mutex (held only for the lookup, never while mapping).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bitbridge/bulk.h"

namespace bitbridge {

class BulkSegment;

class BulkRegistry final : public BulkAccess {
 public:
  explicit BulkRegistry(BulkOptions options = {}) : options_(options) {}

  /// Opens a client's segment by name (see BulkSegment::open) and registers it under the id
  /// in its header. Throws Error (MalformedPeer for a duplicate id).
  std::shared_ptr<BulkSegment> attach(const std::string& name);
  /// Forgets a segment; views already made stay valid. Unknown ids are ignored.
  void detach(uint64_t segmentId);
  size_t size() const;

  BulkView view(const BulkRef& ref) override;
  void forEachWindow(const BulkRef& ref, uint64_t windowBytes, const BulkWindowFn& fn) override;

 private:
  std::shared_ptr<BulkSegment> find(uint64_t segmentId) const;

  BulkOptions options_;
  mutable std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<BulkSegment>> segments_;
};

}  // namespace bitbridge
