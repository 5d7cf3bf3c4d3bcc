# The benchmark's trivial interface: a call that carries nothing, so that what is measured is
# the cost of a round trip through each transport and nothing else. Served by the bench
# component (bitbridge cases, class "bench-null") and by the plain EzRpc server (baseline).
@0x96d9c66b7fd70fd5;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("bitbridge_bench");

interface Null {
  ping @0 () -> ();
}
