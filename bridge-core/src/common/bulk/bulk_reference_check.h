// Who may use a bulk reference read from a message: fromWire() (bitbridge/bulk.h) asks the check
// installed on the calling thread, if any. A host installs its BulkRegistry on its RPC thread
// (host/bulk_registry.h: in a shared host a client may use only the segments it attached); a
// client installs none, so its fromWire() checks nothing.
// Threads: the installed check is per thread (thread_local); a scope restores the previous one.
#pragma once

#include <cstdint>
#include "common/internal_api.h"

namespace bitbridge {

class BITBRIDGE_INTERNAL_API BulkReferenceCheck {
 public:
  /// Throws Error{MalformedPeer} if segment `segmentId`, named by the message bytes at
  /// `wireBytes`, does not belong to the connection that sent that message.
  virtual void checkReference(const void* wireBytes, uint64_t segmentId) const = 0;

 protected:
  ~BulkReferenceCheck() = default;
};

/// Installs `check` on this thread for the scope's lifetime.
class BITBRIDGE_INTERNAL_API BulkReferenceCheckScope {
 public:
  explicit BulkReferenceCheckScope(const BulkReferenceCheck& check);
  ~BulkReferenceCheckScope();
  BulkReferenceCheckScope(const BulkReferenceCheckScope&) = delete;
  BulkReferenceCheckScope& operator=(const BulkReferenceCheckScope&) = delete;

  /// The check installed on this thread, or null.
  static const BulkReferenceCheck* current();

 private:
  const BulkReferenceCheck* previous_;
};

/// fromWire()'s check: runs this thread's check, if one is installed.
BITBRIDGE_INTERNAL_API void checkBulkReferenceOrigin(const void* wireBytes, uint64_t segmentId);

}  // namespace bitbridge

