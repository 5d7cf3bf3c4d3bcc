// LSD radix sort of 32-bit keys with a scratch buffer of the same size, on one or more threads.
//
// Each pass moves the keys by one digit of kBits bits, stably, from one buffer to the other;
// after the last pass they are sorted. An odd number of passes ends in the scratch buffer and
// is copied back. With several threads each pass first counts the digits of each thread's part
// of the array (a read), so that every thread knows where its keys of each digit go; with one
// thread, the counts of all passes come from a single read at the start (the count of each
// digit does not change when the keys are permuted).
//
// Memory: the keys and a scratch buffer of the same size; no allocation in the passes.
// Threads: `threads` workers (the calling thread is one of them), joined before sort returns.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace bigmem {

template <unsigned kBits>
class RadixSorter {
 public:
  static constexpr unsigned kPasses = (32 + kBits - 1) / kBits;
  static constexpr size_t kBuckets = size_t{1} << kBits;
  static constexpr uint32_t kMask = static_cast<uint32_t>(kBuckets - 1);

  /// Sorts keys[0, n) ascending; scratch must hold n keys. The result is in `keys`.
  static void sort(uint32_t* keys, uint32_t* scratch, size_t n, unsigned threads) {
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(n / 65536 + 1)));
    uint32_t* source = keys;
    uint32_t* target = scratch;
    if (threads == 1) {
      std::vector<uint64_t> counts(kPasses * kBuckets, 0);
      countAll(keys, n, counts.data());
      for (unsigned pass = 0; pass < kPasses; ++pass) {
        uint64_t* position = &counts[pass * kBuckets];
        startPositions(position, 1);
        scatter(source, n, pass * kBits, target, position);
        std::swap(source, target);
      }
    } else {
      // counts[t * kBuckets + digit], then where thread t writes its first key of `digit`.
      std::vector<uint64_t> counts(threads * kBuckets);
      size_t part = n / threads;
      auto begin = [&](unsigned t) { return part * t; };
      auto length = [&](unsigned t) { return t + 1 == threads ? n - part * t : part; };
      for (unsigned pass = 0; pass < kPasses; ++pass) {
        unsigned shift = pass * kBits;
        std::fill(counts.begin(), counts.end(), 0);
        parallel(threads, [&](unsigned t) {
          count(source + begin(t), length(t), shift, &counts[t * kBuckets]);
        });
        startPositions(counts.data(), threads);
        parallel(threads, [&](unsigned t) {
          scatter(source + begin(t), length(t), shift, target, &counts[t * kBuckets]);
        });
        std::swap(source, target);
      }
    }
    if (source != keys) std::memcpy(keys, source, n * sizeof(uint32_t));
  }

 private:
  static void countAll(const uint32_t* keys, size_t n, uint64_t* counts) {
    for (size_t i = 0; i < n; ++i) {
      uint32_t key = keys[i];
      for (unsigned pass = 0; pass < kPasses; ++pass) {
        ++counts[pass * kBuckets + ((key >> (pass * kBits)) & kMask)];
      }
    }
  }

  static void count(const uint32_t* keys, size_t n, unsigned shift, uint64_t* counts) {
    for (size_t i = 0; i < n; ++i) ++counts[(keys[i] >> shift) & kMask];
  }

  // counts[t * kBuckets + digit] (keys of `digit` in part t) -> the position of the first of
  // them in the target: all keys of smaller digits first, then those of earlier parts.
  static void startPositions(uint64_t* counts, unsigned parts) {
    uint64_t position = 0;
    for (size_t digit = 0; digit < kBuckets; ++digit) {
      for (unsigned t = 0; t < parts; ++t) {
        uint64_t count = counts[t * kBuckets + digit];
        counts[t * kBuckets + digit] = position;
        position += count;
      }
    }
  }

  static void scatter(const uint32_t* source, size_t n, unsigned shift, uint32_t* target,
                      uint64_t* position) {
    for (size_t i = 0; i < n; ++i) {
      uint32_t key = source[i];
      target[position[(key >> shift) & kMask]++] = key;
    }
  }

  template <typename Fn>
  static void parallel(unsigned threads, const Fn& fn) {
    std::vector<std::thread> workers;
    for (unsigned t = 1; t < threads; ++t) workers.emplace_back(fn, t);
    fn(0u);
    for (auto& worker : workers) worker.join();
  }
};

}  // namespace bigmem
