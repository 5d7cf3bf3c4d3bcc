# Drop-in proxies of bind_test_lib.c's arrays that end at a terminator (proxy_terminated.h), both
# directions (tests/CMakeLists.txt, proxy_terminated_program.c): the proxy finds each one's
# length by its terminator (a NULL text, a 0), looking no further than kTerminatedMaxElements
# (proxy_plan.h); and a counted array of texts. The same annotations Host::bind reads.
@0xa61d3e9b7c4f2058;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("proxy_terminated");

interface ProxyTerminated $C.onFailure(result = "-1", errno = "EINVAL") {
  pointerBits @0 () -> (result :Int32) $C.symbol("bt_pointer_bits");
  countStrings @1 (strings :List(Text) $C.terminated) -> (result :Int32) $C.symbol("bt_count_strings");
  totalLength @2 (strings :List(Text) $C.terminated) -> (result :Int32) $C.symbol("bt_total_length");
  totalLengthN @3 (strings :List(Text), n :Int32 $C.lengthOf("strings")) -> (result :Int32)
      $C.symbol("bt_total_length_n");
  sumUntilZero @4 (xs :List(Int32) $C.terminated) -> (result :Int32) $C.symbol("bt_sum_until_zero");
}
