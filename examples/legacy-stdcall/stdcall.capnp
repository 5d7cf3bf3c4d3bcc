# The interfaces of the legacy-stdcall example. Only fixed-width types, so the meaning is the
# same on both sides of the 32/64-bit boundary (the DLL's `long` is Int32 here).
@0xc83aa3bead60e5f8;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("legacy_stdcall");

interface LegacyDll {
  # The 32-bit __stdcall DLL, one method per function (component/stdcall_component.cpp).

  add @0 (a :Int32, b :Int32) -> (sum :Int32);

  describe @1 (value :Int32) -> (text :Text);
  # LegacyDescribe's "call twice" buffer protocol stays inside the component.

  info @2 () -> (pointerBits :UInt8, hostPid :UInt32, dllPath :Text);
  # pointerBits comes from LegacyPointerBits (inside the DLL); dllPath is where it was loaded from.
}

interface WideHelper {
  # The reverse direction: a 64-bit component a 32-bit program calls (component/wide_component.cpp).

  info @0 () -> (pointerBits :UInt8, hostPid :UInt32);

  reserve @1 (bytes :UInt64) -> (reserved :UInt64);
  # Reserves `bytes` of address space (VirtualAlloc MEM_RESERVE, nothing committed) and frees it
  # again: more than a 32-bit process can ever have. Fails if the reservation fails.
}
