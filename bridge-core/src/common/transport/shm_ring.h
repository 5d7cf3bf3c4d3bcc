// The shared-memory segment behind the shared-memory channel (shm_stream.h): two
// single-producer/single-consumer byte rings, one per direction, in one sealed memfd (Linux) or
// one unnamed pagefile-backed section (Windows).
//
// Cross-bitness ABI: a 64-bit client and a 32-bit host (or the reverse) map the same bytes; the
// layout is in wire/shm_ring_layout.h, with the rest of the contract between the processes.
//
// Trust: the peer can write anything into the segment at any time. Each end therefore keeps
// its own counter (head for the producer, tail for the consumer) in private memory and only
// publishes it; the peer's counter is read once per access into a local, checked against the
// capacity and for monotonicity, and only then used, masked, as an index. A bad counter throws
// (malformed-peer), it never leads to an access outside the ring. The header is validated once
// when the segment is opened and never read again; data bytes are copied out before use.
//
// Thread assumptions: one producer and one consumer per ring (each on one thread at a time).
// Lifetime: a ShmSegment owns its mapping; the producer/consumer views must not outlive it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include <kj/io.h>

#if defined(_WIN32)
#include "common/platform/handle-win32.h"
#endif
#include "wire/shm_ring_layout.h"
#include "common/internal_api.h"

namespace bitbridge {

/// A mapped segment. Move-only; unmaps (and closes its descriptor or handle) on destruction.
class BITBRIDGE_INTERNAL_API ShmSegment {
 public:
#if defined(_WIN32)
  /// The section's handle (shm_ring-win32.cpp).
  using Native = UniqueHandle;
#else
  /// The memfd (shm_ring-posix.cpp).
  using Native = kj::AutoCloseFd;
#endif

  /// Creates a fresh anonymous segment, header written and counters zeroed. Linux:
  /// memfd_create (no name in /dev/shm or anywhere else, close-on-exec), sized, sealed against
  /// shrinking, growing and further sealing, mapped. Windows: an unnamed, committed,
  /// pagefile-backed section (CreateFileMapping(INVALID_HANDLE_VALUE), not inheritable): no
  /// name, so only a process that is given a handle to it can map it. `ringCapacity` must be a
  /// power of two within [kShmMinRingCapacity, kShmMaxRingCapacity]. Throws bitbridge::Error
  /// (BadConfiguration) when the capacity is bad or the system refuses.
  static ShmSegment create(uint32_t ringCapacity = kShmDefaultRingCapacity);

  /// Maps a segment received from the peer and validates it as untrusted input. Linux: a
  /// regular file, sealed against shrinking and growing (so the peer cannot pull pages away
  /// under us: SIGBUS). Windows: a section whose whole view is committed (a SEC_RESERVE
  /// section with uncommitted pages would fault) and exactly as large as its header says
  /// (pages of a pagefile-backed section cannot be taken away once mapped). Both: header
  /// magic, version, offsets and sizes consistent with each other and with the object's size,
  /// counters and flags at their initial values. Throws a kj::Exception (FAILED, description
  /// "bitbridge:malformed-peer: ...") when anything is off.
  static ShmSegment open(Native handle);

  ShmSegment(ShmSegment&& other) noexcept;
  ShmSegment& operator=(ShmSegment&& other) noexcept;
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  ~ShmSegment();

#if defined(_WIN32)
  /// The section (to hand to the peer). Valid while this object lives.
  HANDLE section() const { return native_.get(); }
#else
  /// The memfd (to pass to the peer). Valid while this object lives.
  int fd() const { return native_.get(); }
#endif
  uint32_t ringCapacity() const { return capacity_; }
  uint64_t size() const { return size_; }
  /// Writable views; the header is for tests that corrupt it on purpose. Never trust what is
  /// read back from here: see the comment at the top of this file.
  ShmSegmentLayout& layout() { return *static_cast<ShmSegmentLayout*>(base_); }
  ShmRingControl& control(unsigned ring) { return layout().rings[ring]; }
  uint8_t* data(unsigned ring) {
    return static_cast<uint8_t*>(base_) + kShmDataOffset + uint64_t{ring} * capacity_;
  }

 private:
  ShmSegment(Native native, void* base, uint64_t size, uint32_t capacity)
      : native_(kj::mv(native)), base_(base), size_(size), capacity_(capacity) {}
  void release();

