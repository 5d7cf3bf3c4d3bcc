# The greeter vendor library bound from its schema alone (Host::bind): no component. The
# annotations say what each C parameter is (greeter.h).
@0xb0d6c5b3e1f2a497;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("greeter_bind");

interface GreeterLibrary {
  shout @0 (text :Text, out :Text $C.out $C.length("outlen"), outlen :Int32)
       -> (result :Int32, out :Text) $C.symbol("greeter_shout");
  bits @1 () -> (result :Int32) $C.symbol("greeter_bits");
}

# A schema that names a function the library does not export: refused at bind time.
interface GreeterMisnamed {
  gone @0 () -> () $C.symbol("greeter_no_such_function");
}
