# The interface a 32-bit program uses to sort more keys than its own address space can hold:
# the keys stay in a shared-memory buffer the client allocated (Host::allocate) and the 64-bit
# component sorts them there, in place. Only fixed-width types: sizes are UInt64 even though
# the client's size_t is 32 bits.
@0xbbe2f2aabea2d14f;

using Cxx = import "/capnp/c++.capnp";
using Bulk = import "/bitbridge/bulk.capnp";
$Cxx.namespace("bigmem");

interface BigMem {
  sort @0 (keys :Bulk.BulkRef) -> (seconds :Float64, passes :UInt8, digitBits :UInt8,
                                   threads :UInt32, scratchBytes :UInt64);
  # Sorts the referenced little-endian UInt32 keys ascending, in place (offset and length must
  # be multiples of 4). LSD radix sort with a private scratch buffer of the same size.

  memory @1 () -> (pid :UInt32, pointerBits :UInt8, peakKiB :UInt64, residentKiB :UInt64);
  # The host process's own peak and current resident memory (Linux: VmHWM, VmRSS; Windows:
  # peak and current working set).
}
