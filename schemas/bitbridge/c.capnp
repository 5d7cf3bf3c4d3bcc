# Annotations that describe a plain C library to bitbridge, so that a host can call it from the
# schema alone, with no component (Host::bind, docs/reference.md "Binding a C library").
#
# An interface is the library; each method is one exported function:
#   - the method's parameters, in order of their ordinals, are the function's parameters;
#   - the result field named `result` (or annotated $returns) is the function's return value;
#     without one the function returns void;
#   - every other result field is an out-parameter: it names a parameter annotated $out, and
#     carries back what the function wrote there.
#
# Types, as the host's C ABI sees them (never the client's):
#   Bool -> _Bool, Int8..Int64 / UInt8..UInt64 -> the fixed-width integers, Float32 -> float,
#   Float64 -> double, an enum -> int (a C enum), Text -> const char* (NUL-terminated, UTF-8 as
#   given), Data -> const unsigned char* (its bytes), List(<number or Bool>) -> a pointer to its
#   first element (const for parameters).
#   Integers whose width depends on the platform (long, size_t, ...) are declared with $type on
#   an Int64 or UInt64 field and converted by the host, which refuses a value that does not fit.
#   Wide text (const wchar_t*) is a Text field with $type(wchar): UTF-8 on the wire, converted by
#   the host to its wchar_t (UTF-16 on Windows, UTF-32 on Linux) and back.
#
# Calling conventions and symbols (Windows DLLs): cdecl by default; $stdcall on the interface
# (every function) or on a method (that one), $cdecl on a method to override the interface's.
# stdcall matters on 32-bit x86 only; the 64-bit hosts have one convention and ignore it.
# A stdcall function may be named undecorated: when `name` is not exported the Windows host
# looks for `_name@N` and `name@N` (N: the bytes of its arguments in that host). $ordinal binds a
# function a DLL exports by number only.
#
# Example:
#   using C = import "/bitbridge/c.capnp";
#   interface Vendor {
#     add @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("vendor_add");
#     scale @1 (k :Float64, xin :List(Float64), n :Int32 $C.lengthOf("xin"),
#               xout :List(Float64) $C.out $C.length("n")) -> (xout :List(Float64));
#     divmod @2 (a :Int32, b :Int32, q :Int32 $C.out, r :Int32 $C.out) -> (q :Int32, r :Int32);
#     crc @3 (crc :UInt64 $C.type(ulong), buf :Data, len :UInt32 $C.lengthOf("buf"))
#          -> (result :UInt64 $C.type(ulong)) $C.symbol("crc32");
#   }
@0xcf962979a6000e48;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("bitbridge::c");

annotation symbol @0xfed246c1d30eb48b (method) :Text;
# The exported name of the function. Default: the method's name.

enum CType {
  # C integer types whose width is the host's: 4 or 8 bytes (long: 8 on 64-bit Linux, 4 on
  # 32-bit Linux and on Windows).
  long @0;
  ulong @1;
  size @2;      # size_t
  ssize @3;     # ssize_t / ptrdiff_t
  intptr @4;    # intptr_t
  uintptr @5;   # uintptr_t
  int @6;       # int (4 bytes everywhere bitbridge runs): for a Bool or enum passed as int
  wchar @7;     # on a Text field: const wchar_t* (wchar_t* for an $out buffer) instead of char*;
                # UTF-8 on the wire, the host's wchar_t in C (2 bytes UTF-16 on Windows, 4 bytes
                # UTF-32 on Linux). $lengthOf, $length and $capacity then count wchar_t units.
}

annotation type @0xa673db53f51a5524 (param, field) :CType;
# The C type of an integer parameter or result whose width is the host's. The field must be
# Int64 (long, ssize, intptr) or UInt64 (ulong, size, uintptr); `int` fits Bool and Int32 fields;
# `wchar` fits Text fields (parameters, $out buffers, the return value).

annotation lengthOf @0x944f0c1c4f19f055 (param, field) :Text;
# This integer parameter is the element count of the list (or byte count of the Data)
# parameter it names; the host fills it from that list, so the client need not set it.

annotation out @0xde0686b897cd06ee (param, field) :Void;
# An out-parameter: the function receives a pointer to a value (a number or Bool field) or to a
# buffer (a List, Text or Data field, sized by $length or $capacity) and writes there. The
# parameter keeps the function's parameter position; its value comes back in the result field
# of the same name. For Text, the host passes a buffer of $capacity bytes (or $length from a
# parameter) and returns the text up to its first NUL.

annotation length @0xb835821f7af7aefd (param, field) :Text;
# The element count (bytes for Text and Data) of an out buffer: the value of the integer
# parameter it names, as passed to the function.

annotation capacity @0xdc9584248b436113 (param, field) :UInt32;
# The element count (bytes for Text and Data) of an out buffer, fixed.

annotation returns @0xb118884cbdc24ac3 (param, field) :Void;
# This result field receives the function's return value (default: the field named `result`).

annotation stdcall @0xa35c52a2507b1829 (interface, method) :Void;
# __stdcall (WINAPI): the callee pops its arguments. On an interface: every method's function;
# on a method: that function. Used on 32-bit x86 (Windows, and i386 Linux for GCC's
# __attribute__((stdcall))); accepted and ignored by 64-bit hosts, which have one convention.

annotation cdecl @0xed04ca04cb43c5bf (method) :Void;
# __cdecl for this method, overriding $stdcall on its interface (the default otherwise).

annotation ordinal @0xe51862ced1e23e72 (method) :UInt16;
# Windows: the function is the DLL's export number N (GetProcAddress by ordinal), for DLLs that
# export some functions by number only (NONAME in their .def file). The method's name (or
# $symbol) then serves in messages only. Refused by Linux hosts: ELF has no ordinals.
