// Host::bind on the host side: a plain C library served as a Cap'n Proto object whose methods
// call its functions, described by the client's schema and its /bitbridge/c.capnp annotations
// (c_binding_plan.h), with no component.
//
// Thread assumption: bound on the host's RPC thread; each call is converted and made on the
// library's own thread (component_threads.h), so a long call holds neither the RPC thread nor
// the heartbeat.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <capnp/capability.h>
#include <capnp/dynamic.h>

#include "bitbridge/detail/capnp_schema.h"  // before schema-loader.h: see there
#include <capnp/schema-loader.h>
#include <spdlog/logger.h>

namespace bitbridge {

class BulkRegistry;
class ComponentThreads;
class LaneTarget;

struct BoundLibrary {
  capnp::Capability::Client object = nullptr;
  uint32_t functions = 0;
  /// The same object, as a fast lane calls it (lane_target.h); valid while `object` (or a copy
  /// of it) is held.
  LaneTarget* lane = nullptr;
};

/// Opens `path` (CLibrary::open), plans every method of interface `interfaceId` in `schemas`
/// (which the object keeps alive), resolves every symbol and prepares every call, all before
/// returning: a schema mistake or a missing symbol is an Error here, naming the method.
/// Calls run on the library's thread from `threads` (one at a time), or on its pool when the
/// interface says $calls(pool), or on the RPC thread with $calls(host); `threads` must
/// outlive the object. Every build has libffi (Linux: Debian's; Windows: built by
/// scripts/setup-windows.sh). `bulk`: the host's segments, which Bulk.BulkRef parameters
/// reference (c_bulk_args.h); it must outlive the object too.
BoundLibrary bindCLibrary(const std::string& path, std::shared_ptr<capnp::SchemaLoader> schemas,
                          uint64_t interfaceId, std::shared_ptr<spdlog::logger> logger,
                          ComponentThreads& threads, BulkRegistry& bulk);

/// Plans `iface` and converts `params` for its method `methodIndex` exactly as a call would,
/// with every check, without loading or calling anything: the c_binding fuzz target's entry
/// (tests/fuzz/fuzz_c_binding.cpp). Throws the Error a bind or a call would.
void dryRunCall(capnp::InterfaceSchema iface, uint16_t methodIndex,
                capnp::DynamicStruct::Reader params);

}  // namespace bitbridge
