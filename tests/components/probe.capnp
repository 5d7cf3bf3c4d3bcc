# Test interface served by the probe component, built for both bitnesses. Each method exists to
# observe one property of the real host process from a test.
@0xd4a9537c8b1822b2;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("probe");

interface Probe {
  whoami @0 () -> (pid :UInt32, pointerBits :UInt8);
  echo @1 (data :Data) -> (data :Data);
  fail @2 (message :Text) -> ();          # throws std::runtime_error(message)
  crash @3 (signal :Int32) -> ();          # logs a line, then raises the signal
  sleep @4 (milliseconds :UInt32) -> ();   # blocks the host's thread
  log @5 (message :Text) -> ();            # one info line through the host logger
  exitNow @6 (code :Int32) -> ();          # _exit(code) without answering
}
