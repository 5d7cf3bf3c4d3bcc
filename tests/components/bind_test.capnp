# The schema that binds bind_test_lib.c with no component (tests/integration/bind_test.cpp).
@0x942f3df0be23a9d1;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
using Bulk = import "/bitbridge/bulk.capnp";
$Cxx.namespace("bindtest");

enum Color { red @0; green @1; blue @2; }

interface BindTest {
  addI32 @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("bt_add_i32");
  addU64 @1 (a :UInt64, b :UInt64) -> (result :UInt64) $C.symbol("bt_add_u64");
  negI8 @2 (v :Int8) -> (result :Int8) $C.symbol("bt_neg_i8");
  twiceU16 @3 (v :UInt16) -> (result :UInt16) $C.symbol("bt_twice_u16");
  mulF64 @4 (a :Float64, b :Float64) -> (result :Float64) $C.symbol("bt_mul_f64");
  halfF32 @5 (v :Float32) -> (result :Float32) $C.symbol("bt_half_f32");
  isOdd @6 (v :Int32) -> (result :Bool) $C.symbol("bt_is_odd");
  isEvenInt @7 (v :Int32) -> (even :Bool $C.returns $C.type(int)) $C.symbol("bt_is_even_int");
  colorNext @8 (c :Color) -> (result :Color) $C.symbol("bt_color_next");
  sum @9 (xs :List(Float64), n :Int32 $C.lengthOf("xs")) -> (result :Float64) $C.symbol("bt_sum");
  scale @10 (k :Float64, xin :List(Float64), n :Int32 $C.lengthOf("xin"),
             xout :List(Float64) $C.out $C.length("n")) -> (xout :List(Float64))
      $C.symbol("bt_scale");
  countTrue @11 (flags :List(Bool), n :Int32 $C.lengthOf("flags")) -> (result :Int32)
      $C.symbol("bt_count_true");
  divmod @12 (a :Int32, b :Int32, q :Int32 $C.out, r :Int32 $C.out)
      -> (result :Int32, q :Int32, r :Int32) $C.symbol("bt_divmod");
  greet @13 (name :Text, out :Text $C.out $C.length("cap"), cap :Int32)
      -> (result :Int32, out :Text) $C.symbol("bt_greet");
  checksum @14 (data :Data, len :UInt32 $C.lengthOf("data")) -> (result :UInt32)
      $C.symbol("bt_checksum");
  fillBytes @15 (out :Data $C.out $C.length("len"), len :UInt32, value :UInt8) -> (out :Data)
      $C.symbol("bt_fill_bytes");
  longBits @16 () -> (result :Int32) $C.symbol("bt_long_bits");
  pointerBits @17 () -> (result :Int32) $C.symbol("bt_pointer_bits");
  longNegate @18 (v :Int64 $C.type(long)) -> (result :Int64 $C.type(long)) $C.symbol("bt_long_negate");
  strlen @19 (s :Text) -> (result :UInt64 $C.type(size)) $C.symbol("bt_strlen");
  version @20 () -> (result :Text) $C.symbol("bt_version");
  fixedGreet @21 (name :Text, out :Text $C.out $C.capacity(8), cap :Int32)
      -> (result :Int32, out :Text) $C.symbol("bt_greet");

  # In-out pointers and NULL.
  increment @22 (v :Int32 $C.inout) -> (v :Int32) $C.symbol("bt_increment");
  reverse @23 (xs :List(Float64) $C.inout, n :Int32 $C.lengthOf("xs")) -> (xs :List(Float64))
      $C.symbol("bt_reverse");
  upper @24 (s :Text $C.inout $C.capacity(16)) -> (s :Text) $C.symbol("bt_upper");
  isNull @25 (s :Text $C.nullable) -> (result :Int32) $C.symbol("bt_is_null");
  isNullStrict @26 (s :Text) -> (result :Int32) $C.symbol("bt_is_null");

