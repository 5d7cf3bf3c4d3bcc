# A proxy that declares no $C.onFailure (tests/integration/proxy_test.cpp): two functions of
# examples/legacy-calc's library. When bitbridge fails, such a proxy must log and abort: it has
# no value its caller would read as a failure.
@0xd1a3b9e2c4f50a17;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("proxy_strict");

interface StrictCalc {
  pointerBits @0 () -> (result :Int32) $C.symbol("calc_pointer_bits");
  version @1 () -> (result :Text) $C.symbol("calc_version");
}
