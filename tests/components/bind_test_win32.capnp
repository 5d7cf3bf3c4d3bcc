# The schemas that bind bind_test_lib_win32.dll and two DLLs of the system with no component
# (tests/windows/bind_win32_test.cpp): calling conventions, decorated and mangled names, ordinals.
@0xb6f1e0a3c2d49587;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("bindwin");

# Every function __stdcall unless the method says $C.cdecl. The names are undecorated: the host
# finds btw_sub@8 and _btw_mix@24 itself (32-bit), and the plain names (64-bit).
interface Win32Test $C.stdcall {
  sub @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("btw_sub");
  mix @1 (a :Int8, b :Int64, c :Float64, d :Float32) -> (result :Float64) $C.symbol("btw_mix");
  plain @2 (a :Int32) -> (result :Int32) $C.symbol("btw_plain");
  mul @3 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("btw_cdecl_mul") $C.cdecl;
  secret @4 (x :Int32) -> (result :Int32) $C.symbol("btw_secret") $C.ordinal(7) $C.cdecl;
  square @5 (x :Int32) -> (result :Int32) $C.symbol("_Z10btw_squarei") $C.cdecl;
  count @6 (a :Int32, b :Int32, c :Int32) -> (result :Int32) $C.symbol("btw_count");
}

# The same functions declared per method, on an interface without a convention.
interface PerMethod {
  sub @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("btw_sub") $C.stdcall;
  mul @1 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("btw_cdecl_mul");
}

# Mistakes.
interface ForgotStdcall {
  sub @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("btw_sub");
}
interface NoSuchOrdinal {
  f @0 () -> () $C.ordinal(99);
}
interface SecretByName {
  secret @0 (x :Int32) -> (result :Int32) $C.symbol("btw_secret");
}
interface NoSuchStdcall $C.stdcall {
  f @0 (a :Int32) -> (result :Int32) $C.symbol("btw_nothing");
}

# DLLs nobody on the team wrote, named as a Windows user would: bare names, found by the host
# where LoadLibrary looks (its own bitness's system directory).
interface Kernel32 $C.stdcall {
  getCurrentProcessId @0 () -> (result :UInt32) $C.symbol("GetCurrentProcessId");
  lstrlenA @1 (s :Text) -> (result :Int32);
  lstrlenW @2 (s :Text $C.type(wchar)) -> (result :Int32);
  mulDiv @3 (number :Int32, numerator :Int32, denominator :Int32) -> (result :Int32)
      $C.symbol("MulDiv");
  getSystemDirectoryW @4 (buffer :Text $C.type(wchar) $C.out $C.length("size"), size :UInt32)
      -> (result :UInt32, buffer :Text $C.type(wchar)) $C.symbol("GetSystemDirectoryW");
}
interface Msvcrt {
  strlen @0 (s :Text) -> (result :UInt64 $C.type(size));
  abs @1 (v :Int32) -> (result :Int32);
  wcslen @2 (s :Text $C.type(wchar)) -> (result :UInt64 $C.type(size));
}
