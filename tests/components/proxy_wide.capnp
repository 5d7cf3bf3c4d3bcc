# Drop-in proxies of bind_wide_lib.c's wide strings (proxy_wide.h), both directions
# (tests/CMakeLists.txt, proxy_wide_program.c): wide text in, in an $out buffer of $length and of
# $capacity units, rewritten in place ($inout), returned (the library's, interned), and allocated
# by the library for the caller, returned and through wchar_t**, freed with the vendor's bw_free,
# which the proxy then defines itself (it frees the proxy's copies; the host gave the library's
# own blocks to the library's bw_free). The same annotations Host::bind reads (docs/reference.md).
@0x8e0f6b3c2d9a1e47;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("proxy_wide");

interface ProxyWide $C.onFailure(result = "0", errno = "EINVAL") {
  wcharBits @0 () -> (result :Int32) $C.symbol("bw_wchar_bits");
  wcslen @1 (s :Text $C.type(wchar)) -> (result :UInt64 $C.type(size)) $C.symbol("bw_wcslen");
  firstUnit @2 (s :Text $C.type(wchar)) -> (result :UInt32) $C.symbol("bw_first_unit");
  greet @3 (name :Text $C.type(wchar), out :Text $C.type(wchar) $C.out $C.length("cap"), cap :Int32)
      -> (result :Int32, out :Text $C.type(wchar)) $C.symbol("bw_greet")
      $C.onFailure(result = "-1", errno = "EINVAL");
  version @4 () -> (result :Text $C.type(wchar)) $C.symbol("bw_version")
      $C.onFailure(result = "L\"\"", errno = "EIO");
  upperInPlace @5 (s :Text $C.type(wchar) $C.inout $C.capacity(16)) -> (s :Text $C.type(wchar))
      $C.symbol("bw_upper_in_place") $C.onFailure(errno = "EINVAL");
  dupUpper @6 (s :Text $C.type(wchar))
      -> (result :Text $C.type(wchar) $C.freeWith("bw_free")) $C.symbol("bw_dup_upper")
      $C.onFailure(result = "NULL", errno = "EINVAL");
  describe @7 (n :Int32, out :Text $C.type(wchar) $C.out $C.freeWith("bw_free"))
      -> (result :Int32, out :Text $C.type(wchar)) $C.symbol("bw_describe")
      $C.onFailure(result = "-1", errno = "EINVAL");
  live @8 () -> (result :Int32) $C.symbol("bw_live") $C.onFailure(result = "-1", errno = "EIO");
  pointerBits @9 () -> (result :Int32) $C.symbol("bw_pointer_bits");
}
