#include "bulk_registry.h"

#include "bitbridge/error.h"
#include "bulk_segment.h"

namespace bitbridge {
namespace {

std::string describe(const BulkRef& ref) {
  return "bulk reference to segment " + std::to_string(ref.segment);
}

}  // namespace

std::shared_ptr<BulkSegment> BulkRegistry::attach(const std::string& name) {
  auto segment = BulkSegment::open(name, options_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!segments_.emplace(segment->id(), segment).second) {
    throw Error(ErrorKind::MalformedPeer,
                "bulk segment " + name + " reuses id " + std::to_string(segment->id()) +
                    " of a segment already attached");
  }
  return segment;
}

void BulkRegistry::detach(uint64_t segmentId) {
  std::lock_guard<std::mutex> lock(mutex_);
  segments_.erase(segmentId);
}

size_t BulkRegistry::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return segments_.size();
}

std::shared_ptr<BulkSegment> BulkRegistry::find(uint64_t segmentId) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = segments_.find(segmentId);
  if (it == segments_.end()) {
    throw Error(ErrorKind::MalformedPeer,
                "bulk reference names segment " + std::to_string(segmentId) +
                    ", which is not attached to this host",
                "allocate buffers with Host::allocate on the same host, and keep the "
                "BulkBuffer alive while references to it are in use");
  }
  return it->second;
}

BulkView BulkRegistry::view(const BulkRef& ref) {
  return find(ref.segment)->view(ref.offset, ref.length, describe(ref));
}

void BulkRegistry::forEachWindow(const BulkRef& ref, uint64_t windowBytes, const BulkWindowFn& fn) {
  find(ref.segment)->forEachWindow(ref.offset, ref.length, windowBytes, fn, describe(ref));
}

}  // namespace bitbridge
