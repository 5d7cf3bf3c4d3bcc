@0xa7e0f6e72a3f4e35;
# Schema of the Windows toolchain smoke test (tools/windows/smoke.sh); not part of bitbridge.

interface Smoke {
  ping @0 (value :UInt64) -> (value :UInt64, pointerBits :UInt32);
  # Returns value + 1 and the pointer width of the process that served the call.
  fail @1 ();
  # Always throws: a C++ exception in the server must reach the client as an RPC error.
}
