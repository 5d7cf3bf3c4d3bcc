# Bulk data references: how a message points at bytes in a shared-memory segment instead of
# carrying them. Import it in your own schema:
#
#   using Bulk = import "/bitbridge/bulk.capnp";
#   interface Image { invert @0 (pixels :Bulk.BulkRef) -> (); }
#
# Cross-bitness ABI: fixed-width fields only. The receiver bounds-checks every reference
# against the real size of the segment before mapping anything (bridge-core/src/bulk_*.cpp).
@0xbeea6bf03544d5a3;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("bitbridge::proto");

struct BulkRef {
  segment @0 :UInt64;   # id of a segment attached to this host (Host.attachBulk)
  offset @1 :UInt64;    # byte offset from the start of the segment's data area
  length @2 :UInt64;    # byte count; may exceed 4 GiB
}
