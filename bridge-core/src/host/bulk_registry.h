// The segments a host has attached, resolved for components (BulkAccess).
//
// Lifetime: owned by the host's main, outliving the RPC system, like the component registry.
// Threads: attach/detach run on the RPC thread; view() may be called by components from any
// thread, hence the mutex (held only for the lookup, never while mapping).
//
// Ownership (shared hosts serve many connections): each segment belongs to the connection
// that attached it, and a reference to it is accepted only in a message from that connection.
// The check needs to know where a reference came from, and the one call a component makes
// with the message in hand is bitbridge::fromWire(reader), whose signature is component ABI
// (component.h, kComponentAbiVersion): it cannot take the connection as a parameter. So the
// registry also records which connection each incoming message's bytes came from
// (noteMessage, by BoundedMessageStream), and fromWire asks the registry that serves the
// calling thread (BulkRegistry::Scope: the host's RPC thread, for the host's lifetime) whose
// message the reference lies in. A reference checked there stays valid after an await: the
// BulkRef keeps its segment id, and view() resolves it like before.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <cstdint>
#include <string>

#include "bitbridge/bulk.h"
#include "common/bulk/bulk_reference_check.h"

namespace bitbridge {

class BulkSegment;

class BulkRegistry final : public BulkAccess, public BulkReferenceCheck {
 public:
  explicit BulkRegistry(BulkOptions options = {}) : options_(options) {}

  /// Opens a client's segment by name (see BulkSegment::open) and registers it under the id
  /// in its header. Throws Error (MalformedPeer for a duplicate id).
  std::shared_ptr<BulkSegment> attach(const std::string& name, uint64_t owner = 0);
  /// Forgets a segment; views already made stay valid. Unknown ids are ignored.
  void detach(uint64_t segmentId);
  size_t size() const;

  /// The bytes [begin, end) of an incoming message came from connection `owner`, until
  /// forgetMessage(begin).
  void noteMessage(const void* begin, const void* end, uint64_t owner);
  void forgetMessage(const void* begin);
  /// Throws Error{MalformedPeer} if `wireBytes` lies in a message from one connection and
  /// `segmentId` is a segment another connection attached. Bytes of no noted message (a
  /// message the host built itself) are not checked.
  void checkReference(const void* wireBytes, uint64_t segmentId) const override;

  /// Makes `registry` the one fromWire() checks references against on this thread, for the
  /// scope's lifetime (the host's RPC thread, while it serves).
  class Scope {
   public:
    explicit Scope(BulkRegistry& registry) : check_(registry) {}

   private:
    BulkReferenceCheckScope check_;
  };

  BulkView view(const BulkRef& ref) override;
  void forEachWindow(const BulkRef& ref, uint64_t windowBytes, const BulkWindowFn& fn) override;
  /// view(), but in a 32-bit process up to `maxBytes` at once rather than the window: for a
  /// C function that takes the whole range as one pointer (Host::bind, c_bulk_args.h). In a
  /// 32-bit process a segment larger than the window (which is not mapped whole at attach, as
  /// smaller ones are) is mapped whole on first use and kept for the next calls, one segment
  /// at a time (see bindMapping_); if that fails, just the range is mapped, for this call.
  BulkView viewAtOnce(const BulkRef& ref, uint64_t maxBytes);

  /// The segment `segmentId`, which must be attached (Error{MalformedPeer} otherwise); for
  /// a fast lane's slot (host/bind/lane_thread.h), which its connection attached first.
  std::shared_ptr<BulkSegment> segment(uint64_t segmentId) const { return find(segmentId); }

 private:
  std::shared_ptr<BulkSegment> find(uint64_t segmentId) const;

  BulkOptions options_;
  mutable std::mutex mutex_;
  struct Attached {
    std::shared_ptr<BulkSegment> segment;
    uint64_t owner;
  };
  std::map<uint64_t, Attached> segments_;
  struct Origin {
    uintptr_t end;
    uint64_t owner;
  };
  std::map<uintptr_t, Origin> origins_;  // by first byte of a message
  // viewAtOnce's mapping of a whole segment in a 32-bit process: mapping a GiB and unmapping it
  // again on every call costs more than the call itself (page faults, and a TLB shoot-down on
  // every CPU the host's threads ran on). One segment at a time, so that the address space it
  // holds stays bounded; dropped when that segment is detached, so its memory is freed then.
  struct BindMapping {
    std::shared_ptr<BulkSegment> segment;
    std::shared_ptr<BulkView> whole;
  };
  BindMapping bindMapping_;  // guarded by mutex_
};

}  // namespace bitbridge
