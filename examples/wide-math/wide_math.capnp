# The interface a 32-bit program uses to offload memory-hungry work to a 64-bit host.
# Only fixed-width types: sizes are UInt64 even though the client's size_t is 32 bits.
@0xd28dd932ccec9d79;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("wide_math");

interface WideMath {
  info @0 () -> (pointerBits :UInt8, hostPid :UInt32);
  # Bitness and pid of the process the component runs in.

  sumOfSquares @1 (values :List(Float64)) -> (sum :Float64);

  reserve @2 (bytes :UInt64) -> (reserved :UInt64, pointerBits :UInt8);
  # Reserves (maps without committing) `bytes` of address space, then releases it: proves the
  # component has an address space a 32-bit process cannot have. Fails if the mapping fails.
}
