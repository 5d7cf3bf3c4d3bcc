# The shared-counter example: one counter in one shared host, seen by every client of either
# bitness. Fixed-width types only: 32-bit and 64-bit clients read the same messages.
@0xebb9d173f5c6fffa;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("shared_counter");

interface Counter {
  increment @0 (by :Int64) -> (count :Int64);
  # Adds `by` to the count and returns the new count.

  get @1 () -> (count :Int64, hostPid :UInt32, pointerBits :UInt8);
  # The count, and the process it lives in (its pid, and 32 or 64): reported by the component
  # itself, so a client shows where the number really is.
}