  # Structs.
  layout @27 (out :List(UInt32) $C.out $C.capacity(12)) -> (out :List(UInt32))
      $C.symbol("bt_layout");
  pointSum @28 (p :Point) -> (result :Int32) $C.symbol("bt_point_sum");
  pointSwap @29 (p :Point $C.byValue) -> (result :Point) $C.symbol("bt_point_swap");
  pointScale @30 (p :Point $C.inout, k :Int32) -> (p :Point) $C.symbol("bt_point_scale");
  makePoint @31 (x :Int32, y :Int32, out :Point $C.out) -> (out :Point) $C.symbol("bt_make_point");
  pointsSum @32 (points :List(Point), n :Int32 $C.lengthOf("points")) -> (result :Int32)
      $C.symbol("bt_points_sum");
  pointsMake @33 (out :List(Point) $C.out $C.length("n"), n :Int32) -> (out :List(Point))
      $C.symbol("bt_points_make");
  mixedCheck @34 (m :Mixed $C.byValue) -> (result :Int32) $C.symbol("bt_mixed_check");
  mixedMake @35 (tag :Int8, value :Float64, big :Int64) -> (result :Mixed)
      $C.symbol("bt_mixed_make");
  boxCheck @36 (b :Box) -> (result :Int32) $C.symbol("bt_box_check");
  boxFill @37 (b :Box $C.out) -> (b :Box) $C.symbol("bt_box_fill");
  seriesSum @38 (s :Series) -> (result :Float64) $C.symbol("bt_series_sum");
  seriesDouble @39 (s :Series $C.inout) -> (s :Series) $C.symbol("bt_series_double");
  outerCheck @40 (o :Outer) -> (result :Int32) $C.symbol("bt_outer_check");

  # Opaque handles.
  counterNew @41 (start :Int64) -> (result :UInt64 $C.handle("Counter"))
      $C.symbol("bt_counter_new");
  counterOpen @42 (start :Int64, c :UInt64 $C.handle("Counter") $C.out)
      -> (result :Int32, c :UInt64) $C.symbol("bt_counter_open");
  counterAdd @43 (c :UInt64 $C.handle("Counter"), by :Int64) -> (result :Int64)
      $C.symbol("bt_counter_add");
  counterFree @44 (c :UInt64 $C.handle("Counter") $C.releases) -> () $C.symbol("bt_counter_free");
  countersLive @45 () -> (result :Int32) $C.symbol("bt_counters_live");
  counterNull @46 () -> (result :UInt64 $C.handle("Counter")) $C.symbol("bt_counter_null");
  labelOfCounter @47 (c :UInt64 $C.handle("Label")) -> (result :Int64) $C.symbol("bt_counter_add");

  # Strings the library allocates, with their owner declared.
  upperCopy @48 (s :Text) -> (result :Text $C.freeWith("free")) $C.symbol("bt_upper_copy");
  label @49 (n :Int32) -> (result :Text $C.freeWith("bt_free_string")) $C.symbol("bt_label");
  describe @50 (n :Int32, out :Text $C.out $C.freeWith("bt_free_string"))
      -> (result :Int32, out :Text) $C.symbol("bt_describe");
  stringsLive @51 () -> (result :Int32) $C.symbol("bt_strings_live");

  # errno as the function left it.
  failWith @52 (code :Int32) -> (result :Int32, errno :Int32 $C.lastError)
      $C.symbol("bt_fail_with");
  succeed @53 () -> (result :Int32, errno :Int32 $C.lastError) $C.symbol("bt_succeed");

  sleepMs @54 (ms :Int32) -> (result :Int32) $C.symbol("bt_sleep_ms");
  # The count given by the client, not filled by the host: the list must be long enough.
  sumN @55 (xs :List(Float64) $C.length("n"), n :Int32) -> (result :Float64) $C.symbol("bt_sum");

  # Arrays whose end is a terminator.
  countStrings @56 (strings :List(Text)) -> (result :Int32) $C.symbol("bt_count_strings");
  totalLength @57 (strings :List(Text)) -> (result :Int32) $C.symbol("bt_total_length");
  sumUntilZero @58 (xs :List(Int32) $C.terminated) -> (result :Int32) $C.symbol("bt_sum_until_zero");

