# legacy_calc (examples/legacy-calc/legacy/legacy_calc.h) described for Host::bind, plus what a
# drop-in proxy returns when bitbridge fails ($C.onFailure): from this schema and the vendor's
# header, bitbridge_add_proxy builds a 64-bit liblegacy_calc.so that an unchanged program links
# in place of the 32-bit one (docs/getting-started.md "A drop-in proxy").
@0xc3dbe43cfa6a4175;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("legacy_calc_proxy");

# Every status-returning function says CALC_E_NOMEM and sets errno to EIO when the library
# cannot be reached; the others declare their own below.
interface LegacyCalc $C.onFailure(result = "CALC_E_NOMEM", errno = "EIO") {
  # int32_t calc_open(const char* name, calc_handle** out): the handle comes back as a token.
  open @0 (name :Text, handle :UInt64 $C.handle("Calc") $C.out)
      -> (result :Int32, handle :UInt64) $C.symbol("calc_open");
  # void calc_close(calc_handle*): the token is void afterwards.
  close @1 (handle :UInt64 $C.handle("Calc") $C.releases) -> () $C.symbol("calc_close")
      $C.onFailure(errno = "EIO");

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
  strerror @9 (code :Int32) -> (result :Text) $C.symbol("calc_strerror")
      $C.onFailure(result = "\"calc library unavailable (see the bitbridge log)\"", errno = "EIO");
  pointerBits @10 () -> (result :Int32) $C.symbol("calc_pointer_bits")
      $C.onFailure(result = "0", errno = "EIO");
  version @11 () -> (result :Text) $C.symbol("calc_version")
      $C.onFailure(result = "\"0.0.0\"", errno = "EIO");
}