  Native native_;
  void* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t capacity_ = 0;  // from the validated header, never re-read
};

/// The platform-independent parts of making and opening a segment, shared by
/// shm_ring-posix.cpp and shm_ring-win32.cpp.
namespace shm_segment {
/// Throws Error(BadConfiguration) unless `ringCapacity` is a power of two within
/// [kShmMinRingCapacity, kShmMaxRingCapacity].
BITBRIDGE_INTERNAL_API void checkCapacity(uint32_t ringCapacity);
/// Starts the layout's lifetime in fresh (zeroed) memory and writes the header.
BITBRIDGE_INTERNAL_API void writeHeader(void* base, uint32_t ringCapacity, uint32_t creatorPid);
/// Validates the peer's header, read into private memory first, against the size of the
/// object that holds it (`objectBytes`): magic, version, layout, capacity, sizes. Returns the
/// ring capacity. Throws malformed-peer (badSegment) when anything is off.
BITBRIDGE_INTERNAL_API uint32_t validateHeader(const ShmSegmentHeader& header, uint64_t objectBytes);
/// Throws malformed-peer unless every counter and flag is still at its initial value.
BITBRIDGE_INTERNAL_API void checkUnused(ShmSegment& segment);
/// Throws the kj::Exception "bitbridge:malformed-peer: shared-memory channel: the peer's
/// segment <why>".
[[noreturn]] BITBRIDGE_INTERNAL_API void badSegment(const std::string& why);
}  // namespace shm_segment

/// The producer's view of one ring: keeps its head privately, reads the consumer's tail as
/// untrusted. Not thread-safe; one producer per ring.
class BITBRIDGE_INTERNAL_API ShmRingProducer {
 public:
  ShmRingProducer(ShmRingControl& control, uint8_t* data, uint32_t capacity)
      : control_(control), data_(data), capacity_(capacity) {}

  /// Copies up to `size` bytes into the ring (as many as fit) and publishes them. Returns the
  /// number copied (0 when full). Throws (malformed-peer) if the peer's tail is corrupt.
  size_t write(const uint8_t* source, size_t size);
  /// Bytes that can be written now. Throws (malformed-peer) if the peer's tail is corrupt.
  size_t space();
  /// A cheap hint for spinning: might a write make progress now (space, or a corrupt tail that
  /// write() will report)? Never throws.
  bool maybeSpace() const;

  /// True if the consumer was parked; clears its flag. Call after publishing (write/close):
  /// then the caller must ring the consumer's doorbell. Full fence inside (see park protocol
  /// in shm_stream-posix.cpp).
  bool takeParkedReader();
  /// Sets/clears this producer's "parked" flag. Setting includes a full fence, so that the
  /// caller's next check of the ring cannot be ordered before the flag store.
  void setParked(bool parked);

  /// Marks the end of this direction's data (the consumer reads EOF after the last byte).
  void close();
  /// True once the consumer has said it will read no more.
  bool readerClosed() const { return control_.readerClosed.load(std::memory_order_acquire) != 0; }
  uint64_t position() const { return head_; }

 private:
  uint64_t checkedTail();

  ShmRingControl& control_;
  uint8_t* data_;
  uint64_t capacity_;
  uint64_t head_ = 0;      // private: what we published
  uint64_t lastTail_ = 0;  // the peer's tail as last seen (must not go backwards)
};

/// The consumer's view of one ring: keeps its tail privately, reads the producer's head as
/// untrusted. Not thread-safe; one consumer per ring.
class BITBRIDGE_INTERNAL_API ShmRingConsumer {
 public:
  ShmRingConsumer(ShmRingControl& control, uint8_t* data, uint32_t capacity)
      : control_(control), data_(data), capacity_(capacity) {}

  /// Copies up to `size` bytes out of the ring and releases their space. Returns the number
  /// copied (0 when empty). Throws (malformed-peer) if the peer's head is corrupt.
  size_t read(uint8_t* destination, size_t size);
  /// Bytes ready to read. Throws (malformed-peer) if the peer's head is corrupt.
  size_t available();
  /// A cheap hint for spinning: might a read make progress now? Never throws.
  bool maybeData() const;

  /// True if the producer was parked waiting for space; clears its flag. Call after
  /// releasing space; then the caller must ring the producer's doorbell.
  bool takeParkedWriter();
  void setParked(bool parked);

  /// True once the producer closed this direction. Load it BEFORE checking for data: bytes
  /// written before the close are then guaranteed visible, so "closed and empty" means EOF.
  bool writerClosed() const { return control_.writerClosed.load(std::memory_order_acquire) != 0; }
  /// Tells the producer that nothing more will be read (its writes fail from then on).
  void close();
  uint64_t position() const { return tail_; }

 private:
  uint64_t checkedHead();

  ShmRingControl& control_;
  uint8_t* data_;
  uint64_t capacity_;
  uint64_t tail_ = 0;      // private: what we released
  uint64_t lastHead_ = 0;  // the peer's head as last seen (must not go backwards)
};

}  // namespace bitbridge

