# The schema of fuzz_c_binding's seeds (seeds_c_binding.cpp): one method per kind of parameter
# Host::bind converts, and the schema mistakes it refuses. Its own file, so that the seeds do
# not change whenever the test library's schema (tests/components/bind_test.capnp) grows.
@0xe3b1f7a09c4d2e65;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
using Bulk = import "/bitbridge/bulk.capnp";
$Cxx.namespace("fuzzseed");

enum Color { red @0; green @1; blue @2; }
struct Point { x @0 :Int32; y @1 :Int32; }
struct Mixed { tag @0 :Int8; value @1 :Float64; big @2 :Int64; }
struct Box {
  corner @0 :List(Point) $C.array(2);
  name @1 :Text $C.array(16);
  flags @2 :Data $C.array(3);
}
struct Series { items @0 :List(Float64); count @1 :Int32 $C.lengthOf("items"); }
struct Outer { m @0 :Mixed; p @1 :Point; label @2 :Text; h @3 :UInt64 $C.handle("Counter"); }

interface Library {
  scalars @0 (a :Int32, b :UInt64, c :Int8, d :Float32, e :Bool, f :Color,
              g :Int64 $C.type(long), h :UInt64 $C.type(size)) -> (result :Int32);
  list @1 (xs :List(Float64), n :Int32 $C.lengthOf("xs")) -> (result :Float64);
  listGivenLength @2 (xs :List(Int16) $C.length("n"), n :Int32) -> (result :Float64);
  boolList @3 (flags :List(Bool), n :Int32 $C.lengthOf("flags")) -> (result :Int32);
  outBuffer @4 (out :Text $C.out $C.length("cap"), cap :Int32, data :Data $C.out $C.capacity(8))
      -> (out :Text, data :Data);
  inout @5 (v :Int32 $C.inout, xs :List(Float64) $C.inout, s :Text $C.inout $C.capacity(16))
      -> (v :Int32, xs :List(Float64), s :Text);
  structs @6 (p :Point, q :Point $C.byValue, r :Point $C.out, s :Point $C.inout,
              points :List(Point), n :Int32 $C.lengthOf("points"))
      -> (r :Point, s :Point, result :Mixed);
  box @7 (b :Box, s :Series, o :Outer $C.nullable) -> (result :Int32);
  handles @8 (c :UInt64 $C.handle("Counter") $C.nullable, d :UInt64 $C.handle("Counter") $C.releases,
              e :UInt64 $C.handle("Counter") $C.out) -> (e :UInt64, result :UInt64 $C.handle("Label"));
  strings @9 (s :Text $C.nullable, t :Text, out :Text $C.out $C.freeWith("free"))
      -> (out :Text, result :Text $C.freeWith("free"), errno :Int32 $C.lastError);
}

# Bulk.BulkRef parameters (an interface of their own: the Library seeds stay as they were).
interface BulkLibrary {
  bulk @0 (xs :Bulk.BulkRef $C.elementSize(8) $C.length("n"), n :Int32,
           p :Bulk.BulkRef $C.nullable, m :UInt64 $C.type(size) $C.lengthOf("p")) -> (result :Int32);
}
# Wide text rewritten in place, allocated by the library, and one wchar_t by value.
interface WideLibrary {
  wide @0 (s :Text $C.type(wchar) $C.inout $C.capacity(8), c :UInt32 $C.type(wchar),
           out :Text $C.type(wchar) $C.out $C.freeWith("free"))
      -> (s :Text $C.type(wchar), out :Text $C.type(wchar),
          result :Text $C.type(wchar) $C.freeWith("free"));
}
interface BulkRefOut {
  f @0 (xs :Bulk.BulkRef $C.out) -> (xs :Bulk.BulkRef);
}

interface LengthOfNothing {
  f @0 (xs :List(Float64), n :Int32 $C.lengthOf("ys")) -> ();
}
interface SelfContaining {
  struct Node { value @0 :Int32; next @1 :Node; }
  f @0 (n :Node) -> ();
}
interface HandleNotUInt64 {
  f @0 (c :Int32 $C.handle("Counter")) -> ();
}

# Function pointers: an interface of one method (the C signature) with a struct, a text and the
# void* context, a stored one released by another method, and a malformed declaration.
interface Visit {
  visit @0 (value :Int32, p :Point, name :Text, user :Void $C.user) -> (result :Int32 = -1);
}
interface CallbackLibrary {
  each @0 (v :Visit, user :Void $C.userFor("v"),
           stored :Visit $C.nullable $C.callback(released) $C.releasedBy("clear")) -> ();
  clear @1 () -> ();
}
interface TwoMethodVisit { a @0 () -> (); b @1 () -> (); }
interface CallbackMistake {
  f @0 (v :TwoMethodVisit) -> ();
}
