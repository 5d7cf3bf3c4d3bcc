// The shared-memory segment behind the shared-memory channel (shm_stream.h): two
// single-producer/single-consumer byte rings, one per direction, in one sealed memfd.
//
// Cross-bitness ABI: a 64-bit client and a 32-bit host (or the reverse) map the same bytes, so
// the layout below has fixed-width fields only (no pointers, size_t or long), explicit padding,
// and every size and offset is static_assert'ed; this header is compiled into both builds.
// Counters are 64-bit atomics: lock-free in both bitnesses (on i686 GCC uses 8-byte x87/SSE
// loads and stores and cmpxchg8b, no libatomic lock), 8-byte aligned (asserted below; the
// segment itself is page-aligned). Little-endian is assumed, as in hello.h.
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

#include <kj/io.h>

namespace bitbridge {

inline constexpr uint8_t kShmMagic[8] = {'B', 'B', 's', 'h', 'm', 'R', 'n', 'g'};
inline constexpr uint32_t kShmVersion = 1;
/// The data of ring 0 starts here; the header and the ring controls fit in the first page.
inline constexpr uint32_t kShmDataOffset = 4096;
inline constexpr uint32_t kShmDefaultRingCapacity = 1u << 20;  // 1 MiB per direction
inline constexpr uint32_t kShmMinRingCapacity = 4096;
inline constexpr uint32_t kShmMaxRingCapacity = 1u << 28;  // 256 MiB: the 32-bit peer maps it
inline constexpr uint32_t kShmRingCount = 2;
/// Ring 0 carries client -> host bytes, ring 1 host -> client.
inline constexpr unsigned kShmClientToHost = 0;
inline constexpr unsigned kShmHostToClient = 1;

/// At offset 0 of the segment. Written once by the creator (the client) before it is shared.
struct ShmSegmentHeader {
  uint8_t magic[8];            // kShmMagic
  uint32_t version;            // kShmVersion
  uint32_t dataOffset;         // kShmDataOffset
  uint32_t ringCapacity;       // bytes per ring; a power of two
  uint32_t ringCount;          // kShmRingCount
  uint64_t segmentBytes;       // dataOffset + ringCount * ringCapacity == the memfd's size
  uint32_t creatorPid;         // informational
  uint8_t creatorPointerBits;  // informational: 32 or 64
  uint8_t reserved[27];        // zero
};
static_assert(sizeof(ShmSegmentHeader) == 64, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, magic) == 0, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, version) == 8, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, dataOffset) == 12, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, ringCapacity) == 16, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, ringCount) == 20, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, segmentBytes) == 24, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, creatorPid) == 32, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, creatorPointerBits) == 36, "shared-memory ABI");
static_assert(offsetof(ShmSegmentHeader, reserved) == 37, "shared-memory ABI");

/// The control block of one ring. Each cache line is written by one side only (apart from the
/// peer clearing a "parked" flag when it wakes that side), so the two sides do not bounce a
/// line on every counter update.
struct alignas(64) ShmRingControl {
  // Producer's line.
  std::atomic<uint64_t> head;          // bytes ever written (monotonic)
  std::atomic<uint32_t> writerParked;  // 1: the producer sleeps on its doorbell waiting for space
  std::atomic<uint32_t> writerClosed;  // 1: no more bytes will come (shutdownWrite / gone)
  uint8_t producerPad[48];
  // Consumer's line.
  alignas(64) std::atomic<uint64_t> tail;  // bytes ever read (monotonic, <= head)
  std::atomic<uint32_t> readerParked;      // 1: the consumer sleeps on its doorbell for data
  std::atomic<uint32_t> readerClosed;      // 1: the consumer will read no more (abortRead)
  uint8_t consumerPad[48];
};
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "shared-memory counters need lock-free 8-byte atomics in every bitness");
static_assert(std::atomic<uint32_t>::is_always_lock_free,
              "shared-memory flags need lock-free atomics");
static_assert(sizeof(std::atomic<uint64_t>) == 8 && alignof(std::atomic<uint64_t>) == 8,
              "8-byte atomics must be 8-byte aligned in the 32-bit build too");
static_assert(sizeof(std::atomic<uint32_t>) == 4, "shared-memory ABI");
static_assert(sizeof(ShmRingControl) == 128, "shared-memory ABI");
static_assert(alignof(ShmRingControl) == 64, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, head) == 0, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, writerParked) == 8, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, writerClosed) == 12, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, tail) == 64, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, readerParked) == 72, "shared-memory ABI");
static_assert(offsetof(ShmRingControl, readerClosed) == 76, "shared-memory ABI");

/// The first page of the segment; ring i's data is at kShmDataOffset + i * ringCapacity.
struct ShmSegmentLayout {
  ShmSegmentHeader header;
  ShmRingControl rings[kShmRingCount];
};
static_assert(sizeof(ShmSegmentLayout) == 320, "shared-memory ABI");
static_assert(offsetof(ShmSegmentLayout, header) == 0, "shared-memory ABI");
static_assert(offsetof(ShmSegmentLayout, rings) == 64, "shared-memory ABI");
static_assert(sizeof(ShmSegmentLayout) <= kShmDataOffset, "the controls must fit before the data");

/// Size of a segment whose rings hold `ringCapacity` bytes each.
inline constexpr uint64_t shmSegmentBytes(uint32_t ringCapacity) {
  return uint64_t{kShmDataOffset} + uint64_t{kShmRingCount} * ringCapacity;
}

/// A mapped segment. Move-only; unmaps (and closes its descriptor) on destruction.
class ShmSegment {
 public:
  /// Creates a fresh anonymous segment: memfd_create (no name in /dev/shm or anywhere else,
  /// close-on-exec), sized, sealed against shrinking, growing and further sealing, mapped,
  /// header written and counters zeroed. `ringCapacity` must be a power of two within
  /// [kShmMinRingCapacity, kShmMaxRingCapacity]. Throws bitbridge::Error (BadConfiguration)
  /// when the capacity is bad or the system refuses (memfd_create, ftruncate, mmap).
  static ShmSegment create(uint32_t ringCapacity = kShmDefaultRingCapacity);

  /// Maps a segment descriptor received from the peer and validates it as untrusted input:
  /// a regular file, sealed against shrinking and growing (so the peer cannot pull pages away
  /// under us: SIGBUS), header magic, version, offsets and sizes consistent with each other and
  /// with fstat's size, counters and flags at their initial values. Throws a kj::Exception
  /// (FAILED, description "bitbridge:malformed-peer: ...") when anything is off.
  static ShmSegment open(kj::AutoCloseFd fd);

  ShmSegment(ShmSegment&& other) noexcept;
  ShmSegment& operator=(ShmSegment&& other) noexcept;
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  ~ShmSegment();

  /// The memfd (to pass to the peer). Valid while this object lives.
  int fd() const { return fd_.get(); }
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
  ShmSegment(kj::AutoCloseFd fd, void* base, uint64_t size, uint32_t capacity)
      : fd_(kj::mv(fd)), base_(base), size_(size), capacity_(capacity) {}
  void release();

  kj::AutoCloseFd fd_;
  void* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t capacity_ = 0;  // from the validated header, never re-read
};

/// The producer's view of one ring: keeps its head privately, reads the consumer's tail as
/// untrusted. Not thread-safe; one producer per ring.
class ShmRingProducer {
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
class ShmRingConsumer {
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
