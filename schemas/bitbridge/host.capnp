# The host protocol: the bootstrap interface every bitbridge host serves on its channel.
#
# Cross-bitness ABI rule: fixed-width types only. A 32-bit host and a 64-bit client (or the
# reverse) read these messages; Cap'n Proto's encoding is the same for both, and no field here
# depends on pointer width.
@0xc79a1930fac2e0fb;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("bitbridge::proto");

using Com = import "/bitbridge/com.capnp";

const protocolVersion :UInt32 = 1;

struct ComponentInfo {
  path @0 :Text;               # absolute path of the loaded library, as the host resolved it
  classes @1 :List(Text);      # names clients can activate
}

struct HostInfo {
  pid @0 :UInt32;
  pointerBits @1 :UInt8;       # 32 or 64
  arch @2 :UInt8;              # bitbridge::Arch value (1 = x86, 2 = x86_64)
  os @3 :Text;                 # "linux", later "windows"
  version @4 :Text;            # bitbridge version of the host build
  protocolVersion @5 :UInt32;
  components @6 :List(ComponentInfo);
  transport @7 :Text;          # what the RPC channel runs on: "socket" or "shm" (shared memory)
  shared @8 :Bool;             # a shared host (many clients): activate returns the host's one
                               # instance of a class to every client
}

interface Host {
  # What this host is and what it has loaded.
  info @0 () -> (info :HostInfo);

  # Loads a component library (a shared library of the host's bitness exporting
  # bitbridge_component_v1). The host checks its header first; `legacyLibrary`, if not empty,
  # is the library the component wraps, checked too. Loading the same path twice is a no-op.
  load @1 (path :Text, legacyLibrary :Text) -> (component :ComponentInfo);

  # Creates a new instance of a class offered by a loaded component. In a shared host, returns
  # the host's one instance of that class (created on the first activation) to every client.
  activate @2 (className :Text) -> (object :Capability);

  # Asks the host to exit once this call has been answered. A shared host only closes this
  # client's connection: it exits when it has had no client for its idle timeout.
  shutdown @3 () -> ();

  # Maps a shared-memory segment the client created (bitbridge/bulk.capnp). The host opens it
  # by name, validates its header and size, and removes the name at once, so the segment has
  # no name left once both sides have it open. Returns the segment's id (from its header)
  # and its data size.
  attachBulk @4 (name :Text) -> (segment :UInt64, size :UInt64);

  # Forgets a segment: the host unmaps it once no component view of it remains.
  detachBulk @5 (segment :UInt64) -> ();

  bind @6 (library :Text, interfaceId :UInt64, nodes :List(Data), laneSegment :UInt64)
       -> (object :Capability, functions :UInt32, laneBinding :UInt32, laneMethods :List(UInt16));
  # laneSegment (HostOptions::fastLane): not 0, the id of a bulk segment this connection
  # attached whose data area holds a fast-lane slot (wire/lane_layout.h). The host then also
  # serves the library through that slot (one lane thread per connection) and answers the
  # library's id on the lane (laneBinding, 1..) and the methods that may use it (laneMethods:
  # no callbacks, no Bulk.BulkRef, not $calls(host)); laneBinding 0: no lane.
  # Loads the plain C library at `library` and returns an object of interface `interfaceId`
  # whose methods call its functions, as the interface's /bitbridge/c.capnp annotations
  # describe them. `nodes`: the schema of that interface and of every struct and enum it uses
  # (the client's generated code carries them), each a capnp/schema.capnp Node serialized as a
  # single-segment message (Data rather than List(Node): schema.capnp.h does not survive
  # <windows.h>, whose CONST macro hits an enumerant, and this header is public). Every function is resolved and checked here,
  # before any call; `functions` is how many. Calls then run the library's code in this host.

  createComObject @7 (classId :Text, path :Text, key :Text) -> (object :Com.Dispatch);
  # Windows hosts: creates an in-process COM object on the host's apartment thread (one STA that
  # pumps messages; every call to the object and to the objects it returns is run there, one at
  # a time). `classId` is a ProgID ("Scripting.Dictionary") or a CLSID in braces. With `path`
  # empty, the class is looked up in the registry view of the host's bitness
  # (CoCreateInstance, CLSCTX_INPROC_SERVER); otherwise `path` is the DLL, loaded without the
  # registry (LoadLibrary, DllGetClassObject, IClassFactory::CreateInstance; `classId` must then
  # be a CLSID), its header checked first. Linux hosts: Unimplemented.
  # `key` not empty: the host's one object of that key (created by the first call with it,
  # handed to every later one, of any connection, while the host runs; BadConfiguration when
  # the key holds another class). A shared host runs every connection's objects in one
  # apartment (VB6 module variables are per apartment thread, so clients share them so).
}
