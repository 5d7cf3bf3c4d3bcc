// Host.createComObject (schemas/bitbridge/host.capnp): in-process COM objects served by late
// binding (schemas/bitbridge/com.capnp). Windows hosts build com_host-win32.cpp (an apartment
// thread, activation, the Dispatch server); other hosts com_host-posix.cpp, which answers
// Unimplemented.
//
// Lifetime: a ComHost belongs to one HostService (one connection) and is created on its first
// createComObject. What the connections of one host share lives in a ComHostState: its
// apartment thread, the objects created per key, and the set of the host's Dispatch servers
// (an object passed back as an argument is recognised there). A private host has one
// connection, so its state is that ComHost's own; a shared host keeps one for all its
// connections (SharedInstances), because VB6 keeps a class module's and a .bas module's
// variables per apartment thread: clients see one module state only in one apartment.
// The apartment thread lives as long as the state or any object made there, whichever is last
// (the objects keep it), so a client's objects outlive nothing they need.
// Thread assumption: everything here is called on the host's RPC thread.
#pragma once

#include <memory>
#include <string>

#include <capnp/capability.h>

namespace spdlog {
class logger;
}

namespace bitbridge {

/// What the COM objects of every connection of one host share (see above). Opaque here.
class ComHostState {
 public:
  virtual ~ComHostState() = default;
};

/// This platform's shared state: the apartment thread starts on the first object created.
std::shared_ptr<ComHostState> makeComHostState();

class ComHost {
 public:
  virtual ~ComHost() = default;
  /// Creates class `classId` (ProgID or "{CLSID}") from the registry view of this host's
  /// bitness, or, with `path` not empty, from that DLL without the registry. With `key` not
  /// empty, the one object of that key in this host: created by the first such call, handed to
  /// every later one (BadConfiguration when the key holds another class), and kept until the
  /// host exits. Resolves to a proto::Dispatch capability; breaks with the Error the
  /// activation met.
  virtual kj::Promise<capnp::Capability::Client> create(const std::string& classId,
                                                        const std::string& path,
                                                        const std::string& key) = 0;
};

/// This platform's ComHost for one connection. `state`: the host's shared one (a shared host),
/// or null for a state of its own (a private host).
std::unique_ptr<ComHost> makeComHost(std::shared_ptr<spdlog::logger> logger,
                                     std::shared_ptr<ComHostState> state);

}  // namespace bitbridge