  # Arrays in the client's shared memory (Host::allocate), read and written in place.
  bulkCalls @59 () -> (result :Int32) $C.symbol("bt_bulk_calls");
  bulkScale @60 (xs :Bulk.BulkRef $C.elementSize(8), n :Int32 $C.lengthOf("xs"), k :Float64)
      -> () $C.symbol("bt_bulk_scale");
  # The count given by the client: checked against the reference before the call.
  bulkScaleN @61 (xs :Bulk.BulkRef $C.elementSize(8) $C.length("n"), n :Int32, k :Float64)
      -> () $C.symbol("bt_bulk_scale");
  bulkEnds @62 (xs :Bulk.BulkRef $C.elementSize(8), n :UInt64 $C.type(size) $C.lengthOf("xs"))
      -> (result :Float64) $C.symbol("bt_bulk_ends");
  bulkIsNull @63 (p :Bulk.BulkRef $C.nullable) -> (result :Int32) $C.symbol("bt_bulk_is_null");
  bulkIsNullStrict @64 (p :Bulk.BulkRef) -> (result :Int32) $C.symbol("bt_bulk_is_null");
}

struct Point { x @0 :Int32; y @1 :Int32; }
struct Mixed { tag @0 :Int8; value @1 :Float64; big @2 :Int64; }
struct Box {
  corner @0 :List(Point) $C.array(2);
  name @1 :Text $C.array(16);
  flags @2 :Data $C.array(3);
}
struct Series { items @0 :List(Float64); count @1 :Int32 $C.lengthOf("items"); }
struct Outer { m @0 :Mixed; p @1 :Point; label @2 :Text; }

# The same function called on the host's RPC thread, and on the pool.
interface OnHostThread $C.calls(host) {
  add @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("bt_add_i32");
  sleepMs @1 (ms :Int32) -> (result :Int32) $C.symbol("bt_sleep_ms");
}
interface OnPool $C.calls(pool) {
  add @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("bt_add_i32");
  sleepMs @1 (ms :Int32) -> (result :Int32) $C.symbol("bt_sleep_ms");
}

# Mistakes the host must refuse at bind time, each naming the method and the parameter.
interface MissingSymbol {
  gone @0 () -> () $C.symbol("bt_no_such_function");
}
interface LengthOfNothing {
  f @0 (xs :List(Float64), n :Int32 $C.lengthOf("ys")) -> () $C.symbol("bt_sum");
}
interface OutWithoutResult {
  f @0 (a :Int32, b :Int32, q :Int32 $C.out, r :Int32 $C.out) -> (q :Int32)
      $C.symbol("bt_divmod");
}
interface SelfContaining {
  struct Node { value @0 :Int32; next @1 :Node; }
  f @0 (n :Node) -> () $C.symbol("bt_point_sum");
}
interface ArrayOnNumber {
  struct P { x @0 :Int32 $C.array(4); y @1 :Int32; }
  f @0 (p :P) -> (result :Int32) $C.symbol("bt_point_sum");
}
interface BulkRefOut {
  f @0 (xs :Bulk.BulkRef $C.out) -> (xs :Bulk.BulkRef) $C.symbol("bt_bulk_is_null");
}
interface ElementSizeOnList {
  f @0 (xs :List(Float64) $C.elementSize(8)) -> (result :Int32) $C.symbol("bt_bulk_is_null");
}
interface BulkRefInStruct {
  struct Holder { ref @0 :Bulk.BulkRef; }
  f @0 (h :Holder) -> (result :Int32) $C.symbol("bt_bulk_is_null");
}
interface HandleNotUInt64 {
  f @0 (c :Int32 $C.handle("Counter"), by :Int64) -> (result :Int64) $C.symbol("bt_counter_add");
}

# Libraries nobody on the team wrote: the system's zlib and libm.
interface Zlib {
  version @0 () -> (result :Text) $C.symbol("zlibVersion");
  crc32 @1 (crc :UInt64 $C.type(ulong), buf :Data, len :UInt32 $C.lengthOf("buf"))
      -> (result :UInt64 $C.type(ulong));
  compressBound @2 (sourceLen :UInt64 $C.type(ulong)) -> (result :UInt64 $C.type(ulong));
}
interface LibM {
  cos @0 (x :Float64) -> (result :Float64);
  pow @1 (x :Float64, y :Float64) -> (result :Float64);
  ldexp @2 (x :Float64, exp :Int32) -> (result :Float64);
}
