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
#   given), Data -> const unsigned char* (its bytes), List(<number, Bool, enum or struct>) -> a
#   pointer to its first element (const for parameters), a struct -> a pointer to a C struct
#   (const S*; $byValue passes the struct itself), laid out by the host's C ABI: its fields in
#   the order they are declared (ordinal order), each aligned as the host's compiler aligns it.
#   Inside a struct: a struct field is a nested struct (inline), a List or Text or Data field
#   is a pointer (const T*, const char*) unless $array(N) makes it an inline array (T x[N],
#   char x[N]), and an integer field may be the $lengthOf a pointer field beside it.
#   Integers whose width depends on the platform (long, size_t, ...) are declared with $type on
#   an Int64 or UInt64 field and converted by the host, which refuses a value that does not fit.
#   Wide text (const wchar_t*) is a Text field with $type(wchar): UTF-8 on the wire, converted by
#   the host to its wchar_t (UTF-16 on Windows, UTF-32 on Linux) and back.
#   A parameter of type Bulk.BulkRef (import "/bitbridge/bulk.capnp") is a pointer to the bytes
#   it references in a shared-memory buffer (Host::allocate): T* to the client's own memory,
#   which the function reads and writes in place, with no copy whatever its size. $elementSize
#   gives sizeof(T) (default 1); an integer parameter $lengthOf it gets the reference's length
#   in elements; $length("n") on it makes the host check n against the reference instead.
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
enum CallThread {
  library @0;
  # The default: one thread of the library's own, created when it is bound. Calls run one at a
  # time, in arrival order, always on that thread (legacy libraries often keep global or
  # thread-local state), and the host's RPC thread stays free during a long call: other
  # bindings, components and clients of the host are served meanwhile. Costs one thread
  # wake-up per call (about 20 us on a 2-core VM; docs/performance.md).
  host @1;
  # On the host's RPC thread, as a hand-written component's methods run: the fastest (no
  # hand-off), one at a time, always on the same thread; but while a call runs, the host does
  # nothing else (its watchdog thread still answers heartbeats). For libraries whose functions
  # all return quickly.
  pool @2;
  # For a thread-safe library: calls spread over a small pool of threads and may overlap.
}

annotation calls @0xfdf4f0d21f394876 (interface) :CallThread;
# Where the library's functions are called (see CallThread). Default: library.

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
  wchar @7;     # on a Text field: const wchar_t* (wchar_t* for an $out or $inout buffer,
                # wchar_t** for an $out the library allocates, with $freeWith) instead of char*;
                # UTF-8 on the wire, the host's wchar_t in C (2 bytes UTF-16 on Windows, 4 bytes
                # UTF-32 on Linux). $lengthOf, $length and $capacity then count wchar_t units.
                # On a UInt32 field: one wchar_t by value, a code unit (a value above 0xFFFF
                # does not fit a Windows host's and is refused).
}

annotation type @0xa673db53f51a5524 (param, field) :CType;
# The C type of an integer parameter or result whose width is the host's. The field must be
# Int64 (long, ssize, intptr) or UInt64 (ulong, size, uintptr); `int` fits Bool and Int32 fields;
# `wchar` fits Text fields (parameters, $out buffers, the return value) and UInt32 fields (one
# wchar_t).

annotation lengthOf @0x944f0c1c4f19f055 (param, field) :Text;
# This integer parameter is the element count of the list (or byte count of the Data)
# parameter it names; the host fills it from that list, so the client need not set it. Of a
# Bulk.BulkRef parameter: the reference's length divided by its $elementSize.

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

annotation byValue @0x9570784a58b7893a (param, field) :Void;
# A struct parameter passed by value (C: `S s`), not by pointer (the default: `const S* s`).
# A struct result field is always returned by value.

annotation inout @0xba1ead09a7fd347d (param) :Void;
# A pointer the function reads and writes: a number or Bool (T*), a List or Data (T*, with as
# many elements as the list has), a struct (S*), or a Text (char*, a buffer of $capacity or
# $length bytes that starts with the text). Its value after the call comes back in the result
# field of the same name, as for $out.

annotation array @0xa032423c4ac003a0 (field) :UInt32;
# Inside a struct: a fixed array stored in the struct itself (C: `T x[N]`; Text and Data:
# `char x[N]`, `unsigned char x[N]`). A shorter list is padded with zeros; a longer one, or a
# Text that leaves no room for its NUL, is refused.

annotation handle @0xa481c1611f53b3b8 (param, field) :Text;
# An opaque pointer of the kind named (e.g. "Db" for a library's `DB*`), carried as a UInt64
# token: the client never sees the host's pointer. A returned (or $out) pointer becomes a new
# token; a parameter's token is mapped back, and one the host did not hand out, of another
# kind, or already released, is refused before the library is called. Token 0 is NULL, which
# a parameter accepts only when $nullable. Tokens belong to the binding (Host::bind call)
# that handed them out.

annotation releases @0xe67e8727053ad7a2 (param) :Void;
# On a $handle parameter: the function frees it, so its token is void after the call.

annotation freeWith @0x8d6f75502a6adc99 (param, field) :Text;
# A string the library returns (a Text result, or a Text $out parameter without $length or
# $capacity, C: `char** out`) is the caller's to free: the host copies it, then calls this
# function of the library on it (e.g. "free", or the library's own "vendor_free"). Without it
# the string stays the library's (static or owned by it) and is only copied.

annotation lastError @0xcb3ef340e8617586 (param) :Void;
# On an Int32 result field: errno (POSIX) or GetLastError() (Windows) as the function left it.
# The host sets it to 0 just before the call.

