# A proxy of one slow function of tests/components/bind_test_lib.c (proxy_test.cpp): a call that
# outlives BITBRIDGE_CALL_TIMEOUT_MS must come back with its declared failure, the hung host must
# be killed, and the next call must run in a new host.
@0xa4c2e19b7d3f5068;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("proxy_sleepy");

interface Sleepy {
  sleepMs @0 (ms :Int32) -> (result :Int32) $C.symbol("bt_sleep_ms")
      $C.onFailure(result = "-1", errno = "ETIMEDOUT");
}
