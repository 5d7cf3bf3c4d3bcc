# The bind bench's interface (cases_bind.cpp): annotated for Host::bind, and implemented by hand
# in bind_bench_component.cpp, so that both paths serve the very same calls.
@0xd1c3f2b0a4e95a17;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
using Bulk = import "/bitbridge/bulk.capnp";
$Cxx.namespace("bitbridge_bench");

# Bound as it is: calls on the library's own thread (the default, $C.calls(library)).
interface BindBench {
  add @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("bb_add");
  sum @1 (xs :List(Float64), n :Int32 $C.lengthOf("xs")) -> (result :Float64) $C.symbol("bb_sum");
  # 1000 doubles in and 1000 out (the fast-lane cases; the component does not implement it).
  scale @2 (k :Float64, xin :List(Float64), n :Int32 $C.lengthOf("xin"),
            xout :List(Float64) $C.out $C.length("n")) -> (xout :List(Float64))
      $C.symbol("bb_scale");
}

# An array in the client's shared memory passed by reference (bind_bulk_1gib_64to32): the
# function gets a pointer to the client's 1 GiB and reads its two ends; nothing is copied.
interface BindBenchBulk {
  ends @0 (xs :Bulk.BulkRef $C.elementSize(8), n :UInt64 $C.type(size) $C.lengthOf("xs"))
      -> (result :Float64) $C.symbol("bb_ends");
}

# A function pointer (bind_callback_64to32): bb_apply calls the client's object once.
interface BenchUnary { apply @0 (x :Int32) -> (result :Int32); }
interface BindBenchCallback {
  apply @0 (x :Int32, f :BenchUnary) -> (result :Int32) $C.symbol("bb_apply");
}

# The same functions called on the host's RPC thread, as the component's methods are.
interface BindBenchOnHostThread $C.calls(host) {
  add @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("bb_add");
  sum @1 (xs :List(Float64), n :Int32 $C.lengthOf("xs")) -> (result :Float64) $C.symbol("bb_sum");
}
