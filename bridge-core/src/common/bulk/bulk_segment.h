// A bulk-data segment as one process sees it: the shared-memory object, its validated header,
// an optional whole-segment mapping, and bounds-checked views.
//
// Lifetime and names: the creator makes the object under a random name
// ("bitbridge-<pid>-<random>") with O_EXCL and mode 0600; the peer opens it by that name and
// removes the name at once, and the creator removes it too once the peer has answered. A name
// thus exists only for one round trip; names of processes that died in that window are
// removed by removeStaleBulkNames(). Memory is freed when both sides have unmapped it.
// Threads: a segment's methods may be called from any thread once constructed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bitbridge/bulk.h"
#include "common/internal_api.h"

namespace bitbridge {

// Marked one by one as well: bitbridge/bulk.h declares the class first, outside the region, and
// a class keeps the visibility of its first declaration.
class BITBRIDGE_API BulkSegment {
 public:
  /// Creates a new segment with `dataBytes` of zeroed data. Throws Error{BadConfiguration}
  /// when the system refuses (e.g. /dev/shm too small), naming the size.
  static std::shared_ptr<BulkSegment> create(uint64_t dataBytes, const BulkOptions& options);
  /// Opens a peer's segment by name, validates its header against the real file size, and
  /// removes the name. Throws Error{MalformedPeer} / Error{NotFound}.
  static std::shared_ptr<BulkSegment> open(const std::string& name, const BulkOptions& options);

  virtual ~BulkSegment() = default;
  virtual const std::string& name() const = 0;
  virtual uint64_t id() const = 0;
  virtual uint64_t dataBytes() const = 0;
  /// Removes the name if it still exists (idempotent).
  virtual void removeName() = 0;
  /// Maps [offset, offset + length) of the data area after checking the range and that the
  /// object has not been truncated since it was validated; in a 32-bit process a range larger
  /// than the window is refused (Error{BadConfiguration}).
  BulkView view(uint64_t offset, uint64_t length, const std::string& what) {
    return mapView(offset, length, windowBytes_, what);
  }
  /// The same with another limit than the window for a 32-bit process: for a C function that
  /// needs the whole range at one address (Host::bind's bulk parameters, c_bulk_args.h).
  /// 64-bit processes map whole segments and ignore `maxBytes`.
  virtual BulkView mapView(uint64_t offset, uint64_t length, uint64_t maxBytes,
                           const std::string& what) = 0;

  /// Streams through [offset, offset + length) in windows of at most `windowBytes`.
  void forEachWindow(uint64_t offset, uint64_t length, uint64_t windowBytes,
                     const BulkWindowFn& fn, const std::string& what);
  uint64_t defaultWindow() const { return windowBytes_; }

 protected:
  explicit BulkSegment(uint64_t windowBytes) : windowBytes_(windowBytes) {}
  uint64_t windowBytes_;
};

/// Removes /dev/shm names of bitbridge segments whose creator process no longer exists.
/// Returns how many it removed. Cheap; called when a Runtime starts (only clients create names).
BITBRIDGE_INTERNAL_API int removeStaleBulkNames();

/// Prefix of every bitbridge segment name.
inline constexpr const char* kBulkNamePrefix = "bitbridge-";

}  // namespace bitbridge

