# The interface a 64-bit program uses to have a 32-bit component process an image in place: the
# pixels stay in a shared-memory buffer the client allocated (Host::allocate); only a reference
# to them travels in the call. Only fixed-width types.
@0xd175ae030fc03a30;

using Cxx = import "/capnp/c++.capnp";
using Bulk = import "/bitbridge/bulk.capnp";
$Cxx.namespace("shared_image");

interface Image {
  invert @0 (pixels :Bulk.BulkRef, width :UInt32, height :UInt32)
         -> (windows :UInt32, windowBytes :UInt64, seconds :Float64, peakKiB :UInt64);
  # Inverts the colour channels of width x height RGBA pixels (4 bytes each, row after row),
  # in place, alpha untouched. The component walks the buffer window by window, as a 32-bit
  # process must for buffers larger than its window. Returns how it went, and the host
  # process's peak resident memory (VmHWM) afterwards.
}
