# The interface the 64-bit client uses to reach the 32-bit greeter library.
# Only fixed-width types: the meaning is the same on both sides of the 32/64-bit boundary.
@0x9183946efc028e0c;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("greeter");

interface Greeter {
  shout @0 (text :Text) -> (shouted :Text);
  bits @1 () -> (pointerBits :UInt8);
  # Computed inside the library: 32 proves it runs in a 32-bit process.
  refuse @2 (text :Text) -> ();
  # Always fails: throws bitbridge::Error(NotFound) with a hint, the way getting-started says a
  # component reports an error. The host must survive it and go on serving.
}
