# The schema that binds bind_test_lib.c with no component (tests/integration/bind_test.cpp).
@0x942f3df0be23a9d1;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
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
interface StructParameter {
  struct Point { x @0 :Int32; y @1 :Int32; }
  f @0 (p :Point) -> () $C.symbol("bt_add_i32");
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
