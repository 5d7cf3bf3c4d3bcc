// Bulk data: bytes handed between a client and a host through shared memory, without copies.
//
// The client allocates a buffer (Host::allocate), writes into it in place, and passes a
// BulkRef (segment id, offset, length) inside an ordinary Cap'n Proto call; the component
// resolves the reference (ComponentContext::bulk()) and reads or writes the same bytes.
//
// Address space: a 64-bit process maps a whole buffer. A 32-bit process cannot map 4 GiB or
// more at once, so buffers larger than the window (BulkOptions::windowBytes, 256 MiB by
// default) are accessed through moving views: view(offset, length) maps just that range, and
// forEachWindow() streams through a large range one window at a time.
//
// Lifetime: a BulkView keeps its mapping for as long as it lives (move-only). A BulkBuffer
// must not outlive the Host it came from; destroying it tells the host to forget the segment,
// and the memory is freed when the last view on either side is gone.
// Threads: views may be read and written from any thread; BulkBuffer's own methods belong to
// the Runtime's thread (detaching sends a message).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <capnp/capability.h>
#include <kj/common.h>

#include "bitbridge/bulk.capnp.h"
#include "bitbridge/export.h"

namespace bitbridge {

/// A reference to bytes of a segment, as carried on the wire (bitbridge/bulk.capnp).
struct BulkRef {
  uint64_t segment = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

/// Copies a reference into / out of its wire form. In a host, fromWire also checks that the
/// segment belongs to the connection whose message `in` is part of: in a shared host a client
/// may use only the buffers it allocated (Error{MalformedPeer} otherwise). Components should
/// always read references with fromWire, on the RPC thread, while the call's params are alive;
/// the BulkRef it returns may be used after an await.
BITBRIDGE_API void toWire(const BulkRef& ref, proto::BulkRef::Builder out);
BITBRIDGE_API BulkRef fromWire(proto::BulkRef::Reader in);

struct BulkOptions {
  /// Largest range a view may map in a 32-bit process, and the default window of
  /// forEachWindow. 64-bit processes map whole buffers regardless.
  uint64_t windowBytes = uint64_t{256} << 20;
};

/// Mapped bytes of a segment. Move-only; unmapped when the last view sharing a mapping dies.
class BulkView {
 public:
  BulkView() = default;
  BulkView(std::shared_ptr<void> mapping, kj::byte* data, size_t size)
      : mapping_(std::move(mapping)), data_(data), size_(size) {}
  BulkView(BulkView&&) noexcept = default;
  BulkView& operator=(BulkView&&) noexcept = default;
  BulkView(const BulkView&) = delete;
  BulkView& operator=(const BulkView&) = delete;

  kj::byte* data() const { return data_; }
  size_t size() const { return size_; }
  kj::ArrayPtr<kj::byte> bytes() const { return kj::arrayPtr(data_, size_); }
  /// Reinterprets the bytes as an array of T (size must be a multiple of sizeof(T); the
  /// alignment is that of the offset used to make the view).
  template <typename T>
  kj::ArrayPtr<T> as() const {
    return kj::arrayPtr(reinterpret_cast<T*>(data_), size_ / sizeof(T));
  }

 private:
  std::shared_ptr<void> mapping_;  // keeps the memory mapped
  kj::byte* data_ = nullptr;
  size_t size_ = 0;
};

/// One view per window: `fn(view, offsetInRange)` is called for consecutive windows of at most
/// `windowBytes` covering the range, in order.
using BulkWindowFn = std::function<void(BulkView& window, uint64_t offsetInRange)>;

/// What a component uses to reach the bytes a client referenced. Implemented by the host.
class BITBRIDGE_API BulkAccess {
 public:
  virtual ~BulkAccess() = default;
  /// Maps the referenced bytes. Throws Error{MalformedPeer} for an unknown segment, a range
  /// outside it (overflow-safe) or a segment truncated by the peer; Error{BadConfiguration}
  /// if the range is larger than this process's window (use forEachWindow).
  virtual BulkView view(const BulkRef& ref) = 0;
  /// Streams through the referenced bytes in windows of at most `windowBytes` (0: default).
  virtual void forEachWindow(const BulkRef& ref, uint64_t windowBytes, const BulkWindowFn& fn) = 0;
};

class BulkSegment;

/// A shared-memory buffer allocated by a client for one host (see Host::allocate).
class BITBRIDGE_API BulkBuffer {
 public:
  BulkBuffer(std::shared_ptr<BulkSegment> segment, capnp::Capability::Client host);
  BulkBuffer(BulkBuffer&&) noexcept;
  BulkBuffer& operator=(BulkBuffer&&) noexcept;
  ~BulkBuffer();

  /// Size of the buffer in bytes (may exceed 4 GiB, even in a 32-bit client).
  uint64_t size() const;
  uint64_t segmentId() const;
  /// A reference to [offset, offset + length) (default: the whole buffer), bounds-checked.
  BulkRef ref(uint64_t offset = 0, uint64_t length = UINT64_MAX) const;
  /// Maps [offset, offset + length) (default: all of it; in a 32-bit client only if it fits
  /// the window).
  BulkView view(uint64_t offset = 0, uint64_t length = UINT64_MAX) const;
  /// Streams through [offset, offset + length) in windows of at most `windowBytes` (0: the
  /// default window).
  void forEachWindow(uint64_t offset, uint64_t length, uint64_t windowBytes,
                     const BulkWindowFn& fn) const;

 private:
  std::shared_ptr<BulkSegment> segment_;
  capnp::Capability::Client host_ = nullptr;
};

}  // namespace bitbridge
