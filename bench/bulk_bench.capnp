# The interface of bitbridge-bulk-bench (bulk_bench.cpp): handing a buffer to a host and back,
# by reference through shared memory (touch) or by copy inside messages (put/get).
@0xa446beb33f277f30;

using Cxx = import "/capnp/c++.capnp";
using Bulk = import "/bitbridge/bulk.capnp";
$Cxx.namespace("bitbridge_bulk_bench");

interface BulkBench {
  touch @0 (data :Bulk.BulkRef) -> (sum :UInt64, windows :UInt32);
  # Maps the referenced range window by window (forEachWindow with the host's default window:
  # one view of the whole range when it fits, as it always does in a 64-bit host) and reads
  # the first and the last byte of every window. sum: the sum of the bytes read.

  reserve @1 (bytes :UInt64, chunkBytes :UInt32) -> ();
  # (Re)allocates the host-side buffer of the copying case: `bytes` in chunks of `chunkBytes`.
  put @2 (offset :UInt64, data :Data) -> ();
  # Copies `data` into the host-side buffer at `offset` (a multiple of chunkBytes, one chunk).
  get @3 (offset :UInt64, length :UInt32) -> (data :Data);
  # Returns a copy of [offset, offset + length) of the host-side buffer (within one chunk).
  release @4 () -> ();
  # Frees the host-side buffer.
}
