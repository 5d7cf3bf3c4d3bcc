# legacy_stdcall.dll (legacy/legacy_stdcall.h) described for Host::bind, plus what a drop-in
# proxy returns when bitbridge fails ($C.onFailure). From this schema and the vendor's header,
# bitbridge_add_proxy builds a 64-bit legacy_stdcall.dll with the vendor's export names: a
# program built against the vendor's header (program/stdcall_program.c) runs unchanged as a
# 64-bit program, each call running in the real 32-bit DLL in bitbridge-host32.exe.
@0xfe5a4d4b22f82420;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("legacy_stdcall_bind");

# Every function is __stdcall (WINAPI). `long` is 32 bits on Windows in both bitnesses. When the
# DLL cannot be reached the functions return -1, a value none of them returns otherwise.
interface LegacyStdcall $C.stdcall $C.onFailure(result = "-1", errno = "EIO") {
  # long LegacyAdd(long a, long b)
  add @0 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("LegacyAdd");
  # long LegacyDescribe(long value, char* buffer, long size): "call twice" text.
  describe @1 (value :Int32, buffer :Text $C.out $C.length("size"), size :Int32)
      -> (result :Int32, buffer :Text) $C.symbol("LegacyDescribe");
  # long LegacyPointerBits(void): the pointer width inside the DLL (32).
  pointerBits @2 () -> (result :Int32) $C.symbol("LegacyPointerBits");
}
