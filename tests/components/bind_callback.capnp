# The schema that binds bind_callback_lib.c with no component: function pointers as interfaces
# (tests/integration/bind_callback_test.cpp), and the C library's own qsort/bsearch.
@0xa5d22e6cffc1337e;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("bindcb");

interface Compare { compare @0 (a :Int32, b :Int32) -> (result :Int32); }
# int32_t (*)(int32_t, int32_t): a comparator by value.

interface Unary { apply @0 (x :Int32) -> (result :Int32 = -1); }
# int32_t (*)(int32_t); -1 when the client cannot answer.

interface StdcallUnary $C.stdcall { apply @0 (x :Int32) -> (result :Int32 = -1); }
# int32_t (__stdcall *)(int32_t) on 32-bit x86.

interface Handler { onEvent @0 (event :Int32, user :Void $C.user) -> (result :Int32 = -1); }
# int32_t (*)(int32_t event, void* user): the context is the host's, never sent.

interface Greeter { greet @0 (name :Text, times :UInt8) -> (result :Float64 = 2.5); }
# double (*)(const char*, uint8_t)

interface BindCallbacks {
  sortI32 @0 (xs :List(Int32) $C.inout, n :Int32 $C.lengthOf("xs"), cmp :Compare)
      -> (xs :List(Int32), result :Int32) $C.symbol("cb_sort_i32");
  apply @1 (x :Int32, f :Unary) -> (result :Int32) $C.symbol("cb_apply");
  applyMaybe @2 (x :Int32, f :Unary $C.nullable) -> (result :Int32) $C.symbol("cb_apply_maybe");
  applyStdcall @3 (x :Int32, f :StdcallUnary) -> (result :Int32) $C.symbol("cb_apply_stdcall");
  greet @4 (g :Greeter, name :Text) -> (result :Float64) $C.symbol("cb_greet");
  add @5 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("cb_add");
  currentThread @6 () -> (result :UInt64) $C.symbol("cb_current_thread");
  setHandler @7 (h :Handler $C.callback(released) $C.releasedBy("clearHandler"),
                 user :Void $C.userFor("h")) -> () $C.symbol("cb_set_handler");
  clearHandler @8 () -> () $C.symbol("cb_clear_handler");
  setHandlerForever @9 (h :Handler $C.callback(host), user :Void $C.userFor("h")) -> ()
      $C.symbol("cb_set_handler");
  hasUser @10 () -> (result :Int32) $C.symbol("cb_has_user");
  fire @11 (event :Int32) -> (result :Int32) $C.symbol("cb_fire");
  fireStale @12 (event :Int32) -> (result :Int32) $C.symbol("cb_fire_stale");
  fireFromThread @13 (event :Int32, delayMs :Int32) -> (result :Int32)
      $C.symbol("cb_fire_from_thread");
  lastAnswer @14 () -> (result :Int32) $C.symbol("cb_last_answer");
  threadFires @15 () -> (result :Int32) $C.symbol("cb_thread_fires");
}

struct Elem { v @0 :Int32; }
interface ElemCompare { compare @0 (a :Elem, b :Elem) -> (result :Int32); }
# int (*)(const void*, const void*) over int32_t elements: each pointer is a const Elem*.

interface LibcSort {
  # The C library's own (libc.so.6), which nobody on the team wrote.
  qsort @0 (base :List(Int32) $C.inout, n :UInt64 $C.type(size) $C.lengthOf("base"),
            size :UInt64 $C.type(size), cmp :ElemCompare) -> (base :List(Int32));
  bsearch @1 (key :Elem, base :List(Int32), n :UInt64 $C.type(size) $C.lengthOf("base"),
              size :UInt64 $C.type(size), cmp :ElemCompare) -> (result :UInt64 $C.handle("Elem"));
}

# Malformed callback declarations, each refused at bind time naming method and parameter.
interface TwoMethods { a @0 (x :Int32) -> (); b @1 () -> (); }
interface ListParam { f @0 (xs :List(Int32)) -> (); }
interface TwoMethodCallback { f @0 (cb :TwoMethods) -> () $C.symbol("cb_apply"); }
interface CallbackListParam { f @0 (cb :ListParam) -> () $C.symbol("cb_apply"); }
interface ReleasedByNothing {
  f @0 (cb :Unary $C.callback(released) $C.releasedBy("nope")) -> () $C.symbol("cb_apply");
}
interface UserForNothing {
  f @0 (cb :Unary, user :Void $C.userFor("cbb")) -> () $C.symbol("cb_set_handler");
}
interface CallbackOnHostThread $C.calls(host) { f @0 (cb :Unary) -> () $C.symbol("cb_apply"); }
