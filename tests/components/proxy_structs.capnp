# Drop-in proxies of bind_test_lib.c's struct functions (proxy_structs.h), both directions
# (tests/CMakeLists.txt, proxy_structs_program.c): structs in, out, in-out, by value, returned,
# nested, with inline arrays, a text and a counted list behind pointers, a handle inside, NULL
# for an optional one, arrays of structs in and out. The same annotations Host::bind reads (docs/reference.md).
@0xc2f65d1caad0cbf2;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("proxy_structs");

struct Point { x @0 :Int32; y @1 :Int32; }
struct Mixed { tag @0 :Int8; value @1 :Float64; big @2 :Int64; }
struct Box {
  corner @0 :List(Point) $C.array(2);
  name @1 :Text $C.array(16);
  flags @2 :Data $C.array(3);
}
struct Series { items @0 :List(Float64); count @1 :Int32 $C.lengthOf("items"); }
struct Outer { m @0 :Mixed; p @1 :Point; label @2 :Text; }
struct LongBox { value @0 :Int64 $C.type(long); }
struct CounterStep { counter @0 :UInt64 $C.handle("Counter"); by @1 :Int64; }

interface Structs $C.onFailure(result = "-99", errno = "EIO") {
  pointerBits @0 () -> (result :Int32) $C.symbol("bt_pointer_bits");
  layout @1 (out :List(UInt32) $C.out $C.capacity(12)) -> (out :List(UInt32))
      $C.symbol("bt_layout") $C.onFailure(errno = "EIO");
  pointSum @2 (p :Point) -> (result :Int32) $C.symbol("bt_point_sum");
  pointOrNull @3 (p :Point $C.nullable) -> (result :Int32) $C.symbol("bt_point_or_null");
  pointSwap @4 (p :Point $C.byValue) -> (result :Point) $C.symbol("bt_point_swap")
      $C.onFailure(result = "bt_point{-99, -99}", errno = "EIO");
  pointScale @5 (p :Point $C.inout, k :Int32) -> (p :Point) $C.symbol("bt_point_scale")
      $C.onFailure(errno = "EIO");
  makePoint @6 (x :Int32, y :Int32, out :Point $C.out) -> (out :Point) $C.symbol("bt_make_point")
      $C.onFailure(errno = "EIO");
  mixedCheck @7 (m :Mixed $C.byValue) -> (result :Int32) $C.symbol("bt_mixed_check");
  mixedMake @8 (tag :Int8, value :Float64, big :Int64) -> (result :Mixed)
      $C.symbol("bt_mixed_make") $C.onFailure(result = "bt_mixed{}", errno = "EIO");
  boxCheck @9 (b :Box) -> (result :Int32) $C.symbol("bt_box_check");
  boxFill @10 (b :Box $C.out) -> (b :Box) $C.symbol("bt_box_fill") $C.onFailure(errno = "EIO");
  seriesSum @11 (s :Series) -> (result :Float64) $C.symbol("bt_series_sum");
  outerCheck @12 (o :Outer) -> (result :Int32) $C.symbol("bt_outer_check");
  counterNew @13 (start :Int64) -> (result :UInt64 $C.handle("Counter"))
      $C.symbol("bt_counter_new") $C.onFailure(result = "NULL", errno = "EIO");
  counterStepApply @14 (s :CounterStep) -> (result :Int64) $C.symbol("bt_counter_step_apply");
  counterFree @15 (c :UInt64 $C.handle("Counter") $C.releases) -> () $C.symbol("bt_counter_free")
      $C.onFailure(errno = "EIO");
  pointsSum @16 (points :List(Point), n :Int32 $C.lengthOf("points")) -> (result :Int32)
      $C.symbol("bt_points_sum");
  pointsMake @17 (out :List(Point) $C.out $C.length("n"), n :Int32) -> (out :List(Point))
      $C.symbol("bt_points_make") $C.onFailure(errno = "EIO");
  longBoxMake @18 (v :Int64, out :LongBox $C.out) -> (out :LongBox) $C.symbol("bt_long_box_make")
      $C.onFailure(errno = "ERANGE");
}
