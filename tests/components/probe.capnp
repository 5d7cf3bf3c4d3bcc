# Test interface served by the probe component, built for both bitnesses. Each method exists to
# observe one property of the real host process from a test.
@0xd4a9537c8b1822b2;

using Cxx = import "/capnp/c++.capnp";
using Bulk = import "/bitbridge/bulk.capnp";
$Cxx.namespace("probe");

interface Probe {
  whoami @0 () -> (pid :UInt32, pointerBits :UInt8);
  echo @1 (data :Data) -> (data :Data);
  fail @2 (message :Text) -> ();          # throws std::runtime_error(message)
  crash @3 (signal :Int32) -> ();          # logs a line, then raises the signal
  sleep @4 (milliseconds :UInt32) -> ();   # blocks the host's thread
  log @5 (message :Text) -> ();            # one info line through the host logger
  exitNow @6 (code :Int32) -> ();          # _exit(code) without answering

  # Bulk data: a checksum over the referenced bytes (read in place, window by window), and a
  # pattern written in place. Both use windows so they work in 32-bit hosts for any size.
  checksum @7 (data :Bulk.BulkRef, window :UInt64) -> (sum :UInt64, windows :UInt64);
  fill @8 (data :Bulk.BulkRef, seed :UInt64) -> ();
  viewWhole @9 (data :Bulk.BulkRef) -> (firstByte :UInt8);  # one view of the whole range

  # Forks a process that keeps every descriptor of the host (its channel and output pipe
  # included, as a legacy library's helper process would) and sleeps; returns its pid.
  forkSleeper @10 (milliseconds :UInt32) -> (pid :UInt32);

  # Blocks for the given time in offloaded work (bitbridge::offload) and returns the id of the
  # thread it ran on (the host's RPC thread is the one whose id is the host's pid).
  sleepOffThread @11 (milliseconds :UInt32) -> (threadId :UInt32);

  # Like fill, but reads the reference only after waiting (off the RPC thread) for the given
  # time: a reference resolved after an await, while other calls may have run meanwhile.
  fillLater @12 (data :Bulk.BulkRef, seed :UInt64, milliseconds :UInt32) -> ();
}
