# legacy_calc (examples/legacy-calc/legacy/legacy_calc.h) described for Host::bind: this schema is
# all it takes to call the 32-bit library from a 64-bit program. No component, no 32-bit
# compiler: the host reads these annotations (schemas/bitbridge/c.capnp, docs/reference.md
# "Binding a C library") and calls the functions through libffi.
@0x9f097125e001e890;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("legacy_calc_bind");

interface LegacyCalc {
  # int32_t calc_open(const char* name, calc_handle** out): the handle comes back as a token.
  open @0 (name :Text, handle :UInt64 $C.handle("Calc") $C.out)
      -> (result :Int32, handle :UInt64) $C.symbol("calc_open");
  # void calc_close(calc_handle*): the token is void afterwards.
  close @1 (handle :UInt64 $C.handle("Calc") $C.releases) -> () $C.symbol("calc_close");

  # int32_t calc_add(calc_handle*, int32_t a, int32_t b, int32_t* sum)
  add @2 (handle :UInt64 $C.handle("Calc"), a :Int32, b :Int32, sum :Int32 $C.out)
      -> (result :Int32, sum :Int32) $C.symbol("calc_add");
  divide @3 (handle :UInt64 $C.handle("Calc"), a :Int32, b :Int32, quotient :Int32 $C.out)
      -> (result :Int32, quotient :Int32) $C.symbol("calc_divide");

  accumulate @4 (handle :UInt64 $C.handle("Calc"), value :Int64, total :Int64 $C.out)
      -> (result :Int32, total :Int64) $C.symbol("calc_accumulate");
  total @5 (handle :UInt64 $C.handle("Calc"), total :Int64 $C.out)
      -> (result :Int32, total :Int64) $C.symbol("calc_total");

  # int32_t calc_mean(calc_handle*, const double* values, uint32_t count, double* mean)
  mean @6 (handle :UInt64 $C.handle("Calc"), values :List(Float64),
           count :UInt32 $C.lengthOf("values"), mean :Float64 $C.out)
      -> (result :Int32, mean :Float64) $C.symbol("calc_mean");
  # int32_t calc_scale(calc_handle*, const double* in, double* out, uint32_t count, double factor)
  scale @7 (handle :UInt64 $C.handle("Calc"), input :List(Float64),
            output :List(Float64) $C.out $C.length("count"), count :UInt32 $C.lengthOf("input"),
            factor :Float64)
      -> (result :Int32, output :List(Float64)) $C.symbol("calc_scale");

  # int32_t calc_greet(calc_handle*, const char* name, char* buffer, uint32_t buffer_size,
  #                    uint32_t* required)
  greet @8 (handle :UInt64 $C.handle("Calc"), name :Text,
            buffer :Text $C.out $C.length("bufferSize"), bufferSize :UInt32,
            required :UInt32 $C.out)
      -> (result :Int32, buffer :Text, required :UInt32) $C.symbol("calc_greet");

  # const char* calc_strerror(int32_t): a static string, copied (not freed).
  strerror @9 (code :Int32) -> (result :Text) $C.symbol("calc_strerror");
  pointerBits @10 () -> (result :Int32) $C.symbol("calc_pointer_bits");
  version @11 () -> (result :Text) $C.symbol("calc_version");
}
