// Bounds-checked views of the shared-memory rings, and the checks of a segment's header
// (portable part; the segment itself is made and mapped in shm_ring-posix.cpp and
// shm_ring-win32.cpp).
#include "common/transport/shm_ring.h"

#include <cstring>
#include <new>
#include <string>

#include "bitbridge/error.h"

namespace bitbridge {
namespace {

[[noreturn]] void corrupt(const char* what, uint64_t seen, uint64_t own, uint64_t capacity) {
  throwAsKj(Error(ErrorKind::MalformedPeer,
                  std::string("shared-memory channel: the peer's ") + what + " is corrupt (" +
                      std::to_string(seen) + " against our " + std::to_string(own) +
                      ", ring of " + std::to_string(capacity) + " bytes)",
                  "the peer process is broken or is not a bitbridge peer of this version"));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Producer

uint64_t ShmRingProducer::checkedTail() {
  // One load into a local: everything below uses this value, never a re-read.
  uint64_t tail = control_.tail.load(std::memory_order_acquire);
  // lastTail_ <= tail <= head_ and head_ - tail <= capacity. (The counters are 64-bit and
  // never wrap, so plain comparisons are right; modular arithmetic alone would take a tail
  // just "ahead" of head_ for an almost full ring.)
  if (tail < lastTail_ || tail > head_ || head_ - tail > capacity_) {
    corrupt("read counter", tail, head_, capacity_);
  }
  lastTail_ = tail;
  return tail;
}

size_t ShmRingProducer::space() { return static_cast<size_t>(capacity_ - (head_ - checkedTail())); }

bool ShmRingProducer::maybeSpace() const {
  return head_ - control_.tail.load(std::memory_order_relaxed) != capacity_;
}

size_t ShmRingProducer::write(const uint8_t* source, size_t size) {
  uint64_t free = capacity_ - (head_ - checkedTail());
  size_t n = static_cast<size_t>(free < size ? free : size);
  if (n == 0) return 0;
  // Both pieces lie inside [data_, data_ + capacity_): offset < capacity_ and the first piece
  // stops at the end of the ring.
  uint64_t offset = head_ & (capacity_ - 1);
  size_t first = static_cast<size_t>(capacity_ - offset < n ? capacity_ - offset : n);
  std::memcpy(data_ + offset, source, first);
  std::memcpy(data_, source + first, n - first);
  head_ += n;
  control_.head.store(head_, std::memory_order_release);
  return n;
}

bool ShmRingProducer::takeParkedReader() {
  // Pairs with ShmRingConsumer::setParked(true): flag store, fence, head load there; head store
  // (above), fence, flag load here. Whatever the interleaving, either the consumer sees the new
  // head before it sleeps or we see its flag and wake it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return control_.readerParked.load(std::memory_order_relaxed) != 0 &&
         control_.readerParked.exchange(0, std::memory_order_acq_rel) != 0;
}

void ShmRingProducer::setParked(bool parked) {
  control_.writerParked.store(parked ? 1 : 0, std::memory_order_relaxed);
  if (parked) std::atomic_thread_fence(std::memory_order_seq_cst);
}

void ShmRingProducer::close() { control_.writerClosed.store(1, std::memory_order_release); }

// ---------------------------------------------------------------------------------------------
// Consumer

uint64_t ShmRingConsumer::checkedHead() {
  uint64_t head = control_.head.load(std::memory_order_acquire);
  if (head < lastHead_ || head < tail_ || head - tail_ > capacity_) {
    corrupt("write counter", head, tail_, capacity_);
  }
  lastHead_ = head;
  return head;
}

size_t ShmRingConsumer::available() { return static_cast<size_t>(checkedHead() - tail_); }

bool ShmRingConsumer::maybeData() const {
  return control_.head.load(std::memory_order_relaxed) != tail_;
}

size_t ShmRingConsumer::read(uint8_t* destination, size_t size) {
  uint64_t ready = checkedHead() - tail_;
  size_t n = static_cast<size_t>(ready < size ? ready : size);
  if (n == 0) return 0;
  uint64_t offset = tail_ & (capacity_ - 1);
  size_t first = static_cast<size_t>(capacity_ - offset < n ? capacity_ - offset : n);
  std::memcpy(destination, data_ + offset, first);
  std::memcpy(destination + first, data_, n - first);
  tail_ += n;
  control_.tail.store(tail_, std::memory_order_release);
  return n;
}

bool ShmRingConsumer::takeParkedWriter() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return control_.writerParked.load(std::memory_order_relaxed) != 0 &&
         control_.writerParked.exchange(0, std::memory_order_acq_rel) != 0;
}

void ShmRingConsumer::setParked(bool parked) {
  control_.readerParked.store(parked ? 1 : 0, std::memory_order_relaxed);
  if (parked) std::atomic_thread_fence(std::memory_order_seq_cst);
}

void ShmRingConsumer::close() { control_.readerClosed.store(1, std::memory_order_release); }

// ---------------------------------------------------------------------------------------------
// Segment header

namespace shm_segment {
namespace {
bool isPowerOfTwo(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }
}  // namespace

void badSegment(const std::string& why) {
  throwAsKj(Error(ErrorKind::MalformedPeer, "shared-memory channel: the peer's segment " + why,
                  "the peer is not a bitbridge peer of this version, or it is broken"));
}

void checkCapacity(uint32_t ringCapacity) {
  if (!isPowerOfTwo(ringCapacity) || ringCapacity < kShmMinRingCapacity ||
      ringCapacity > kShmMaxRingCapacity) {
    throw Error(ErrorKind::BadConfiguration,
                "shared-memory ring capacity " + std::to_string(ringCapacity) +
                    " is not a power of two between " + std::to_string(kShmMinRingCapacity) +
                    " and " + std::to_string(kShmMaxRingCapacity));
  }
}

void writeHeader(void* base, uint32_t ringCapacity, uint32_t creatorPid) {
  // Fresh shared memory reads as zeros: counters and flags start at 0. Start the objects'
  // lifetime explicitly all the same, then fill in the header.
  auto* layout = new (base) ShmSegmentLayout{};
  std::memcpy(layout->header.magic, kShmMagic, sizeof(kShmMagic));
  layout->header.version = kShmVersion;
  layout->header.dataOffset = kShmDataOffset;
  layout->header.ringCapacity = ringCapacity;
  layout->header.ringCount = kShmRingCount;
  layout->header.segmentBytes = shmSegmentBytes(ringCapacity);
  layout->header.creatorPid = creatorPid;
  layout->header.creatorPointerBits = static_cast<uint8_t>(sizeof(void*) * 8);
}

uint32_t validateHeader(const ShmSegmentHeader& header, uint64_t objectBytes) {
  if (objectBytes < kShmDataOffset || objectBytes > shmSegmentBytes(kShmMaxRingCapacity)) {
    badSegment("has an impossible size (" + std::to_string(objectBytes) + " bytes)");
  }
  if (std::memcmp(header.magic, kShmMagic, sizeof(kShmMagic)) != 0) badSegment("has a bad magic");
  if (header.version != kShmVersion) {
    badSegment("has version " + std::to_string(header.version) + ", this build speaks " +
               std::to_string(kShmVersion));
  }
  if (header.dataOffset != kShmDataOffset || header.ringCount != kShmRingCount) {
    badSegment("has an unexpected layout");
  }
  uint32_t capacity = header.ringCapacity;
  if (!isPowerOfTwo(capacity) || capacity < kShmMinRingCapacity || capacity > kShmMaxRingCapacity) {
    badSegment("has a bad ring capacity (" + std::to_string(capacity) + ")");
  }
  uint64_t size = shmSegmentBytes(capacity);
  if (header.segmentBytes != size || objectBytes != size) {
    badSegment("size does not match its header (" + std::to_string(objectBytes) +
               " bytes, header " + std::to_string(header.segmentBytes) + ", expected " +
               std::to_string(size) + ")");
  }
  return capacity;
}

void checkUnused(ShmSegment& segment) {
  for (unsigned i = 0; i < kShmRingCount; ++i) {
    ShmRingControl& ring = segment.control(i);
    if (ring.head.load() != 0 || ring.tail.load() != 0 || ring.writerClosed.load() != 0 ||
        ring.readerClosed.load() != 0) {
      badSegment("was used before it was handed over");
    }
  }
}

}  // namespace shm_segment

// Moving and destroying are the same on both platforms; release() (the unmapping) is not
// (shm_ring-posix.cpp, shm_ring-win32.cpp).
ShmSegment::ShmSegment(ShmSegment&& other) noexcept
    : native_(kj::mv(other.native_)),
      base_(other.base_),
      size_(other.size_),
      capacity_(other.capacity_) {
  other.base_ = nullptr;
}

ShmSegment& ShmSegment::operator=(ShmSegment&& other) noexcept {
  if (this != &other) {
    release();
    native_ = kj::mv(other.native_);
    base_ = other.base_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.base_ = nullptr;
  }
  return *this;
}

ShmSegment::~ShmSegment() { release(); }

}  // namespace bitbridge
