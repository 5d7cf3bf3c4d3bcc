# Wide strings ($C.type(wchar)) of bind_wide_lib.c, bound with no component
# (tests/integration/bind_wide_test.cpp). Text on the wire is UTF-8; the host converts it to its
# wchar_t (UTF-16 on Windows, UTF-32 on Linux) and back.
@0xd3a4c8f9e6b1a702;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("bindwide");

interface BindWide {
  wcharBits @0 () -> (result :Int32) $C.symbol("bw_wchar_bits");
  wcslen @1 (s :Text $C.type(wchar)) -> (result :UInt64 $C.type(size)) $C.symbol("bw_wcslen");
  lengthAgrees @2 (s :Text $C.type(wchar), n :Int32 $C.lengthOf("s")) -> (result :Int32)
      $C.symbol("bw_length_agrees");
  firstUnit @3 (s :Text $C.type(wchar)) -> (result :UInt32) $C.symbol("bw_first_unit");
  greet @4 (name :Text $C.type(wchar), out :Text $C.type(wchar) $C.out $C.length("cap"), cap :Int32)
      -> (result :Int32, out :Text $C.type(wchar)) $C.symbol("bw_greet");
  fixedGreet @5 (name :Text $C.type(wchar), out :Text $C.type(wchar) $C.out $C.capacity(8),
                 cap :Int32) -> (result :Int32, out :Text $C.type(wchar)) $C.symbol("bw_greet");
  version @6 () -> (result :Text $C.type(wchar)) $C.symbol("bw_version");
  # One wchar_t by value, both ways: the host's width (2 or 4 bytes).
  nextUnit @7 (c :UInt32 $C.type(wchar)) -> (result :UInt32 $C.type(wchar)) $C.symbol("bw_next_unit");
  # Rewritten in place (wchar_t*, a buffer of 16 units holding the text).
  upperInPlace @8 (s :Text $C.type(wchar) $C.inout $C.capacity(16)) -> (s :Text $C.type(wchar))
      $C.symbol("bw_upper_in_place");
  # Allocated by the library and freed by its bw_free once copied: returned, and through wchar_t**.
  dupUpper @9 (s :Text $C.type(wchar))
      -> (result :Text $C.type(wchar) $C.freeWith("bw_free")) $C.symbol("bw_dup_upper");
  describe @10 (n :Int32, out :Text $C.type(wchar) $C.out $C.freeWith("bw_free"))
      -> (result :Int32, out :Text $C.type(wchar)) $C.symbol("bw_describe");
  live @11 () -> (result :Int32) $C.symbol("bw_live");
}

# Mistakes refused at bind time.
interface WcharOnANumber {
  f @0 (v :Int64 $C.type(wchar)) -> () $C.symbol("bw_wchar_bits");
}
interface OtherTypeOnText {
  f @0 (s :Text $C.type(long)) -> () $C.symbol("bw_wcslen");
}
