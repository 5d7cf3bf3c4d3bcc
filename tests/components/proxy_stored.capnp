# bind_callback_lib's stored callbacks through a drop-in proxy (proxy_stored.h,
# proxy_stored_program.c): an event handler registered until its unregister function
# ($C.callback(released)), a log handler and a __stdcall handler kept for the host's life
# ($C.callback(host)), fired from the calls that fire them and from threads of the library's
# own; handlers that call the library again; a library whose process exits while handlers are
# registered; a call from inside a handler that hangs in the library while the program makes no
# call (its own deadline, BITBRIDGE_CALL_TIMEOUT_MS, ends it).
@0x8b41d884c1151521;

using Cxx = import "/capnp/c++.capnp";
using C = import "/bitbridge/c.capnp";
$Cxx.namespace("proxystored");

interface Handler { onEvent @0 (event :Int32, user :Void $C.user) -> (result :Int32 = -1); }
interface LogHandler { onLine @0 (level :Int32, text :Text, user :Void $C.user) -> (); }
interface Unary { apply @0 (x :Int32) -> (result :Int32 = -1); }
interface StdcallUnary $C.stdcall { apply @0 (x :Int32) -> (result :Int32 = -1); }

interface ProxyStored $C.onFailure(result = "-999", errno = "EIO") {
  setHandler @0 (h :Handler $C.callback(released) $C.releasedBy("clearHandler"),
                 user :Void $C.userFor("h")) -> () $C.symbol("cb_set_handler");
  clearHandler @1 () -> () $C.symbol("cb_clear_handler");
  fire @2 (event :Int32) -> (result :Int32) $C.symbol("cb_fire");
  fireStale @3 (event :Int32) -> (result :Int32) $C.symbol("cb_fire_stale");
  fireFromThread @4 (event :Int32, delayMs :Int32) -> (result :Int32)
      $C.symbol("cb_fire_from_thread");
  fireBurst @5 (first :Int32, count :Int32, delayMs :Int32) -> (result :Int32)
      $C.symbol("cb_fire_burst");
  lastAnswer @6 () -> (result :Int32) $C.symbol("cb_last_answer");
  threadFires @7 () -> (result :Int32) $C.symbol("cb_thread_fires");
  setLogHandler @8 (h :LogHandler $C.callback(host), user :Void $C.userFor("h")) -> ()
      $C.symbol("cb_set_log_handler");
  logFromThread @9 (count :Int32) -> (result :Int32) $C.symbol("cb_log_from_thread");
  setStdcallHandler @10 (f :StdcallUnary $C.callback(host)) -> ()
      $C.symbol("cb_set_stdcall_handler");
  fireStdcall @11 (x :Int32) -> (result :Int32) $C.symbol("cb_fire_stdcall");
  add @12 (a :Int32, b :Int32) -> (result :Int32) $C.symbol("cb_add");
  apply @13 (x :Int32, f :Unary) -> (result :Int32) $C.symbol("cb_apply");
  exitLater @14 (delayMs :Int32) -> (result :Int32) $C.symbol("cb_exit_later");
  processId @15 () -> (result :Int32) $C.symbol("cb_process_id");
  pointerBits @16 () -> (result :Int32) $C.symbol("cb_pointer_bits");
  sleep @17 (ms :Int32) -> (result :Int32) $C.symbol("cb_sleep");
}
