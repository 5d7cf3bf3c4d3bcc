# bind_callback_lib's callbacks for the call, through a drop-in proxy (proxy_callbacks.h,
# proxy_callbacks_program.c): a comparator called many times, a nullable callback, a __stdcall
# one, Text to a callback, callbacks that call the proxy again (nested), an enumeration with
# the program's `void* user`, a comparator of structs (const cb_item*, laid out in each side's
# ABI, and NULL), and a library whose process exits while a callback runs.
@0xe5a780601d735fdf;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("proxycb");

interface Compare { compare @0 (a :Int32, b :Int32) -> (result :Int32); }
interface Unary { apply @0 (x :Int32) -> (result :Int32 = -1); }
interface StdcallUnary $C.stdcall { apply @0 (x :Int32) -> (result :Int32 = -1); }
interface Handler { onEvent @0 (event :Int32, user :Void $C.user) -> (result :Int32 = -1); }
interface Greeter { greet @0 (name :Text, times :UInt8) -> (result :Float64 = 2.5); }
struct Item { tag @0 :Int8; weight @1 :Float64; id @2 :Int32; }
interface ItemCompare { compare @0 (a :Item, b :Item) -> (result :Int32); }

interface ProxyCallbacks $C.onFailure(result = "-999") {
  sortI32 @0 (xs :List(Int32) $C.inout, n :Int32 $C.lengthOf("xs"), cmp :Compare)
      -> (xs :List(Int32), result :Int32) $C.symbol("cb_sort_i32");
  apply @1 (x :Int32, f :Unary) -> (result :Int32) $C.symbol("cb_apply");
  applyMaybe @2 (x :Int32, f :Unary $C.nullable) -> (result :Int32) $C.symbol("cb_apply_maybe");
  applyStdcall @3 (x :Int32, f :StdcallUnary) -> (result :Int32) $C.symbol("cb_apply_stdcall");
  greet @4 (g :Greeter, name :Text) -> (result :Float64) $C.symbol("cb_greet");
  add @5 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("cb_add");
  each @6 (n :Int32, h :Handler, user :Void $C.userFor("h")) -> (result :Int32)
      $C.symbol("cb_each");
  exit @7 (code :Int32) -> () $C.symbol("cb_exit");
  pointerBits @8 () -> (result :Int32) $C.symbol("cb_pointer_bits");
  sortItems @9 (items :List(Item) $C.inout, n :Int32 $C.lengthOf("items"), cmp :ItemCompare)
      -> (items :List(Item), result :Int32) $C.symbol("cb_sort_items");
  compareWithNull @10 (cmp :ItemCompare, item :Item $C.byValue) -> (result :Int32)
      $C.symbol("cb_compare_with_null");
}
