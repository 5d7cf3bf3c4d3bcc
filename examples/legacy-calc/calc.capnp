# The interface a 64-bit program uses to reach the 32-bit legacy_calc library.
#
# It mirrors legacy/legacy_calc.h one method per function. Status codes do not appear: a
# failing library call becomes an RPC exception carrying calc_strerror's message. The handle
# does not appear either: each activated Calc capability owns one calc_handle for its lifetime.
# Only fixed-width types, so the meaning is the same on both sides of the 32/64-bit boundary.
@0x90aba49ac06f19cd;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("legacy_calc");

interface Calc {
  add @0 (a :Int32, b :Int32) -> (sum :Int32);
  # Fails on int32 overflow.

  divide @1 (a :Int32, b :Int32) -> (quotient :Int32);
  # Truncating division; fails on division by zero.

  accumulate @2 (value :Int64) -> (total :Int64);
  # Adds to the running total kept inside this instance's library handle.

  total @3 () -> (total :Int64);

  mean @4 (values :List(Float64)) -> (mean :Float64);
  # Fails on an empty list.

  scale @5 (values :List(Float64), factor :Float64) -> (scaled :List(Float64));

  greet @6 (name :Text) -> (greeting :Text);

  libraryInfo @7 () -> (pointerBits :UInt8, version :Text, hostPid :UInt32);
  # pointerBits is computed inside the library: 32 proves it runs in a 32-bit process.
}
