// Portable parts of bulk data: wire conversion, windows, the client's BulkBuffer.
#include "bitbridge/bulk.h"

#include <capnp/any.h>
#include <kj/debug.h>

#include "bitbridge/error.h"
#include "bitbridge/host.capnp.h"
#include "common/bulk/bulk_reference_check.h"
#include "common/bulk/bulk_segment.h"
#include "wire/bulk_layout.h"

namespace bitbridge {

void toWire(const BulkRef& ref, proto::BulkRef::Builder out) {
  out.setSegment(ref.segment);
  out.setOffset(ref.offset);
  out.setLength(ref.length);
}

BulkRef fromWire(proto::BulkRef::Reader in) {
  BulkRef ref{in.getSegment(), in.getOffset(), in.getLength()};
  // In a host: the segment must belong to the connection whose message this is (shared hosts
  // serve many; see bulk_reference_check.h). In a client no check is installed: none.
  checkBulkReferenceOrigin(capnp::AnyStruct::Reader(in).getDataSection().begin(), ref.segment);
  return ref;
}

void BulkSegment::forEachWindow(uint64_t offset, uint64_t length, uint64_t windowBytes,
                                const BulkWindowFn& fn, const std::string& what) {
  checkBulkRange(offset, length, dataBytes(), what);
  uint64_t window = windowBytes == 0 ? windowBytes_ : windowBytes;
  // A zero window (BulkOptions::windowBytes = 0 and no explicit size) would never advance.
  if (window == 0) {
    throw Error(ErrorKind::BadConfiguration, what + ": cannot stream through windows of 0 bytes",
                "pass a non-zero windowBytes, or leave BulkOptions::windowBytes at its default");
  }
  for (uint64_t done = 0; done < length;) {
    uint64_t chunk = std::min(window, length - done);
    BulkView view = this->view(offset + done, chunk, what);
    fn(view, done);
    done += chunk;
  }
}

BulkBuffer::BulkBuffer(std::shared_ptr<BulkSegment> segment, capnp::Capability::Client host)
    : segment_(std::move(segment)), host_(kj::mv(host)) {}
BulkBuffer::BulkBuffer(BulkBuffer&&) noexcept = default;
BulkBuffer& BulkBuffer::operator=(BulkBuffer&&) noexcept = default;

BulkBuffer::~BulkBuffer() {
  if (!segment_) return;
  // Tell the host to drop its mapping; fire-and-forget, sent on the next turn of the event
  // loop. A host that is already gone simply fails the request.
  try {
    auto request = host_.castAs<proto::Host>().detachBulkRequest();
    request.setSegment(segment_->id());
    request.send().detach([](kj::Exception&&) {});
  } catch (const kj::Exception&) {
  }
}

uint64_t BulkBuffer::size() const { return segment_->dataBytes(); }
uint64_t BulkBuffer::segmentId() const { return segment_->id(); }

BulkRef BulkBuffer::ref(uint64_t offset, uint64_t length) const {
  if (length == UINT64_MAX) length = offset <= size() ? size() - offset : 0;
  checkBulkRange(offset, length, size(), "reference into bulk buffer " + segment_->name());
  return BulkRef{segment_->id(), offset, length};
}

BulkView BulkBuffer::view(uint64_t offset, uint64_t length) const {
  if (length == UINT64_MAX) length = offset <= size() ? size() - offset : 0;
  return segment_->view(offset, length, "view of bulk buffer " + segment_->name());
}

void BulkBuffer::forEachWindow(uint64_t offset, uint64_t length, uint64_t windowBytes,
                               const BulkWindowFn& fn) const {
  segment_->forEachWindow(offset, length, windowBytes, fn, "bulk buffer " + segment_->name());
}

}  // namespace bitbridge
