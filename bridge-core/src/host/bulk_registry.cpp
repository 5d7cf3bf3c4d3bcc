#include "host/bulk_registry.h"

#include "bitbridge/error.h"
#include "common/bulk/bulk_segment.h"
#include "wire/bulk_layout.h"

namespace bitbridge {
namespace {

std::string describe(const BulkRef& ref) {
  return "bulk reference to segment " + std::to_string(ref.segment);
}

}  // namespace

void BulkRegistry::noteMessage(const void* begin, const void* end, uint64_t owner) {
  std::lock_guard<std::mutex> lock(mutex_);
  origins_[reinterpret_cast<uintptr_t>(begin)] = Origin{reinterpret_cast<uintptr_t>(end), owner};
}

void BulkRegistry::forgetMessage(const void* begin) {
  std::lock_guard<std::mutex> lock(mutex_);
  origins_.erase(reinterpret_cast<uintptr_t>(begin));
}

void BulkRegistry::checkReference(const void* wireBytes, uint64_t segmentId) const {
  auto at = reinterpret_cast<uintptr_t>(wireBytes);
  std::lock_guard<std::mutex> lock(mutex_);
  auto origin = origins_.upper_bound(at);
  if (origin == origins_.begin()) return;
  --origin;
  if (at >= origin->second.end) return;  // not in an incoming message
  auto segment = segments_.find(segmentId);
  if (segment == segments_.end() || segment->second.owner == origin->second.owner) return;
  throw Error(ErrorKind::MalformedPeer,
              "bulk reference names segment " + std::to_string(segmentId) +
                  ", which another connection attached; a client may use only the buffers it "
                  "allocated itself",
              "allocate the buffer with Host::allocate on the Host that makes the call");
}

std::shared_ptr<BulkSegment> BulkRegistry::attach(const std::string& name, uint64_t owner) {
  auto segment = BulkSegment::open(name, options_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!segments_.emplace(segment->id(), Attached{segment, owner}).second) {
    throw Error(ErrorKind::MalformedPeer,
                "bulk segment " + name + " reuses id " + std::to_string(segment->id()) +
                    " of a segment already attached");
  }
  return segment;
}

void BulkRegistry::detach(uint64_t segmentId) {
  BindMapping dropped;  // unmapped after the lock is released
  std::lock_guard<std::mutex> lock(mutex_);
  segments_.erase(segmentId);
  if (bindMapping_.segment && bindMapping_.segment->id() == segmentId) {
    dropped = std::move(bindMapping_);
    bindMapping_ = {};
  }
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
  return it->second.segment;
}

BulkView BulkRegistry::view(const BulkRef& ref) {
  return find(ref.segment)->view(ref.offset, ref.length, describe(ref));
}

BulkView BulkRegistry::viewAtOnce(const BulkRef& ref, uint64_t maxBytes) {
  std::shared_ptr<BulkSegment> segment = find(ref.segment);
  std::string what = describe(ref);
  // A 64-bit process, or a segment mapped whole at attach, or one too large to map whole: the
  // segment's own view (free in the first two cases).
  if (sizeof(void*) == 8 || segment->dataBytes() <= segment->defaultWindow() ||
      segment->dataBytes() > maxBytes || ref.length == 0) {
    return segment->mapView(ref.offset, ref.length, maxBytes, what);
  }
  // The checks every view makes: the range, and (a zero-length view maps nothing) that the
  // client has not shrunk the segment since.
  checkBulkRange(ref.offset, ref.length, segment->dataBytes(), what);
  segment->mapView(ref.offset, 0, maxBytes, what);
  std::shared_ptr<BulkView> whole;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (bindMapping_.segment == segment) whole = bindMapping_.whole;
  }
  if (!whole) {
    BindMapping previous;  // released before mapping: the address space may not hold both
    {
      std::lock_guard<std::mutex> lock(mutex_);
      previous = std::move(bindMapping_);
      bindMapping_ = {};
    }
    previous = {};
    try {
      whole = std::make_shared<BulkView>(segment->mapView(0, segment->dataBytes(), maxBytes, what));
    } catch (const Error&) {
      // No room for all of it at once: just this range, for this call.
      return segment->mapView(ref.offset, ref.length, maxBytes, what);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (segments_.count(segment->id()) != 0) bindMapping_ = BindMapping{segment, whole};
  }
  // A view sharing the whole mapping: it stays mapped while any call still uses it.
  return BulkView(std::shared_ptr<void>(whole, whole->data()), whole->data() + ref.offset,
                  static_cast<size_t>(ref.length));
}

void BulkRegistry::forEachWindow(const BulkRef& ref, uint64_t windowBytes, const BulkWindowFn& fn) {
  find(ref.segment)->forEachWindow(ref.offset, ref.length, windowBytes, fn, describe(ref));
}

}  // namespace bitbridge
