@0xb3c5d1e2f4a60718;
# A library bound with HostOptions::fastLane (integration/bind_lane_test.cpp): the same function
# reachable through the lane (plain parameters) and through RPC (a Bulk.BulkRef parameter keeps a
# method off the lane), so that the tests can tell which path a call took, check that calls stay
# in order across the two, and that the library never runs two calls at once.

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
using Bulk = import "/bitbridge/bulk.capnp";
$Cxx.namespace("bindlane");

interface Lane {
  add @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("bl_add");
  threadId @1 () -> (result :Int64) $C.symbol("bl_thread_id");
  threadIdByRpc @2 (unused :Bulk.BulkRef $C.nullable) -> (result :Int64)
      $C.symbol("bl_thread_id_p");
  append @3 (v :Int32) -> (result :Int32) $C.symbol("bl_append");
  appendByRpc @4 (unused :Bulk.BulkRef $C.nullable, v :Int32) -> (result :Int32)
      $C.symbol("bl_append_p");
  log @5 (out :List(Int32) $C.out $C.length("n"), n :Int32) -> (out :List(Int32))
      $C.symbol("bl_log");
  inside @6 (ms :Int32) -> (result :Int32) $C.symbol("bl_inside");
  insideByRpc @7 (unused :Bulk.BulkRef $C.nullable, ms :Int32) -> (result :Int32)
      $C.symbol("bl_inside_p");
  maxInside @8 () -> (result :Int32) $C.symbol("bl_max_inside");
  scale @9 (k :Float64, xin :List(Float64), n :Int32 $C.lengthOf("xin"),
            xout :List(Float64) $C.out $C.length("n")) -> (xout :List(Float64))
      $C.symbol("bl_scale");
  fill @10 (out :Data $C.out $C.length("len"), len :UInt32, value :UInt8) -> (out :Data)
      $C.symbol("bl_fill");
  greet @11 (name :Text, out :Text $C.out $C.length("cap"), cap :Int32)
      -> (result :Int32, out :Text) $C.symbol("bl_greet");
  failWith @12 (code :Int32) -> (result :Int32, errno :Int32 $C.lastError)
      $C.symbol("bl_fail_with");
  sleepMs @13 (ms :Int32) -> (result :Int32) $C.symbol("bl_sleep_ms");
  pointerBits @14 () -> (result :Int32) $C.symbol("bl_pointer_bits");
  nothing @15 () -> () $C.symbol("bl_nothing");
}