annotation terminated @0x9417e296846e23d9 (param) :Void;
# An input List or Data is followed by one element of zeros (a List(Text): by NULL), for
# functions that find the end of an array by its terminator rather than by a count. A
# List(Text) parameter (C: `const char* const*`) is passed this way with or without it.

annotation nullable @0xd2f8c6c6c2b090c5 (param, field) :Void;
# A Text, Data, List or struct parameter that the client leaves unset is passed as NULL, and a
# $handle parameter accepts token 0 (NULL); a Bulk.BulkRef parameter unset or of length 0 too.
# Without it an unset Text, Data, List or BulkRef (or an empty BulkRef) is refused (an unset
# struct is passed as a struct of zeros/defaults, as Cap'n Proto reads it).

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

annotation elementSize @0xe92e2c46116aae1c (param) :UInt32;
# On a Bulk.BulkRef parameter: the bytes of one element of the C array it points to (8 for a
# double*; default 1, bytes). The reference's offset and length must be multiples of it, and
# $lengthOf / $length on another parameter count elements of this size. Fixed-width: the same in
# both bitnesses, as the bytes in the buffer are.

# Callbacks (C function pointers). A parameter whose type is an interface is a function pointer:
# the interface has exactly one method, the callback's C signature, declared like a bound
# function (numbers and Bool by value, $type for platform-sized integers, Text: const char*, a
# struct: const S*, a Void $user: the void* context); its `result` field (or none: void) is
# what the callback returns. The client passes a capability (an object of its own); the host
# hands the library a real C function pointer (a libffi closure) that calls the client and
# returns its answer. When the client cannot answer (its object threw, it is gone, the callback
# was released, the call waiting on it was cancelled), the library gets the result field's
# default value from the schema (`result :Int32 = -1`; 0 without one): declare one that the
# library reads as "stop" or "failed". $stdcall on the callback's interface or method: the
# library calls it __stdcall (32-bit x86; ignored by 64-bit hosts).
#
# Example:
#   interface Compare { compare @0 (a :Elem, b :Elem) -> (result :Int32); }
#   interface Handler { onEvent @0 (event :Int32, user :Void $C.user) -> (); }
#   interface Lib {
#     sort @0 (xs :List(Elem) $C.inout, n :UInt64 $C.type(size) $C.lengthOf("xs"),
#              cmp :Compare) -> (xs :List(Elem));
#     setHandler @1 (cb :Handler $C.callback(released) $C.releasedBy("clearHandler"),
#                    user :Void $C.userFor("cb")) -> ();
#     clearHandler @2 () -> ();
#   }

enum CallbackLifetime {
  call @0;
  # The function pointer is valid while the call that passed it runs (qsort's comparator,
  # enumeration callbacks); freed when that call returns.
  released @1;
  # Stored by the library (event handlers, completion callbacks) and fired at any time, from
  # any thread, until a call of the method named by $releasedBy returns; after that it answers
  # the default without calling the client, and is freed after a grace period
  # (BITBRIDGE_CALLBACK_GRACE_MS in the host's environment, default 10 s).
  host @2;
  # Stored until the host exits (for libraries that never forget a callback): the client is
  # called while its binding lives, the default is answered after.
}

annotation callback @0xef95bab9728b8783 (param) :CallbackLifetime;
# On a parameter of an interface type: the function pointer's lifetime. Default: call.

annotation releasedBy @0xaea3a0656d3155c5 (param) :Text;
# With $callback(released): the method whose call releases every function pointer this
# parameter handed out in this binding (a library's unregister or "set to NULL" function).

annotation userFor @0xe6e1349f363c96e6 (param) :Text;
# On a Void parameter of a bound function: the `void* user` that the library stores and passes
# back to the callback parameter named here. The host passes a context of its own (the closure's
# record), so the client never sees a host pointer; NULL when that callback is NULL.

annotation user @0x9eb58067a54b5418 (param) :Void;
# In a callback's method, on a Void parameter: the void* context the library passes back. It is
# not sent to the client (which never sees a host pointer); the callback's capability already
# says whose call it is.

# Drop-in proxies (`bitbridge proxy`, bitbridge_add_proxy; docs/reference.md "Drop-in proxy
# libraries"). A proxy exports the library's C functions in a process of the other bitness and
# forwards each call through bitbridge; when bitbridge itself fails (the host cannot start, the
# library is missing, the host died, a deadline passed, a value was refused) the function still
# has to return something its caller understands. Hosts ignore these annotations.
#
# Example:
#   interface Calc $C.onFailure(result = "CALC_E_NOMEM") {
#     add @0 (...) -> (result :Int32) $C.symbol("calc_add");
#     version @1 () -> (result :Text) $C.symbol("calc_version") $C.onFailure(result = "NULL");
#     close @2 (...) -> () $C.symbol("calc_close") $C.onFailure(errno = "EIO");
#   }

struct Failure {
  result @0 :Text;
  # A C expression of the function's return type, compiled in the proxy after the vendor's
  # header (so its macros work): "-1", "CALC_E_NOMEM", "NULL", "0.0". Empty for a void
  # function; a function that returns a value must have one (a compile error otherwise).
  errno @1 :Text;
  # A C expression the proxy stores in `errno` before it returns: "EIO", "ENOSYS". Empty:
  # errno is left as it was.
}

annotation onFailure @0xe9b63f5409630dca (interface, method) :Failure;
# What a proxied function returns when bitbridge fails (the full error is logged). On the
# interface: every method's default; on a method: that method's. Without one anywhere the
# proxy logs the error and aborts the process: a caller of a C API cannot be told otherwise,
# and going on with an out-parameter never written would be worse.
